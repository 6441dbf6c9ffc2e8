//! The report-replay check: for every text stage, applying its recorded edits to its input gives its
//! output. Shared by the end-to-end tests (`tests/accounting.rs`, `tests/properties.rs`) and the fuzz
//! targets (`fuzz/src/lib.rs`), which include this file with `#[path]`; it reports a mismatch as an
//! error rather than asserting so that each caller decides how to fail.

use sluice::{Document, Edit, Pipeline, StageName};

/// Apply a stage's edits (byte ranges in its input, in order) to its input.
pub fn replay(input: &str, edits: &[&Edit]) -> Result<String, String> {
    let mut out = String::with_capacity(input.len());
    let mut cursor = 0;
    for edit in edits {
        if edit.start < cursor || edit.end < edit.start {
            return Err(format!("edits overlap or are out of order: {edit:?}"));
        }
        if input.get(edit.start..edit.end) != Some(edit.before.as_str()) {
            return Err(format!("edit does not match its input: {edit:?}"));
        }
        out.push_str(&input[cursor..edit.start]);
        out.push_str(&edit.after);
        cursor = edit.end;
    }
    out.push_str(&input[cursor..]);
    Ok(out)
}

/// Run `pipeline` over `doc` keeping each stage's input, check that every text stage's edits
/// reproduce its output, and return the document as the last stage left it.
pub fn run_accounted(pipeline: &Pipeline, doc: Document) -> Result<Document, String> {
    let mut inputs: Vec<(StageName, String)> = Vec::new();
    let done = pipeline.run_stages(doc, |stage, before| {
        inputs.push((stage, before.text.clone()))
    });
    let outputs = inputs
        .iter()
        .skip(1)
        .map(|(_, text)| text.as_str())
        .chain([done.text.as_str()]);
    for ((stage, input), output) in inputs.iter().zip(outputs) {
        if matches!(stage, StageName::Decode | StageName::Html) {
            continue;
        }
        let edits: Vec<&Edit> = done
            .report
            .edits
            .iter()
            .filter(|e| e.stage == *stage)
            .collect();
        if replay(input, &edits)? != output {
            return Err(format!("stage {stage}'s edits do not reproduce its output"));
        }
    }
    Ok(done)
}
