//! A rules directory laid over the defaults, as `--rules DIR` does: here one more boilerplate rule,
//! whose examples are checked before it is used.
//!
//!     cargo run --release --example custom_rules

use anyhow::ensure;
use sluice::check::{Tally, check_rule_examples};
use sluice::{Pipeline, RuleSet};

/// A site's own slogan line, which no default rule knows.
const RULE: &str = r#"
[[rule]]
id = "boilerplate.site-slogan"
stage = "boilerplate"
kind = "line"
description = "The slogan line of the site we crawl."
patterns = ["^歡迎光臨本站"]
unchanged = ["他說：歡迎光臨本站的每一位讀者。"]
[[rule.example]]
input = "正文第一段。\n歡迎光臨本站，祝您閱讀愉快\n正文第二段。"
output = "正文第一段。\n正文第二段。"
"#;

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("site.toml"), RULE)?;
    let rules = RuleSet::load(dir.path(), true)?;
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
