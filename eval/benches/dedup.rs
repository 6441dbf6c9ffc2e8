//! Speed of dedup: corpus signatures plus LSH clustering (documents per second, one thread), and
//! the in-document stage on seed pages.
//!
//!     python3 scripts/gen_dedup_corpus.py      # the corpus, once
//!     cargo bench --bench dedup
//!
//! The corpus is read from `target/dedup-corpus/corpus.jsonl` (or `$SLUICE_DEDUP_CORPUS`); without it
//! the corpus benchmarks are skipped with a message.
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`; wall time where there is no
//! such clock): the figure asked for is per core, and on a shared machine wall time mostly measures
//! the other processes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::internals::{CorpusDedup, Signature};
use sluice::{Document, RuleSet, StageName};

use cpu_time::thread_cpu_ns;
use sluice_eval::cpu_time;

fn corpus_texts() -> Option<Vec<String>> {
    let path = std::env::var_os("SLUICE_DEDUP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(sluice_eval::REPO).join("target/dedup-corpus/corpus.jsonl"));
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

fn corpus(c: &mut Criterion<ThreadCpuTime>) {
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

fn stage(c: &mut Criterion<ThreadCpuTime>) {
    let rules = RuleSet::defaults().expect("rules");
    let stage = sluice::internals::build(StageName::Dedup, &rules).expect("builds");
    let seeds = Path::new(sluice_eval::REPO).join("../shared/seeds");
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

/// CPU time of the benchmark thread, in nanoseconds (wall time where there is no thread clock).
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = (Option<f64>, Instant);
    type Value = f64;

    fn start(&self) -> Self::Intermediate {
        (thread_cpu_ns(), Instant::now())
    }
    fn end(&self, (cpu, wall): Self::Intermediate) -> f64 {
        match (cpu, thread_cpu_ns()) {
            (Some(start), Some(end)) => end - start,
            _ => wall.elapsed().as_nanos() as f64,
        }
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical_ns {
            t if t < 1e3 => (1.0, "ns cpu"),
            t if t < 1e6 => (1e-3, "µs cpu"),
            t if t < 1e9 => (1e-6, "ms cpu"),
            _ => (1e-9, "s cpu"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical_ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per_iteration, divisor, unit) = match *throughput {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => {
                (b as f64, 1048576.0, "MiB/s cpu")
            }
            Throughput::Elements(e) | Throughput::ElementsAndBytes { elements: e, .. } => {
                (e as f64, 1.0, "elem/s cpu")
            }
            Throughput::Bits(b) => (b as f64, 1e6, "Mbit/s cpu"),
        };
        values
            .iter_mut()
            .for_each(|v| *v = per_iteration * 1e9 / *v / divisor);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = corpus, stage
}
criterion_main!(benches);
