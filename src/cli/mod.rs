//! Command-line parsing, shared options and exit codes. Each subcommand has its own module.

mod checks;
mod clean;
mod diff;
mod explain;
mod repair;
mod rules;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sluice::{RuleSet, StageName};

/// Clean scraped Chinese web pages before they are archived.
#[derive(Parser)]
#[command(name = "sluice", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Clean documents: files, directory trees (with -o) or JSON Lines (--jsonl).
    Clean(clean::CleanArgs),
    /// Repair one file's encoding damage without removing content.
    Repair(repair::RepairArgs),
    /// Compile the rules, run every rule's examples and every golden fixture.
    Check(checks::CheckArgs),
    /// Show what a rule change does to a corpus: unified diffs of the outputs that change.
    Diff(diff::DiffArgs),
    /// Show every edit made to one file, like a linter.
    Explain(explain::ExplainArgs),
    /// List the rules, or print one rule's documentation and examples.
    Rules(rules::RulesArgs),
}

/// Options for choosing the rule set.
#[derive(Args, Clone)]
struct RuleArgs {
    /// A rules directory laid over the defaults: its files replace default files of the same
    /// relative path, other files are added.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Use only the --rules directory, not the embedded defaults.
    #[arg(long, requires = "rules")]
    no_default_rules: bool,
    /// Script conversion mode: auto, keep, or a conversion: hans, hant, tw, hk, and with OpenCC's
    /// regional vocabulary twp, hkp, hansp, or regional variant glyphs only t2tw, t2hk, tw2t, hk2t
    /// (overrides the `script.mode` setting; the script
    /// stage validates it, so the modes are defined in one place).
    #[arg(long, value_name = "MODE")]
    script: Option<String>,
}

impl RuleArgs {
    fn load(&self) -> anyhow::Result<RuleSet> {
        let mut rules = match &self.rules {
            Some(dir) => RuleSet::load(dir, !self.no_default_rules)
                .with_context(|| format!("cannot load rules from {}", dir.display()))?,
            None => RuleSet::defaults().context("the embedded rules do not compile")?,
        };
        if let Some(mode) = &self.script {
            rules.override_setting(StageName::Script, "mode", mode.as_str().into());
        }
        Ok(rules)
    }
}

/// Options for parallelism.
#[derive(Args, Clone, Copy)]
struct JobArgs {
    /// Worker threads (default: one per core). Output is identical for any number.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
}

impl JobArgs {
    fn install(self) {
        if let Some(n) = self.jobs {
            // Only fails if a pool was already built, which happens once per process.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build_global();
        }
    }
}

/// How a command ended.
enum Status {
    Success,
    /// Some documents failed, or a check failed: exit 1.
    Failed,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Clean(args) => clean::run(args),
        Command::Repair(args) => repair::run(args),
        Command::Check(args) => checks::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Rules(args) => rules::run(args),
    };
    match result {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failed) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Success, or the failure of some documents.
fn status(ok: bool) -> Status {
    if ok { Status::Success } else { Status::Failed }
}

/// The end of a JSON Lines stream: its summary line on stderr, and a failure only when asked for
/// (`--fail-on-error`): a failed record is an output record, and a job runner such as Spark's
/// `RDD.pipe(checkCode=True)` would fail the whole partition on exit code 1.
fn stream_status(
    summary: &sluice::run::StreamSummary,
    started: std::time::Instant,
    fail_on_error: bool,
) -> Status {
    eprintln!(
        "sluice: {} records, {} failed, {} duplicates, in {:.1} s",
        summary.records,
        summary.failed,
        summary.duplicates,
        started.elapsed().as_secs_f64()
    );
    status(!(fail_on_error && summary.failed > 0))
}

/// A reader closed our stdout (`sluice clean … | head`): stop quietly.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = match cause.downcast_ref::<serde_json::Error>() {
            Some(json) => json.io_error_kind(),
            None => cause
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// A counter of documents done on a terminal, nothing otherwise: inputs stream (the records of a
/// WARC file are counted only as they are read), so there is no total to show a bar against.
fn progress() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {human_pos} documents in {elapsed} {msg}",
        )
        .expect("valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// One error line about one input, on stderr.
fn report_error(what: &std::path::Path, error: &dyn std::fmt::Display) {
    eprintln!("sluice: {}: {error}", what.display());
}

/// The error line of an input that failed. A failed read of the input names it already, so it is
/// not named twice.
fn report_failure(input: &std::path::Path, error: &sluice::Error) {
    if error.path() == Some(input) {
        eprintln!("sluice: {error}");
    } else {
        report_error(input, error);
    }
}
