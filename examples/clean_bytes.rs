//! Clean one page from its raw bytes (any charset, HTML or text) and list what each stage changed.
//!
//!     cargo run --release --example clean_bytes -- fixtures/seeds/000.txt

use anyhow::Context;
use sluice::{Pipeline, RuleSet};

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).context("usage: clean_bytes FILE")?;
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {path}"))?;
    // Build the pipeline once: it compiles every rule, then cleans any number of documents.
    let pipeline = Pipeline::from_rules(&RuleSet::defaults()?)?;
    let cleaned = pipeline.clean(&bytes)?;
    print!("{}", cleaned.render());
    for (stage, edits) in cleaned.report.edits_per_stage() {
        eprintln!("{stage}: {edits} edits");
    }
    Ok(())
}
