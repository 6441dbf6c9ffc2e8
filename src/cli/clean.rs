//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use sluice::ReportLevel;
use sluice::run::{
    Engine, Inputs, Outcome, ShardFormat, ShardLimits, Sink, WriterFormat, WriterSink, open_stream,
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
    #[arg(long, value_enum, default_value_t = OutputKind::Tree, requires = "output")]
    output_format: OutputKind,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputKind {
    Tree,
    Jsonl,
    #[value(name = "jsonl.gz")]
    JsonlGz,
    #[value(name = "jsonl.zst")]
    JsonlZst,
    Parquet,
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
    let out = args.output.as_deref();
    let inputs = match &args.jsonl {
        Some(source) if out.is_none() => {
            let started = std::time::Instant::now();
            let summary = engine.clean_jsonl(open_stream(source)?, source, stdout())?;
            return Ok(stream_status(&summary, started, args.fail_on_error));
        }
        Some(source) => Inputs::json_lines(source, out),
        None if args.paths.is_empty() => {
            bail!("nothing to clean: give files or directories, or --jsonl")
        }
        None if args.follow => Inputs::collect_following_links(&args.paths, out),
        None => Inputs::collect(&args.paths, out),
    };
    for link in inputs.skipped_links() {
        let name = link.display();
        note(
            0,
            format_args!("{name}: skipped: a symbolic link in a tree is not followed (--follow)"),
        );
    }
    let mut failed = false;
    let report = |outcome: &Outcome| match &outcome.result {
        Err(error) => {
            failed = true;
            report_failure(Path::new(&outcome.name), error);
        }
        Ok(cleaned) => {
            let edits = cleaned.report.edits.len();
            note(1, format_args!("{}: cleaned, {edits} edits", outcome.name));
        }
    };
    match &args.output {
        Some(out) => {
            let summary = match shard_format(args.output_format) {
                None => {
                    let mut tree = engine.tree(out, &inputs)?;
                    note_started_over(out, tree.started_over());
                    run_with_progress(&engine, inputs, &mut tree, report)?;
                    tree.finish()?
                }
                Some(format) => {
                    let limits = ShardLimits {
                        records: args.shard_records.max(1),
                        bytes: args.shard_bytes,
                    };
                    let mut shards = engine.shards(out, &inputs, format, limits)?;
                    note_started_over(out, shards.started_over());
                    run_with_progress(&engine, inputs, &mut shards, report)?;
                    shards.finish()?
                }
            };
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
            return Ok(status(summary.failed == 0));
        }
        None => {
            let mut sink = WriterSink::new(stdout(), args.format).deduplicated(&engine);
            engine.run(inputs, &mut sink, report)?;
        }
    }
    Ok(status(!failed))
}

/// Say why a run into `out` started over instead of continuing the run state found there.
fn note_started_over(out: &Path, why: Option<&str>) {
    if let Some(why) = why {
        let out = out.display();
        note(0, format_args!("{out}: not continued, started over: {why}"));
    }
}

/// The shard format of an output kind (none for a tree).
fn shard_format(kind: OutputKind) -> Option<ShardFormat> {
    match kind {
        OutputKind::Tree => None,
        OutputKind::Jsonl => Some(ShardFormat::Jsonl),
        OutputKind::JsonlGz => Some(ShardFormat::JsonlGz),
        OutputKind::JsonlZst => Some(ShardFormat::JsonlZst),
        OutputKind::Parquet => Some(ShardFormat::Parquet),
    }
}

/// Run into `sink` with a progress counter on a terminal.
fn run_with_progress(
    engine: &Engine,
    inputs: Inputs,
    sink: &mut dyn Sink,
    mut report: impl FnMut(&Outcome),
) -> anyhow::Result<()> {
    let bar = progress(inputs.known_count());
    engine.run(inputs, sink, |outcome| {
        bar.inc(1);
        report(outcome);
    })?;
    bar.finish_and_clear();
    Ok(())
}

/// Buffered stdout.
pub fn stdout() -> impl std::io::Write {
    std::io::BufWriter::new(std::io::stdout().lock())
}
