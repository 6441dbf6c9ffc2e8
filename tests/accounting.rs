//! Every change is accounted for: for each text stage, applying its recorded edits to its input
//! reproduces its output exactly, on the seed pages and on random text; the html stage's output is
//! rebuilt from its input and what its report says it left out, on every HTML page of the fixtures
//! and of the shared corpus; and no input makes the pipeline panic.

use std::path::{Path, PathBuf};

use sluice::internals::Html;
use sluice::{Document, Format, Pipeline, RuleSet, StageName};

#[path = "support/replay.rs"]
mod replay;

/// Run the pipeline keeping each stage's input, then check every text stage's edits.
fn check_accounting(pipeline: &Pipeline, doc: Document) {
    if let Err(mismatch) = replay::run_accounted(pipeline, doc) {
        panic!("{mismatch}");
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

/// The HTML inputs under `dir`, in name order: every file that sniffs as markup, expected outputs
/// and notes left out.
fn html_pages(dir: &Path) -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.to_string_lossy();
            !name.ends_with(".expected.txt") && !name.ends_with(".md")
        })
        .filter(|p| Format::sniff(&std::fs::read(p).unwrap()) == Format::Html)
        .collect();
    pages.sort();
    pages
}

/// Clean `path` and rebuild the html stage's output from the decoded markup it was given and the
/// report's accounting: the same text, or what differs.
fn rebuild_html_output(pipeline: &Pipeline, html: &Html, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).unwrap();
    let format = Format::sniff(&bytes);
    if pipeline.check_input(&bytes, format).is_err() {
        return Ok(());
    }
    let mut markup = None;
    let mut output = None;
    let done = pipeline.run_stages(Document::from_bytes(bytes, format), |stage, before| {
        if stage == StageName::Html {
            markup = before.html().map(str::to_string);
        } else if markup.is_some() && output.is_none() {
            output = Some(before.text().to_string());
        }
    });
    let (Some(markup), Some(output)) = (markup, output) else {
        return Err(format!("{}: the html stage did not run", path.display()));
    };
    let accounting = done
        .report()
        .html
        .as_ref()
        .ok_or_else(|| format!("{}: no html accounting in the report", path.display()))?;
    let rebuilt = html
        .rebuild(&markup, accounting)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if rebuilt != output {
        let line = rebuilt
            .lines()
            .zip(output.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(rebuilt.lines().count().min(output.lines().count()));
        return Err(format!(
            "{}: the rebuilt output differs from line {}: {:?} against {:?}",
            path.display(),
            line + 1,
            rebuilt.lines().nth(line),
            output.lines().nth(line)
        ));
    }
    Ok(())
}

#[test]
fn html_stage_output_is_rebuilt_from_input_and_report() {
    let rules = RuleSet::defaults().unwrap();
    let pipeline = Pipeline::from_rules(&rules).unwrap();
    let html = Html::from_rules(&rules).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = html_pages(&root.join("fixtures"));
    assert!(pages.len() >= 10, "{} HTML fixtures", pages.len());
    // The shared corpus (README: `../shared` beside the clone), when it is there.
    let corpus = root.join("../shared/corpus");
    if corpus.is_dir() {
        pages.extend(html_pages(&corpus));
    }
    let failures: Vec<String> = pages
        .iter()
        .filter_map(|p| rebuild_html_output(&pipeline, &html, p).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} pages:\n{}",
        failures.len(),
        pages.len(),
        failures.join("\n")
    );
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
