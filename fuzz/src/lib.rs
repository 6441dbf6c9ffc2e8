//! What the fuzz targets share: the default rules and pipelines, built once per process, and the
//! report-replay check (the same file the end-to-end tests use).

use std::sync::OnceLock;

use sluice::{Document, Format, Pipeline, RuleSet, StageName};

#[path = "../../tests/support/replay.rs"]
mod replay;

/// The largest input a target passes on: libFuzzer's inputs are small, and a bound keeps every run
/// short enough that a slow input stands out as slow rather than as large.
pub const MAX_INPUT: usize = 256 << 10;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::defaults().expect("the default rules compile"))
}

/// A pipeline of the one stage `name`.
pub fn stage_pipeline(name: StageName) -> &'static Pipeline {
    static PIPELINES: [OnceLock<Pipeline>; StageName::ALL.len()] =
        [const { OnceLock::new() }; StageName::ALL.len()];
    let index = StageName::ALL.iter().position(|n| *n == name).unwrap_or(0);
    PIPELINES[index]
        .get_or_init(|| Pipeline::with_stages(rules(), [name]).expect("the stage builds"))
}

/// The whole cleaning pipeline.
pub fn full_pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::from_rules(rules()).expect("the pipeline builds"))
}

/// Run `pipeline` over `doc` and panic (the fuzzer's crash) when a text stage's edits do not replay
/// to its output.
pub fn run_accounted(pipeline: &Pipeline, doc: Document) -> Document {
    replay::run_accounted(pipeline, doc).unwrap_or_else(|mismatch| panic!("{mismatch}"))
}

/// One text stage over the input read as text (invalid UTF-8 replaced), with its edits replayed.
pub fn fuzz_text_stage(name: StageName, data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(data).into_owned();
    run_accounted(stage_pipeline(name), Document::from_text(text));
}

/// The whole pipeline over raw bytes, as `sluice clean` runs it, with every text stage's edits
/// replayed.
pub fn fuzz_pipeline(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let pipeline = full_pipeline();
    let format = Format::sniff(data);
    if pipeline.check_input(data, format).is_ok() {
        run_accounted(pipeline, Document::from_bytes(data.to_vec(), format));
    }
}
