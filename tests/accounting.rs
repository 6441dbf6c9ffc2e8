//! Every change is accounted for: for each text stage, applying its recorded edits to its input
//! reproduces its output exactly, on the seed pages and on random text; and no input makes the
//! pipeline panic.

use std::path::Path;

use sluice::{Document, Edit, Format, Pipeline, RuleSet, StageName};

/// Apply a stage's edits (byte ranges in its input, in order) to its input.
fn replay(input: &str, edits: &[&Edit]) -> String {
    let mut out = String::new();
    let mut cursor = 0;
    for edit in edits {
        assert!(
            edit.start >= cursor,
            "edits overlap or are out of order: {edit:?}"
        );
        assert_eq!(
            &input[edit.start..edit.end],
            edit.before,
            "edit does not match its input: {edit:?}"
        );
        out.push_str(&input[cursor..edit.start]);
        out.push_str(&edit.after);
        cursor = edit.end;
    }
    out.push_str(&input[cursor..]);
    out
}

/// Run the pipeline keeping each stage's input, then check every text stage's edits.
fn check_accounting(pipeline: &Pipeline, doc: Document) {
    let mut inputs: Vec<(StageName, String)> = Vec::new();
    let done = pipeline.run_stages(doc, |stage, before| {
        inputs.push((stage, before.text().to_string()))
    });
    let mut outputs: Vec<String> = inputs.iter().skip(1).map(|(_, t)| t.clone()).collect();
    outputs.push(done.text().to_string());
    for ((stage, input), output) in inputs.iter().zip(&outputs) {
        if matches!(stage, StageName::Decode | StageName::Html) {
            continue;
        }
        let edits: Vec<&Edit> = done
            .report()
            .edits
            .iter()
            .filter(|e| e.stage == *stage)
            .collect();
        assert_eq!(
            &replay(input, &edits),
            output,
            "stage {stage}'s edits do not reproduce its output"
        );
    }
}

fn pipeline() -> Pipeline {
    Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap()
}

#[test]
fn edits_reproduce_every_stage_output_on_the_seeds() {
    let pipeline = pipeline();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
    for n in 0..5 {
        let bytes = std::fs::read(dir.join(format!("00{n}.txt"))).unwrap();
        check_accounting(&pipeline, Document::from_bytes(bytes, Format::Text));
    }
}

#[test]
fn random_inputs_never_panic_and_stay_accounted_for() {
    let pipeline = pipeline();
    let mut rng = fastrand::Rng::with_seed(7);
    let alphabet: Vec<char> = "的一是了我不人在他有這個上們來到時大地為子中你說生國年著就那和要她出也得裡後自以會,。!?()(qū)<>/\\ \n\t•|_-%@ÃâçU\u{FFFD}\u{200B}\u{E1E9}锟斤拷abcXYZ0123456789<xmp id=\"a\"></xmp>"
        .chars()
        .collect();
    for _ in 0..80 {
        let len = rng.usize(0..400);
        let text: String = (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect();
        check_accounting(&pipeline, Document::from_text(text.clone()));
        let mut bytes = text.into_bytes();
        for _ in 0..rng.usize(0..4) {
            if !bytes.is_empty() {
                let at = rng.usize(..bytes.len());
                bytes[at] = rng.u8(..);
            }
        }
        let _ = pipeline.clean(&bytes);
    }
}

#[test]
fn deeply_nested_and_huge_inputs_do_not_crash() {
    let pipeline = pipeline();
    let nested = format!(
        "<html><body>{}<p>正文。</p>{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let _ = pipeline.clean(nested.as_bytes());
    let long_line = "很長的一行沒有換行。".repeat(50_000);
    let cleaned = pipeline.clean(long_line.as_bytes()).unwrap();
    assert!(!cleaned.text.is_empty());
}
