//! End-to-end `Pipeline::clean` throughput, every registered stage, on one core:
//! the five seed pages (text inputs), the real HTML pages of `../shared/corpus/cwced/original/`
//! (text-dense pages) and those of cwced and `../shared/corpus/cx163/original/` together (the page
//! set of the HTML issue's throughput target).
//!
//!     cargo bench --bench pipeline

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::{Pipeline, RuleSet};

use sluice_eval::html_pages;

fn files(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| keep(p))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("readable file"))
        .collect()
}

fn clean_all(c: &mut Criterion) {
    let root = Path::new(sluice_eval::REPO);
    let seeds = files(&root.join("fixtures/seeds"), |p| {
        p.extension().is_some_and(|e| e == "txt") && !p.to_string_lossy().contains(".expected.")
    });
    let cwced = html_pages::pages(&["cwced"]).expect("the cwced pages");
    let both = html_pages::pages(&["cwced", "cx163"]).expect("the cwced and cx163 pages");
    let pipeline =
        Pipeline::from_rules(&RuleSet::defaults().expect("default rules")).expect("pipeline");
    let mut group = c.benchmark_group("clean");
    for (name, docs) in [
        ("seed text pages", &seeds),
        ("cwced html pages", &cwced),
        ("cwced+cx163 html pages", &both),
    ] {
        group.throughput(Throughput::Bytes(
            docs.iter().map(Vec::len).sum::<usize>() as u64
        ));
        group.bench_function(name, |b| {
            b.iter(|| {
                for doc in docs.iter() {
                    let _ = std::hint::black_box(pipeline.clean(doc));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, clean_all);
criterion_main!(benches);
