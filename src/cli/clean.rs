//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use sluice::run::{Engine, Inputs, Outcome, WriterFormat, WriterSink};

use super::{JobArgs, RuleArgs, Status, progress, report_error, report_failure, status};

#[derive(Args)]
pub struct CleanArgs {
    /// Files or directories to clean (`-` for stdin).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write OUT/<path>.txt and OUT/<path>.json for every input, and OUT/summary.json.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Read JSON Lines from FILE (or stdin: `-`) and write JSON Lines to stdout.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", conflicts_with_all = ["paths", "output"])]
    jsonl: Option<PathBuf>,
    /// Keep near-duplicate documents in the output (they are still marked in their reports).
    #[arg(long)]
    keep_duplicates: bool,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    jobs: JobArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

pub fn run(args: CleanArgs) -> anyhow::Result<Status> {
    args.jobs.install();
    let rules = args.rules.load()?;
    let engine = Engine::new(&rules)
        .context("the rules do not compile")?
        .keep_duplicates(args.keep_duplicates);
    if let Some(source) = &args.jsonl {
        let ok = engine.clean_jsonl(open_jsonl(source)?, source, stdout())?;
        return Ok(status(ok));
    }
    if args.paths.is_empty() {
        bail!("nothing to clean: give files or directories, or --jsonl");
    }
    let inputs = Inputs::collect(&args.paths, args.output.as_deref());
    for link in inputs.skipped_links() {
        report_error(link, &"skipped: a symbolic link in a tree is not followed");
    }
    let mut failed = false;
    let mut report = |outcome: &Outcome| {
        if let Err(error) = &outcome.result {
            failed = true;
            report_failure(Path::new(&outcome.name), error);
        }
    };
    match &args.output {
        Some(out) => {
            let mut tree = engine.tree(out, &inputs)?;
            let bar = progress();
            engine.run(inputs, &mut tree, |outcome| {
                bar.inc(1);
                report(outcome);
            })?;
            bar.finish_and_clear();
            let summary = tree.finish()?;
            eprintln!(
                "sluice: {} of {} documents cleaned into {}, {} failed",
                summary.cleaned,
                summary.documents,
                out.display(),
                summary.failed
            );
        }
        None => {
            let format = match args.format {
                OutputFormat::Text => WriterFormat::Text,
                OutputFormat::Json => WriterFormat::Json,
            };
            engine.run(inputs, &mut WriterSink::new(stdout(), format), report)?;
        }
    }
    Ok(status(!failed))
}

/// A JSON Lines source: a file, or stdin for `-`.
pub fn open_jsonl(source: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    if source == Path::new("-") {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file =
        std::fs::File::open(source).with_context(|| format!("cannot open {}", source.display()))?;
    Ok(Box::new(std::io::BufReader::new(file)))
}

/// Buffered stdout.
pub fn stdout() -> impl std::io::Write {
    std::io::BufWriter::new(std::io::stdout().lock())
}
