//! Throughput of the `decode` stage (detection and decoding) on the real pages of
//! `../shared/corpus/cwced/original/` (mixed GBK, GB18030 and UTF-8, some with wrong declarations).
//!
//!     cargo bench --bench decode

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::RuleSet;
use sluice::stages::decode::Decode;

#[path = "../examples/support/html_pages.rs"]
mod html_pages;

fn decode_pages(c: &mut Criterion) {
    let pages = html_pages::pages(&["cwced"]).expect("the cwced pages");
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
