//! Speed of the `script` stage: `auto` on genuine traditional text (the common, clean case: census,
//! suspect windows, spin matching) and on a naive conversion that gets converted, and the explicit
//! conversions of a traditional page to `hans` and of a simplified page (a cwced article) to `tw`
//! and `twp` (OpenCC's s2tw and s2twp). Corpora are read from `../shared` relative to the
//! repository root.
//!
//! cargo bench --bench script

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::Document;
use sluice::RuleSet;
use sluice::StageName;
use sluice::internals::Script;
use sluice::internals::Stage;

const GENUINE: &str = "../shared/data/script/genuine_traditional_gutenberg25328.txt";
const SEED_000: &str = "../shared/seeds/000_f9ea8ca411a4d941.txt";
const SIMPLIFIED: &str = "../shared/corpus/cwced/cleaned/c38e2b2d-b578-4808-9251-3abf183ef19e.txt";

fn script(mode: &str) -> Script {
    let mut rules = RuleSet::defaults().expect("default rules load");
    rules.override_setting(StageName::Script, "mode", toml::Value::String(mode.into()));
    Script::from_rules(&rules).expect("script stage builds")
}

fn bench_stage(c: &mut Criterion, name: &str, stage: &Script, text: &str) {
    let mut group = c.benchmark_group("script");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut doc = Document::from_text(text);
            stage.run(&mut doc);
            black_box(doc.text().len())
        })
    });
    group.finish();
}

fn script_stage(c: &mut Criterion) {
    let genuine = std::fs::read_to_string(GENUINE).expect("genuine traditional corpus");
    let seed = std::fs::read_to_string(SEED_000).expect("seed 000");
    let simplified = std::fs::read_to_string(SIMPLIFIED).expect("cwced article");
    // Warm the language model outside the measurement.
    sluice::internals::model();
    let auto = script("auto");
    bench_stage(c, "auto/genuine_traditional", &auto, &genuine);
    bench_stage(c, "auto/seed_000", &auto, &seed);
    bench_stage(c, "hans/genuine_traditional", &script("hans"), &genuine);
    bench_stage(c, "tw/simplified", &script("tw"), &simplified);
    bench_stage(c, "twp/simplified", &script("twp"), &simplified);
}

criterion_group!(benches, script_stage);
criterion_main!(benches);
