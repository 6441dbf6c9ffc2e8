//! A rules directory laid over the defaults, as `--rules DIR` does: here `examples/site-rules/`,
//! one more boilerplate rule, whose examples are checked before it is used.
//!
//!     cargo run --release --example custom_rules

use std::path::Path;

use anyhow::ensure;
use sluice::check::{Tally, check_rule_examples};
use sluice::{Pipeline, RuleSet};

fn main() -> anyhow::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site-rules");
    let rules = RuleSet::load(&dir, true)?;
    let mut tally = Tally::default();
    check_rule_examples(&rules, &mut tally)?;
    ensure!(tally.failed == 0, "{}", tally.messages.join("\n"));
    let pipeline = Pipeline::from_rules(&rules)?;
    let cleaned = pipeline
        .clean("標題\n\n正文第一段。\n歡迎光臨本站，祝您閱讀愉快\n正文第二段。".as_bytes())?;
    print!("{}", cleaned.render());
    for edit in &cleaned.report.edits {
        eprintln!("{}: removed {:?}", edit.rule, edit.before);
    }
    Ok(())
}
