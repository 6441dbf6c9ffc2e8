//! Run the in-document `dedup` stage alone on text files and print every edit: the review tool
//! behind the figures in docs/dedup.md.
//!
//!     cargo run --release --example dedup_stage -- ../shared/corpus/cwced/cleaned/*.txt

use sluice::{Document, RuleSet, StageName};

fn main() -> anyhow::Result<()> {
    let rules = RuleSet::defaults()?;
    let stage = sluice::internals::build(StageName::Dedup, &rules)?;
    let (mut files, mut touched, mut edits) = (0, 0, 0);
    for path in std::env::args().skip(1) {
        let mut doc = Document::from_text(std::fs::read_to_string(&path)?);
        stage.run(&mut doc);
        files += 1;
        touched += usize::from(!doc.report().edits.is_empty());
        for edit in &doc.report().edits {
            let before: String = edit.before.trim().chars().take(50).collect();
            println!(
                "{path}: {} {}..{} {before:?}",
                edit.rule, edit.start, edit.end
            );
            edits += 1;
        }
    }
    println!("{files} files, {touched} with edits, {edits} edits");
    Ok(())
}
