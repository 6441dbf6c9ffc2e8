//! Throughput of the `decode` stage (detection and decoding).
//!
//!     cargo bench --bench decode                 # everything
//!     cargo bench --bench decode -- "cwced"      # the real pages only
//!     cargo bench --bench decode -- "long/"      # time per MB from 1 MB to 20 MB
//!
//! `decode/cwced pages`: the real pages of `../shared/corpus/cwced/original/` (mixed GBK, GB18030
//! and UTF-8, some with wrong declarations).
//!
//! `long/KIND/N MB`: N MB (1, 5, 10, 20) of the real main texts of `../shared/corpus/cwced/cleaned/`
//! repeated, as valid UTF-8, UTF-8 with one stray invalid byte in the middle, GBK with one, and one
//! line of UTF-8 (line ends replaced by spaces) with one. The throughput criterion prints should
//! be flat across N: a stray byte once cost the size of the document per malformed sequence of
//! each candidate decoding (quadratic: 249 s for 20 MB).

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sluice::RuleSet;
use sluice::internals::Decode;

use sluice_eval::html_pages;

const MB: usize = 1_000_000;

fn decoder() -> Decode {
    Decode::from_rules(&RuleSet::defaults().expect("default rules")).expect("decode stage")
}

fn decode_pages(c: &mut Criterion) {
    let pages = html_pages::pages(&["cwced"]).expect("the cwced pages");
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let decode = decoder();
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

/// The cwced main texts, one after another.
fn corpus_text() -> String {
    let dir = Path::new(sluice_eval::REPO).join("../shared/corpus/cwced/cleaned");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the cwced texts")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("a UTF-8 text"))
        .collect()
}

/// `unit` repeated to `size` bytes (cut at a character boundary by `boundary`), with 0xFF put in
/// the middle when `stray`.
fn long_input(
    unit: &[u8],
    size: usize,
    stray: bool,
    boundary: impl Fn(&[u8], usize) -> usize,
) -> Vec<u8> {
    // A few bytes past `size`, so the cut always has the next character's first byte to see.
    let mut bytes: Vec<u8> = unit.iter().copied().cycle().take(size + 8).collect();
    let end = boundary(&bytes, size);
    bytes.truncate(end);
    if stray {
        let middle = boundary(&bytes, bytes.len() / 2);
        bytes.insert(middle, 0xFF);
    }
    bytes
}

/// The last UTF-8 character boundary at or before `at` (< `bytes.len()`).
fn utf8_boundary(bytes: &[u8], at: usize) -> usize {
    (0..=at)
        .rev()
        .find(|&i| (bytes[i] & 0xC0) != 0x80)
        .unwrap_or(0)
}

/// The last GBK character boundary at or before `at`, counted from the start (every lead byte
/// takes its trail byte with it).
fn gbk_boundary(bytes: &[u8], at: usize) -> usize {
    let mut i = 0;
    while i < at {
        let step = if bytes[i] >= 0x81 { 2 } else { 1 };
        if i + step > at {
            break;
        }
        i += step;
    }
    i
}

fn long_documents(c: &mut Criterion) {
    let text = corpus_text();
    let utf8 = text.as_bytes().to_vec();
    let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
    let one_line = text.replace(['\n', '\r'], " ").into_bytes();
    let decode = decoder();
    let mut group = c.benchmark_group("long");
    group.sample_size(10);
    type Kind<'a> = (&'a str, &'a [u8], bool, fn(&[u8], usize) -> usize);
    let kinds: [Kind; 4] = [
        ("valid UTF-8", &utf8, false, utf8_boundary),
        ("UTF-8 with a stray byte", &utf8, true, utf8_boundary),
        ("GBK with a stray byte", &gbk, true, gbk_boundary),
        (
            "one line of UTF-8 with a stray byte",
            &one_line,
            true,
            utf8_boundary,
        ),
    ];
    for (kind, unit, stray, boundary) in kinds {
        for mb in [1, 5, 10, 20] {
            let input = long_input(unit, mb * MB, stray, boundary);
            group.throughput(Throughput::Bytes(input.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(kind, format!("{mb} MB")),
                &input,
                |b, input| b.iter(|| std::hint::black_box(decode.decode(input, None))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, decode_pages, long_documents);
criterion_main!(benches);
