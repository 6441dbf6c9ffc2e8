//! Command-line parsing, shared options and exit codes. Each subcommand has its own module.

mod checks;
mod clean;
mod diff;
mod explain;
mod generate;
mod repair;
mod rules;

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
    /// Say less on stderr: errors only (no progress, no summary lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more on stderr: with -v, a line for every document cleaned.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
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
    /// Print a shell completion script (`sluice completions bash > ~/.local/share/bash-completion/completions/sluice`).
    Completions(generate::CompletionsArgs),
    /// Print the man page, or a subcommand's (`sluice man clean > sluice-clean.1`).
    Man(generate::ManArgs),
}

/// How much goes to stderr besides errors: -1 quiet, 0 by default, 1 and more with -v.
static VERBOSITY: std::sync::atomic::AtomicI8 = std::sync::atomic::AtomicI8::new(0);

fn verbosity() -> i8 {
    VERBOSITY.load(std::sync::atomic::Ordering::Relaxed)
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
        if let Some(threads) = self.jobs {
            sluice::run::use_threads(threads);
        }
    }
}

/// How a command ended: success, or exit 1 when some documents or checks failed (exit 2 is an
/// error that ended the command).
type Status = ExitCode;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.quiet {
        -1
    } else {
        i8::try_from(cli.verbose).unwrap_or(i8::MAX)
    };
    VERBOSITY.store(level, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Clean(args) => clean::run(args),
        Command::Repair(args) => repair::run(args),
        Command::Check(args) => checks::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
    };
    match result {
        Ok(status) => status,
        // A reader closed our stdout (`sluice clean … | head`): stop quietly.
        Err(e) if e.chain().any(sluice::run::is_broken_pipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Success, or the failure of some documents.
fn status(ok: bool) -> Status {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The end of a JSON Lines stream: its summary line on stderr, and a failure only when asked for
/// (`--fail-on-error`): a failed record is an output record, and a job runner such as Spark's
/// `RDD.pipe(checkCode=True)` would fail the whole partition on exit code 1.
fn stream_status(
    summary: &sluice::run::StreamSummary,
    started: std::time::Instant,
    fail_on_error: bool,
) -> Status {
    let seconds = started.elapsed().as_secs_f64();
    let progress = sluice::run::Progress::new(verbosity(), false);
    progress.note(0, format_args!("{summary}, in {seconds:.1} s"));
    status(!(fail_on_error && summary.failed > 0))
}

/// The error line of an input that failed.
fn report_failure(input: &std::path::Path, error: &sluice::Error) {
    eprintln!("sluice: {}", error.about(input));
}
