//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use sluice::ReportLevel;
use sluice::run::{
    Documents, Ending, Engine, OutputFormat, Progress, ShardLimits, Target, WriterFormat,
};

use super::{JobArgs, RuleArgs, Status, status, stream_status, verbosity};

#[derive(Args)]
pub struct CleanArgs {
    /// Files or directories to clean (`-` for stdin).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write OUT/<path>.txt and OUT/<path>.json for every input, and OUT/summary.json (or shards:
    /// --output-format).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// What -o writes: a tree of texts and reports, or shards of records (OUT/00000.jsonl.zst …).
    #[arg(long, value_enum, default_value_t = OutputFormat::Tree, requires = "output")]
    output_format: OutputFormat,
    /// Records per shard.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    shard_records: usize,
    /// Uncompressed bytes per shard (a shard ends with the record that reaches it).
    #[arg(long, value_name = "BYTES")]
    shard_bytes: Option<u64>,
    /// How much of each document's report -o writes: every edit (full), counts per rule and the flags
    /// raised (summary), or none.
    #[arg(long, value_enum, default_value_t = ReportLevel::Full)]
    report: ReportLevel,
    /// Read JSON Lines from FILE (or stdin: `-`) and write JSON Lines to stdout, or with -o each
    /// record into the tree or the shards, as a document (named FILE#N, N from 0).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", conflicts_with = "paths")]
    jsonl: Option<PathBuf>,
    /// Follow symbolic links met in directory trees (by default they are skipped, each named on
    /// stderr and in summary.json; links named on the command line are always followed).
    #[arg(long)]
    follow: bool,
    /// Keep near-duplicate documents in the output (they are still marked in their reports).
    #[arg(long)]
    keep_duplicates: bool,
    /// With --jsonl to stdout: put each document's MinHash signature and LSH band keys in its
    /// report (`sluice.minhash`), for a global near-duplicate pass (python/jobs/).
    #[arg(long, requires = "jsonl", conflicts_with = "output")]
    minhash: bool,
    /// Exit 1 when some document failed. Accepted in every mode, so one command line serves them
    /// all: with -o and on stdout a failure exits 1 anyway; with --jsonl a failed record is an
    /// output record (`sluice.error`) and the exit code is 0 unless this is given.
    #[arg(long)]
    fail_on_error: bool,
    /// Documents per batch with -o: each batch is cleaned in parallel, written and marked done, and
    /// a rerun of a killed run continues after the last batch done.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    batch_size: usize,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = WriterFormat::Text)]
    format: WriterFormat,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    jobs: JobArgs,
}

pub fn run(args: CleanArgs) -> anyhow::Result<Status> {
    args.jobs.install();
    let rules = args.rules.load()?;
    let engine = Engine::new(&rules)
        .context("the rules do not compile")?
        .keep_duplicates(args.keep_duplicates)
        .fingerprints(args.minhash)
        .report_level(args.report)
        .batch_size(args.batch_size);
    let documents = match args.jsonl {
        Some(file) => Documents::JsonLines(file),
        None if args.paths.is_empty() => {
            bail!("nothing to clean: give files or directories, or --jsonl")
        }
        None => Documents::Paths {
            paths: args.paths,
            follow: args.follow,
        },
    };
    // A progress bar only beside an output directory: on stdout it would mix with the output.
    let mut progress = Progress::new(verbosity(), args.output.is_some());
    let target = match args.output {
        Some(out) => Target::Dir {
            out,
            format: args.output_format,
            limits: ShardLimits {
                records: args.shard_records.max(1),
                bytes: args.shard_bytes,
            },
        },
        None => Target::Writer(stdout(), args.format),
    };
    let started = std::time::Instant::now();
    let ending = engine.clean(documents, target, &mut progress)?;
    if let Ending::Stream(summary) = &ending {
        return Ok(stream_status(summary, started, args.fail_on_error));
    }
    if let Ending::Dir { .. } = ending {
        progress.note(0, format_args!("{ending}"));
    }
    // A rerun that continued a killed run fails as the whole run does.
    Ok(status(ending.failed() == 0))
}

/// Buffered stdout.
pub fn stdout() -> impl std::io::Write {
    std::io::BufWriter::new(std::io::stdout().lock())
}
