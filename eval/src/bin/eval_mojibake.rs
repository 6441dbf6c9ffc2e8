//! Evaluate the `mojibake` stage on the shared development cases.
//!
//! `cargo run --release --example eval_mojibake [-- CASES.jsonl] [--show KIND|worse] [--rules DIR]`
//! (default `../shared/data/mojibake/cases-dev.jsonl`). Prints, per kind, the cases that come back
//! exactly as the original, the clean controls changed, the cases whose output is farther from the
//! original than the input (character edit distance), and the median repair time per suspect case —
//! for the validation split first, then the training split. `--show` prints failures of the
//! training split only: the validation split is for measuring, not for looking at.
//!
//! The split is fixed by source text: the cases made from the sentences of seed pages 001, 002 and
//! 003 are the validation third (416 of the 1,238 cases), those of seeds 000 and 004 the training
//! rest. Holding out whole pages keeps every sentence of the validation split unseen while tuning.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Deserialize;
use sluice::StageName;
use sluice::internals::{Stage, build};
use sluice::{Document, RuleSet};

#[derive(Deserialize)]
struct Case {
    kind: String,
    source: String,
    broken: String,
    original: String,
}

/// The seed pages whose sentences make the validation split.
const VALIDATION_SOURCES: [&str; 3] = ["001", "002", "003"];

/// Kinds whose damage destroyed bytes: what is lost can only be guessed from context.
const LOSSY_KINDS: [&str; 5] = [
    "gbk_as_utf8_replace",
    "kunjinkao",
    "utf8_gbk_roundtrip",
    "qmark_gb2312",
    "qmark_big5",
];

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
    let stage = build(StageName::Mojibake, &rules)?;
    let cases: Vec<Case> = std::fs::read_to_string(&path)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    for (name, validation) in [("validation", true), ("train", false)] {
        let split: Vec<&Case> = cases
            .iter()
            .filter(|c| VALIDATION_SOURCES.contains(&c.source.as_str()) == validation)
            .collect();
        println!("\n## {name} ({} cases)\n", split.len());
        let show = if validation { None } else { show.as_deref() };
        evaluate(stage.as_ref(), &split, show);
    }
    Ok(())
}

fn evaluate(stage: &dyn Stage, cases: &[&Case], show: Option<&str>) {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut times = Vec::new();
    for case in cases {
        let mut doc = Document::from_text(case.broken.clone());
        let started = Instant::now();
        stage.run(&mut doc);
        let elapsed = started.elapsed();
        if case.broken != case.original {
            times.push(elapsed.as_secs_f64() * 1000.0);
        }
        let t = tallies.entry(case.kind.clone()).or_default();
        t.cases += 1;
        t.exact += usize::from(doc.text() == case.original);
        t.changed += usize::from(doc.text() != case.broken);
        t.flagged += usize::from(!doc.report().flags.is_empty());
        let worse = distance(doc.text(), &case.original) > distance(&case.broken, &case.original);
        t.worse += usize::from(worse);
        let shown = show == Some(case.kind.as_str()) || show == Some("worse") && worse;
        if shown && doc.text() != case.original {
            println!("B {}\nG {}\nO {}\n", case.broken, doc.text(), case.original);
        }
    }
    println!("| kind | cases | exact | changed | worse | flagged |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = Tally::default();
    let mut lossy = Tally::default();
    for (kind, t) in &tallies {
        print_row(kind, t);
        total.add(t);
        if LOSSY_KINDS.contains(&kind.as_str()) {
            lossy.add(t);
        }
    }
    print_row("**lossy kinds**", &lossy);
    print_row("**all**", &total);
    times.sort_by(f64::total_cmp);
    if let Some(median) = times.get(times.len() / 2) {
        println!("median time per damaged case: {median:.2} ms");
    }
}

fn print_row(kind: &str, t: &Tally) {
    println!(
        "| {kind} | {} | {} ({:.1}%) | {} | {} | {} |",
        t.cases,
        t.exact,
        100.0 * t.exact as f64 / t.cases.max(1) as f64,
        t.changed,
        t.worse,
        t.flagged
    );
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.cases += other.cases;
        self.exact += other.exact;
        self.changed += other.changed;
        self.worse += other.worse;
        self.flagged += other.flagged;
    }
}
