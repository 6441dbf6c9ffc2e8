//! `sluice explain FILE`: every edit and flag of one file, like a linter (`sluice::explain`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sluice::Pipeline;
use sluice::run::read_input;

use super::{RuleArgs, Status};

#[derive(Args)]
pub struct ExplainArgs {
    /// The file to explain.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<Status> {
    let rules = args.rules.load()?;
    let pipeline = Pipeline::from_rules(&rules).context("the rules do not compile")?;
    let name = args.file.display().to_string();
    let bytes = read_input(&args.file).with_context(|| name.clone())?;
    let explanation = sluice::explain::explain(&pipeline, &name, &bytes).context(name)?;
    std::io::stdout().lock().write_all(explanation.as_bytes())?;
    Ok(Status::SUCCESS)
}
