//! Speed of dedup: corpus signatures plus LSH clustering (documents per second, one thread), and
//! the in-document stage on seed pages.
//!
//!     python3 scripts/gen_dedup_corpus.py      # the corpus, once
//!     cargo bench --bench dedup
//!
//! The corpus is read from `target/dedup-corpus/corpus.jsonl` (or `$SLUICE_DEDUP_CORPUS`); without it
//! the corpus benchmarks are skipped with a message.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::corpus::{CorpusDedup, Signature};
use sluice::{Document, RuleSet, StageName};

fn corpus_texts() -> Option<Vec<String>> {
    let path = std::env::var_os("SLUICE_DEDUP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dedup-corpus/corpus.jsonl")
        });
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "{}: not found, corpus benchmarks skipped (run scripts/gen_dedup_corpus.py)",
            path.display()
        );
        return None;
    };
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            Some(value["text"].as_str()?.to_string())
        })
        .collect()
}

fn corpus(c: &mut Criterion) {
    let Some(texts) = corpus_texts() else {
        return;
    };
    let rules = RuleSet::defaults().expect("rules");
    let folder = rules.folder().expect("folder");
    let settings = CorpusDedup::from_rules(&rules).expect("settings");
    let lengths: Vec<usize> = texts.iter().map(String::len).collect();
    let signatures: Vec<Signature> = texts.iter().map(|t| Signature::of(t, &folder)).collect();

    let mut group = c.benchmark_group("corpus");
    group.sample_size(10);
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("signatures", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| Signature::of(t, &folder))
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("lsh_cluster", |b| {
        b.iter(|| settings.cluster(&signatures, &lengths))
    });
    group.bench_function("signatures_plus_lsh", |b| {
        b.iter(|| {
            let signatures: Vec<Signature> =
                texts.iter().map(|t| Signature::of(t, &folder)).collect();
            settings.cluster(&signatures, &lengths)
        })
    });
    group.finish();
}

fn stage(c: &mut Criterion) {
    let rules = RuleSet::defaults().expect("rules");
    let stage = sluice::stages::build(StageName::Dedup, &rules)
        .expect("implemented")
        .expect("builds");
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let mut group = c.benchmark_group("stage");
    for prefix in ["001", "004"] {
        let Some(text) = std::fs::read_dir(&seeds)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .and_then(|e| std::fs::read_to_string(e.path()).ok())
        else {
            eprintln!("seed {prefix} not found under {}", seeds.display());
            continue;
        };
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("seed_{prefix}"), |b| {
            b.iter(|| {
                let mut doc = Document::from_text(text.clone());
                stage.run(&mut doc);
                doc
            })
        });
    }
    group.finish();
}

criterion_group!(benches, corpus, stage);
criterion_main!(benches);
