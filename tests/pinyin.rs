//! The `pinyin` stage on the seed pages and the shared negatives, and its rule examples.

use std::path::PathBuf;

use sluice::StageName;
use sluice::internals::build;
use sluice::{Document, RuleSet};

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

fn run(text: &str) -> Document {
    let rules = RuleSet::defaults().unwrap();
    let stage = build(StageName::Pinyin, &rules).unwrap();
    let mut doc = Document::from_text(text);
    stage.run(&mut doc);
    doc
}

/// What is left of a removed annotation: only the bracket and the syllable, never a character.
fn assert_only_glosses_removed(doc: &Document) {
    for edit in &doc.report().edits {
        assert!(edit.after.is_empty(), "{edit:?}");
        let inner = edit.before.trim_start_matches('(').trim_end_matches(')');
        assert!(
            inner
                .chars()
                .all(|c| c.is_alphabetic() && !c.is_ascii_uppercase())
        );
        assert!(inner.chars().all(|c| !sluice::internals::is_han(c)));
    }
}

#[test]
fn strips_every_annotation_of_seeds_002_and_003() {
    let mut total = 0;
    for prefix in ["002", "003"] {
        let doc = run(&seed(prefix));
        assert_only_glosses_removed(&doc);
        total += doc.report().edits.len();
        for kept in ["微信(qinshituan)", "(0)", "(上)"] {
            assert_eq!(
                doc.text().contains(kept),
                seed(prefix).contains(kept),
                "{kept}"
            );
        }
    }
    assert_eq!(total, 305);
}

#[test]
fn seeds_without_annotations_are_untouched() {
    for prefix in ["000", "001", "004"] {
        let text = seed(prefix);
        assert_eq!(run(&text).text(), text);
    }
}

#[test]
fn no_negative_is_touched_alone_or_together() {
    let negatives = std::fs::read_to_string(shared("data/pinyin/negatives.txt")).unwrap();
    for line in negatives.lines() {
        assert_eq!(run(line).text(), line);
    }
    assert_eq!(run(&negatives).text(), negatives);
}
