//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use sluice::ReportLevel;
use sluice::run::{
    Ending, Engine, Observer, Outcome, OutputFormat, ShardLimits, Source, Target, WriterFormat,
};

use super::{JobArgs, RuleArgs, Status, note, progress, report_failure, status, stream_status};

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
    let source = match args.jsonl {
        Some(file) => Source::JsonLines(file),
        None if args.paths.is_empty() => {
            bail!("nothing to clean: give files or directories, or --jsonl")
        }
        None => Source::Paths {
            paths: args.paths,
            follow: args.follow,
        },
    };
    // Progress only beside an output directory: on stdout it would mix with the output.
    let mut printer = Printer {
        progress: args.output.is_some(),
        bar: indicatif::ProgressBar::hidden(),
    };
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
    Ok(match engine.clean(source, target, &mut printer)? {
        Ending::Stream(summary) => stream_status(&summary, started, args.fail_on_error),
        Ending::Dir { out, summary } => {
            note(
                0,
                format_args!(
                    "{} of {} documents cleaned into {}, {} failed",
                    summary.cleaned,
                    summary.documents,
                    out.display(),
                    summary.failed
                ),
            );
            // A rerun that continued a killed run fails as the whole run does.
            status(summary.failed == 0)
        }
        Ending::Printed { failed } => status(failed == 0),
    })
}

/// What `sluice clean` says on stderr as a run goes: links skipped, a run started over, progress
/// on a terminal, failed documents, and with -v every document cleaned.
struct Printer {
    progress: bool,
    bar: indicatif::ProgressBar,
}

impl Observer for Printer {
    fn skipped_link(&mut self, link: &Path) {
        let name = link.display();
        note(
            0,
            format_args!("{name}: skipped: a symbolic link in a tree is not followed (--follow)"),
        );
    }

    fn started_over(&mut self, out: &Path, why: &str) {
        let out = out.display();
        note(0, format_args!("{out}: not continued, started over: {why}"));
    }

    fn begin(&mut self, total: Option<usize>) {
        if self.progress {
            self.bar = progress(total);
        }
    }

    fn outcome(&mut self, outcome: &Outcome) {
        self.bar.inc(1);
        match &outcome.result {
            Err(error) => report_failure(Path::new(&outcome.name), error),
            Ok(cleaned) => {
                let edits = cleaned.report.edits.len();
                note(1, format_args!("{}: cleaned, {edits} edits", outcome.name));
            }
        }
    }

    fn end(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Buffered stdout.
pub fn stdout() -> impl std::io::Write {
    std::io::BufWriter::new(std::io::stdout().lock())
}
