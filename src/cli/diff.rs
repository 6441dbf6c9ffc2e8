//! `sluice diff`: what a rule change does to a corpus, before it is merged. Every input is cleaned
//! with the base rules and with the changed rules; documents whose output differs are shown as
//! unified diffs, with the rules whose edits appeared or disappeared.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sluice::explain::diff_corpus;
use sluice::{Pipeline, RuleSet};

use super::{JobArgs, Status, report_failure, status};

#[derive(Args)]
pub struct DiffArgs {
    /// Files or directories to clean with both rule sets.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// The changed rules, laid over the defaults.
    #[arg(long, value_name = "DIR")]
    rules: PathBuf,
    /// The base rules, laid over the defaults (default: the embedded rules alone).
    #[arg(long, value_name = "DIR")]
    base: Option<PathBuf>,
    /// Exit 1 when some output changes.
    #[arg(long)]
    exit_code: bool,
    #[command(flatten)]
    jobs: JobArgs,
}

pub fn run(args: DiffArgs) -> anyhow::Result<Status> {
    args.jobs.install();
    let base_rules = match &args.base {
        Some(dir) => RuleSet::load(dir, true)
            .with_context(|| format!("cannot load rules from {}", dir.display()))?,
        None => RuleSet::defaults()?,
    };
    let new_rules = RuleSet::load(&args.rules, true)
        .with_context(|| format!("cannot load rules from {}", args.rules.display()))?;
    let base = Pipeline::from_rules(&base_rules).context("the base rules do not compile")?;
    let new = Pipeline::from_rules(&new_rules).context("the changed rules do not compile")?;
    let diff = diff_corpus(&base, &new, &args.paths);
    for (path, error) in &diff.failures {
        report_failure(path, error);
    }
    write!(std::io::stdout().lock(), "{diff}")?;
    // A document that could not be compared may hide a change.
    let changed = !diff.changes.is_empty();
    Ok(status(
        !(args.exit_code && changed) && diff.failures.is_empty(),
    ))
}
