//! Throughput of HTML cleaning on the shared corpora (`../shared/corpus/{cwced,cx163}/original`):
//! the full pipeline as `sluice clean` runs it, `decode` alone, `decode`+`html`, the `html` stage alone
//! on decoded markup, and a bare html5ever parse (the floor). `cargo bench --bench html`; criterion
//! prints MiB/s per core (of input bytes).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::{Document, Pipeline, RuleSet, StageName};

use sluice_eval::html_pages;

fn bench(c: &mut Criterion) {
    let pages = html_pages::pages(&["cwced", "cx163"]).unwrap_or_default();
    if pages.is_empty() {
        eprintln!("no corpus under ../shared/corpus: nothing to measure");
        return;
    }
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let rules = RuleSet::defaults().expect("default rules");
    let full = Pipeline::from_rules(&rules).expect("pipeline");
    let decode_html =
        Pipeline::with_stages(&rules, [StageName::Decode, StageName::Html]).expect("pipeline");
    let decode_only = Pipeline::with_stages(&rules, [StageName::Decode]).expect("pipeline");
    let html_only = Pipeline::with_stages(&rules, [StageName::Html]).expect("pipeline");
    let decoded: Vec<String> = pages
        .iter()
        .map(|p| encoding_rs::GB18030.decode(p).0.into_owned())
        .collect();

    let mut group = c.benchmark_group("html");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("clean (all stages)", |b| {
        b.iter(|| {
            for page in &pages {
                let _ = full.clean(page);
            }
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            for page in &pages {
                let _ = decode_only.clean(page);
            }
        })
    });
    group.bench_function("decode+html", |b| {
        b.iter(|| {
            for page in &pages {
                let _ = decode_html.clean(page);
            }
        })
    });
    group.bench_function("html stage on decoded markup", |b| {
        b.iter(|| {
            for page in &decoded {
                let doc = Document::from_html(page.clone());
                std::hint::black_box(html_only.run(doc));
            }
        })
    });
    group.bench_function("html5ever parse only", |b| {
        b.iter(|| {
            for page in &decoded {
                std::hint::black_box(scraper::Html::parse_document(page));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
