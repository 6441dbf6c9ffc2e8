//! Evaluate the `mojibake` stage on the shared development cases.
//!
//! `cargo run --release --example eval_mojibake [-- CASES.jsonl] [--show KIND|worse] [--rules DIR]`
//! (default `../shared/data/mojibake/cases-dev.jsonl`). Prints, per kind, the cases that come back
//! exactly as the original, the clean controls changed, the cases whose output is farther from the
//! original than the input (character edit distance), and the median repair time per suspect case.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Deserialize;
use sluice::stages::{self, StageName};
use sluice::{Document, RuleSet};

#[derive(Deserialize)]
struct Case {
    kind: String,
    broken: String,
    original: String,
}

#[derive(Default)]
struct Tally {
    cases: usize,
    exact: usize,
    changed: usize,
    worse: usize,
    flagged: usize,
}

/// Character edit distance from the `similar` diff: a replaced group costs its longer side.
fn distance(a: &str, b: &str) -> usize {
    similar::TextDiff::from_chars(a, b)
        .ops()
        .iter()
        .map(|op| match *op {
            similar::DiffOp::Equal { .. } => 0,
            similar::DiffOp::Delete { old_len, .. } => old_len,
            similar::DiffOp::Insert { new_len, .. } => new_len,
            similar::DiffOp::Replace {
                old_len, new_len, ..
            } => old_len.max(new_len),
        })
        .sum()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1).cloned());
    let path = args
        .iter()
        .find(|a| a.ends_with(".jsonl"))
        .cloned()
        .unwrap_or_else(|| "../shared/data/mojibake/cases-dev.jsonl".into());
    let rules = match args.iter().position(|a| a == "--rules") {
        Some(i) => RuleSet::load(std::path::Path::new(&args[i + 1]), true)?,
        None => RuleSet::defaults()?,
    };
    let stage = stages::build(StageName::Mojibake, &rules)?;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut times = Vec::new();
    for line in std::fs::read_to_string(&path)?.lines() {
        let case: Case = serde_json::from_str(line)?;
        let mut doc = Document::from_text(case.broken.clone());
        let started = Instant::now();
        stage.run(&mut doc);
        let elapsed = started.elapsed();
        if case.broken != case.original {
            times.push(elapsed.as_secs_f64() * 1000.0);
        }
        let t = tallies.entry(case.kind.clone()).or_default();
        t.cases += 1;
        t.exact += usize::from(doc.text == case.original);
        t.changed += usize::from(doc.text != case.broken);
        t.flagged += usize::from(!doc.report.flags.is_empty());
        let worse = distance(&doc.text, &case.original) > distance(&case.broken, &case.original);
        t.worse += usize::from(worse);
        let shown = show.as_deref() == Some(case.kind.as_str())
            || show.as_deref() == Some("worse") && worse;
        if shown && doc.text != case.original {
            println!("B {}\nG {}\nO {}\n", case.broken, doc.text, case.original);
        }
    }
    println!("| kind | cases | exact | changed | worse | flagged |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = Tally::default();
    for (kind, t) in &tallies {
        println!(
            "| {kind} | {} | {} ({:.0}%) | {} | {} | {} |",
            t.cases,
            t.exact,
            100.0 * t.exact as f64 / t.cases as f64,
            t.changed,
            t.worse,
            t.flagged
        );
        total.cases += t.cases;
        total.exact += t.exact;
        total.changed += t.changed;
        total.worse += t.worse;
        total.flagged += t.flagged;
    }
    println!(
        "| **all** | {} | {} ({:.1}%) | {} | {} | {} |",
        total.cases,
        total.exact,
        100.0 * total.exact as f64 / total.cases as f64,
        total.changed,
        total.worse,
        total.flagged
    );
    times.sort_by(f64::total_cmp);
    if let Some(median) = times.get(times.len() / 2) {
        println!("median time per damaged case: {median:.2} ms");
    }
    Ok(())
}
