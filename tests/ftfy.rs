//! `sluice repair --script keep` on other projects' test suites: ftfy's 161 mojibake cases and the
//! inputs of OpenCC's conversion cases, run through the binary as JSON Lines.
//!
//! What "exact" means for an ftfy case: the output equals the case's `fixed-encoding` (what ftfy's
//! `fix_encoding`, the mojibake repair alone, returns) when the case has one; otherwise its `fixed`
//! (what `fix_text` returns), with curly quotes compared as straight ones, since `fix_text` also
//! uncurls quotes, which is no repair of encoding. A *negative* case is one whose expected output is
//! its input: text that must stay as it is.

#[path = "support/binary.rs"]
mod binary;

use binary::{fixture, sluice, stdout_of};
use serde_json::{Value, json};

/// The text of the file `path` under `fixtures/`.
fn fixture_text(path: &str) -> String {
    let full = fixture(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Each text repaired by `sluice repair --script keep --jsonl`, in order.
fn repaired(texts: &[String]) -> Vec<String> {
    let input: String = texts
        .iter()
        .map(|t| format!("{}\n", json!({ "text": t })))
        .collect();
    let stdout = stdout_of(
        sluice()
            .args(["repair", "--script", "keep", "--jsonl", "-"])
            .write_stdin(input),
    );
    // Records are split at `\n` alone: a repaired text may hold U+0085 or U+2028.
    let out: Vec<String> = stdout
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let record: Value = serde_json::from_str(l).unwrap();
            record["text"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(out.len(), texts.len());
    out
}

fn straight_quotes(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '‘' | '’' => '\'',
            '“' | '”' => '"',
            other => other,
        })
        .collect()
}

struct FtfyCase {
    label: String,
    original: String,
    expected: String,
    /// Whether `expected` is `fixed` (quotes compared straight) rather than `fixed-encoding`.
    uncurled: bool,
}

fn ftfy_cases() -> Vec<FtfyCase> {
    let cases: Vec<Value> = serde_json::from_str(&fixture_text("ftfy/test_cases.json")).unwrap();
    cases
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().map(str::to_string);
            let encoding = text("fixed-encoding");
            FtfyCase {
                label: text("label").unwrap_or_default(),
                original: text("original").expect("an original"),
                uncurled: encoding.is_none(),
                expected: encoding.or_else(|| text("fixed")).expect("a fixed text"),
            }
        })
        .collect()
}

#[test]
fn ftfy_cases_are_repaired_and_every_negative_stays() {
    let cases = ftfy_cases();
    let originals: Vec<String> = cases.iter().map(|c| c.original.clone()).collect();
    let outputs = repaired(&originals);
    let mut exact = 0;
    let mut negatives_changed = Vec::new();
    for (case, got) in cases.iter().zip(&outputs) {
        let good = *got == case.expected
            || case.uncurled && straight_quotes(got) == straight_quotes(&case.expected);
        if good {
            exact += 1;
            continue;
        }
        println!(
            "FAIL {}\n  input    {:?}\n  output   {:?}\n  expected {:?}",
            case.label, case.original, got, case.expected
        );
        if case.expected == case.original {
            negatives_changed.push(case.label.clone());
        }
    }
    let negatives = cases.iter().filter(|c| c.expected == c.original).count();
    println!(
        "ftfy: {exact} of {} exact; {} of {negatives} negatives changed",
        cases.len(),
        negatives_changed.len()
    );
    assert!(negatives_changed.is_empty(), "{negatives_changed:#?}");
    assert!(
        exact * 100 >= cases.len() * 90,
        "{exact} of {}",
        cases.len()
    );
}

/// OpenCC's file has trailing commas, which its own loader accepts and serde_json does not.
fn without_trailing_commas(text: &str) -> String {
    let trailing = regex::Regex::new(r",(\s*[}\]])").unwrap();
    trailing.replace_all(text, "$1").into_owned()
}

#[test]
fn opencc_inputs_are_left_unchanged() {
    let file: Value = serde_json::from_str(&without_trailing_commas(&fixture_text(
        "opencc/testcases.json",
    )))
    .unwrap();
    let inputs: Vec<String> = file["cases"]
        .as_array()
        .expect("a `cases` array")
        .iter()
        .map(|c| c["input"].as_str().expect("an input").to_string())
        .collect();
    assert!(inputs.len() > 200);
    let outputs = repaired(&inputs);
    let changed: Vec<(&String, &String)> = inputs
        .iter()
        .zip(&outputs)
        .filter(|(a, b)| a != b)
        .collect();
    assert!(changed.is_empty(), "{changed:#?}");
}

#[test]
fn issue_12_examples_of_valid_text_stay() {
    let texts: Vec<String> = ["陳甦", "腶脩", "Hırsızı", "5×£35", "TLÉ®", "Dr.Ã¥"]
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(repaired(&texts), texts);
}
