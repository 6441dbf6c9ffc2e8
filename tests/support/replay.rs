//! The report-replay check: for every text stage, applying its recorded edits to its input
//! ([`sluice::Report::replay`]) gives its output. Shared by the end-to-end tests
//! (`tests/accounting.rs`, `tests/properties.rs`) and the fuzz targets (`fuzz/src/lib.rs`), which
//! include this file with `#[path]`; it reports a mismatch as an error rather than asserting so that
//! each caller decides how to fail.

use sluice::{Document, Pipeline, StageName};

/// Run `pipeline` over `doc` keeping each stage's input, check that every text stage's edits
/// reproduce its output, and return the document as the last stage left it.
pub fn run_accounted(pipeline: &Pipeline, doc: Document) -> Result<Document, String> {
    let mut inputs: Vec<(StageName, String)> = Vec::new();
    // A stage observed again (after the pipeline's settle) is reported on its last input.
    let done = pipeline.run_stages(doc, |stage, before| {
        let input = before.text().to_string();
        match inputs.iter_mut().find(|(s, _)| *s == stage) {
            Some(seen) => seen.1 = input,
            None => inputs.push((stage, input)),
        }
    });
    let outputs = inputs
        .iter()
        .skip(1)
        .map(|(_, text)| text.as_str())
        .chain([done.text()]);
    for ((stage, input), output) in inputs.iter().zip(outputs) {
        if matches!(stage, StageName::Decode | StageName::Html) {
            continue;
        }
        let replayed = done
            .report()
            .replay(*stage, input)
            .map_err(|e| format!("stage {stage}'s edits do not fit its input: {e}"))?;
        if replayed != output {
            return Err(format!("stage {stage}'s edits do not reproduce its output"));
        }
    }
    Ok(done)
}
