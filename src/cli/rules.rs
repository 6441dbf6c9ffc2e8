//! `sluice rules [ID]`: list the rules, or document one.

use std::io::Write;

use anyhow::bail;
use clap::Args;

use super::{RuleArgs, Status};

#[derive(Args)]
pub struct RulesArgs {
    /// A rule id: print its documentation and examples.
    #[arg(value_name = "ID")]
    id: Option<String>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: RulesArgs) -> anyhow::Result<Status> {
    let rules = args.rules.load()?;
    let text = match &args.id {
        None => rules.listing(),
        Some(id) => match rules.document(id)? {
            Some(text) => text,
            None => bail!("no rule `{id}` (see `sluice rules`)"),
        },
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(Status::SUCCESS)
}
