//! Speed of the `mojibake` and `pinyin` stages: clean text (the common case, a cheap scan), the
//! repair of one suspect run, and pages of dense damage of growing size (the search budget keeps the
//! time per KiB flat). `cargo bench --bench repair_stages`.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use sluice::StageName;
use sluice::internals::{self, Stage};
use sluice::{Document, RuleSet};

#[derive(Deserialize)]
struct Case {
    kind: String,
    broken: String,
}

/// The shared mojibake cases' texts whose kind `keep` accepts, one a line, repeated to at least
/// `bytes`.
fn case_text(keep: impl Fn(&str) -> bool, bytes: usize) -> String {
    let path = PathBuf::from(sluice_eval::REPO).join("../shared/data/mojibake/cases-dev.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(path)
        .expect("the shared mojibake cases")
        .lines()
        .filter_map(|l| serde_json::from_str::<Case>(l).ok())
        .filter(|c| keep(&c.kind))
        .map(|c| c.broken)
        .collect();
    let block = lines.join("\n");
    let mut text = String::new();
    while text.len() < bytes {
        text.push_str(&block);
        text.push('\n');
    }
    text
}

/// About 1 MB of clean Chinese lines: the clean controls of the shared mojibake cases, repeated.
fn clean_text() -> String {
    case_text(|kind| kind == "clean", 1 << 20)
}

fn build(name: StageName) -> Box<dyn Stage> {
    let rules = RuleSet::defaults().expect("default rules");
    internals::build(name, &rules).expect("valid rules")
}

fn run(stage: &dyn Stage, text: &str) -> usize {
    let mut doc = Document::from_text(text);
    stage.run(&mut doc);
    doc.report().edits.len()
}

fn clean(c: &mut Criterion) {
    let text = clean_text();
    let mut group = c.benchmark_group("clean-text");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    for name in [StageName::Mojibake, StageName::Pinyin] {
        let stage = build(name);
        assert_eq!(
            run(stage.as_ref(), &text),
            0,
            "clean text changed by {name}"
        );
        group.bench_function(name.as_str(), |b| b.iter(|| run(stage.as_ref(), &text)));
    }
    group.finish();
}

fn suspect_runs(c: &mut Criterion) {
    let stage = build(StageName::Mojibake);
    let mut group = c.benchmark_group("mojibake-suspect-run");
    group.sample_size(20);
    let runs = [
        ("byte-slip", "無所不用其極?墒侨说男袨閼T性是那么難改"),
        ("redecode-utf8-as-gbk", "鐩\u{E1BC}墠,鐩告瘮寰\u{E1BB}俊"),
        ("entity", "這些都是承&#x8f09;和建立關&#x7cfb;"),
    ];
    for (name, line) in runs {
        assert!(run(stage.as_ref(), line) > 0, "{name} not repaired");
        group.bench_function(name, |b| b.iter(|| run(stage.as_ref(), line)));
    }
    group.finish();
}

/// Every damaged case, one a line, cut to 2, 8 and 32 KiB: the worst input the stage sees.
fn dense_damage(c: &mut Criterion) {
    let stage = build(StageName::Mojibake);
    let all = case_text(|kind| kind != "clean", 32 << 10);
    let mut group = c.benchmark_group("mojibake-dense-damage");
    group.sample_size(10);
    for kib in [2usize, 8, 32] {
        let cut = (0..=kib << 10)
            .rev()
            .find(|&i| all.is_char_boundary(i))
            .unwrap_or(0);
        let text = &all[..cut];
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{kib}KiB"), |b| {
            b.iter(|| run(stage.as_ref(), text))
        });
    }
    group.finish();
}

criterion_group!(benches, clean, suspect_runs, dense_damage);
criterion_main!(benches);
