//! `sluice check`: the rules compile, every rule's examples hold, every golden fixture still produces
//! its expected output (the checks are the library's `sluice::check`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sluice::Pipeline;
use sluice::check::{Tally, check_fixtures, check_rule_examples};

use super::{RuleArgs, Status, status};

#[derive(Args)]
pub struct CheckArgs {
    /// Golden fixtures: every `NAME.expected.txt` under DIR is the `sluice clean` output expected for
    /// the input file `NAME.<ext>` beside it.
    #[arg(long, value_name = "DIR", default_value = "fixtures")]
    fixtures: PathBuf,
    /// Write the actual output of failing fixtures to their expected files (then review the diff).
    #[arg(long)]
    bless: bool,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: CheckArgs) -> anyhow::Result<Status> {
    let rules = args.rules.load()?;
    let pipeline = Pipeline::from_rules(&rules).context("the rules do not compile")?;
    let mut tally = Tally::default();
    check_rule_examples(&rules, &mut tally)?;
    if args.fixtures.is_dir() {
        check_fixtures(&rules, &pipeline, &args.fixtures, args.bless, &mut tally)?;
    } else {
        eprintln!("sluice: no fixtures directory {}", args.fixtures.display());
    }
    print!("{tally}");
    Ok(status(tally.failed == 0))
}
