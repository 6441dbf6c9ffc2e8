//! Throughput of the `decode` stage (detection and decoding) on the real pages of
//! `../shared/corpus/cwced/original/` (mixed GBK, GB18030 and UTF-8, some with wrong declarations).
//!
//!     cargo bench --bench decode

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::RuleSet;
use sluice::stages::decode::Decode;

fn pages() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/cwced/original");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("readable page"))
        .collect()
}

fn decode_pages(c: &mut Criterion) {
    let pages = pages();
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let decode =
        Decode::from_rules(&RuleSet::defaults().expect("default rules")).expect("decode stage");
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("cwced pages", |b| {
        b.iter(|| {
            for page in &pages {
                std::hint::black_box(decode.decode(page, None));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode_pages);
criterion_main!(benches);
