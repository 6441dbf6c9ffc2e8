//! Throughput of the `spam` stage alone, on clean text and on injected text.
//!
//! `cargo bench --bench spam`. The corpora come from `../shared/data/spam/cases-dev.jsonl`: the gold
//! `clean` side of every text case (clean text, as most of an archive is), and the `dirty` side of the
//! injected cases.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::internals::Spam;
use sluice::internals::Stage;
use sluice::{Document, RuleSet, StageName};

fn corpus(field: &str, only_dirty: bool) -> Vec<String> {
    let path = PathBuf::from(sluice_eval::REPO).join("../shared/data/spam/cases-dev.jsonl");
    let text = std::fs::read_to_string(path).expect("../shared/data/spam/cases-dev.jsonl");
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["format"] == "text")
        .filter(|v| !only_dirty || v["negative"] == false)
        .filter_map(|v| v[field].as_str().map(str::to_string))
        .collect()
}

fn bench(c: &mut Criterion) {
    let rules = RuleSet::defaults().expect("rules");
    let stage = Spam::from_rules(&rules).expect("spam rules");
    assert_eq!(stage.name(), StageName::Spam);
    // Warm the language model so that its one-time load is not measured.
    sluice::internals::model();
    for (name, docs) in [
        ("clean", corpus("clean", false)),
        ("injected", corpus("dirty", true)),
    ] {
        let bytes: usize = docs.iter().map(String::len).sum();
        let mut group = c.benchmark_group("spam");
        group.throughput(Throughput::Bytes(bytes as u64));
        group.sample_size(20);
        group.bench_function(name, |b| {
            b.iter(|| {
                for text in &docs {
                    let mut doc = Document::from_text(text.as_str());
                    stage.run(&mut doc);
                    black_box(doc.text().len());
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
