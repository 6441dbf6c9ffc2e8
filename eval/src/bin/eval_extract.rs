//! Main-content quality of the `html` + `boilerplate` stages on the shared corpora.
//!
//! `cargo run --release --example eval_extract [-- CORPUS_DIR]` prints one line per page (precision,
//! recall, F1), the means, the median F1 and the pages with an empty body, per corpus. Scoring (from `cwced/SOURCE.md`): each Han character is one
//! token, each run of ASCII letters or digits one token, punctuation ignored; precision, recall and F1
//! of the bags of tokens, averaged over pages. The title line is not part of the body.
//!
//! With `--drop-related-lines`, reference lines that end in a `YYYY/MM/DD` date or a `评论N条` comment
//! count (the related-news and headline-ranking link lists the cx163 silver extractor keeps) are left
//! out of the reference: a diagnostic for how much of the silver shortfall is those lists, not a score.
//!
//! With `--dump DIR`, each page's extracted body is written to `DIR/<corpus>/<page>.txt`, to diff
//! against the reference. With `--extracted DIR`, the texts in `DIR/<corpus>/<page>.txt` are scored
//! instead of running the pipeline: another extractor's output on the same pages, scored the same way
//! (`scripts/trafilatura_baseline.py` writes trafilatura's).
//!
//! Corpora, relative to the repository root: `../shared/corpus/cwced` (`original/*.html` with
//! human-written `cleaned/*.txt`) and `../shared/corpus/cx163` (`original/*.html` with silver
//! `silver/*.txt`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sluice::{Pipeline, RuleSet, StageName};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let drop_related = args.iter().any(|a| a == "--drop-related-lines");
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    let dump = value_of("--dump");
    let extracted = value_of("--extracted");
    let takes_value = |a: &String| a == "--dump" || a == "--extracted";
    let root = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || !takes_value(&args[i - 1])))
        .map(|(_, a)| a)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpus"));
    let rules = RuleSet::defaults()?;
    let pipeline = Pipeline::with_stages(
        &rules,
        [
            StageName::Decode,
            StageName::Html,
            StageName::Markup,
            StageName::Boilerplate,
        ],
    )?;
    for (corpus, reference) in [("cwced", "cleaned"), ("cx163", "silver")] {
        let dir = root.join(corpus);
        if dir.is_dir() {
            let source = match &extracted {
                Some(d) => Source::Extracted(d.join(corpus)),
                None => Source::Pipeline(&pipeline),
            };
            let dump = dump.as_ref().map(|d| d.join(corpus));
            evaluate(&source, &dir, reference, drop_related, dump.as_deref())?;
        } else {
            eprintln!("{}: not found, skipped", dir.display());
        }
    }
    Ok(())
}

/// Where the extracted texts come from.
enum Source<'a> {
    Pipeline(&'a Pipeline),
    /// `<page>.txt` files written by another extractor.
    Extracted(PathBuf),
}

impl Source<'_> {
    fn extract(&self, page: &Path, stem: &str) -> anyhow::Result<String> {
        Ok(match self {
            Source::Pipeline(pipeline) => pipeline.clean(&std::fs::read(page)?)?.text,
            Source::Extracted(dir) => std::fs::read_to_string(dir.join(format!("{stem}.txt")))?,
        })
    }
}

fn evaluate(
    source: &Source,
    dir: &Path,
    reference: &str,
    drop_related: bool,
    dump: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(dump) = dump {
        std::fs::create_dir_all(dump)?;
    }
    let related = regex::Regex::new(r"(\d{4}/\d{2}/\d{2}|评论\d+条)\s*$")?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.join("original"))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    pages.sort();
    let mut scores = Vec::new();
    let mut empty = Vec::new();
    println!("{:<44} {:>6} {:>6} {:>6}", dir.display(), "P", "R", "F1");
    for page in pages {
        let stem = page.file_stem().unwrap_or_default().to_string_lossy();
        let truth_path = dir.join(reference).join(format!("{stem}.txt"));
        let Ok(mut truth) = std::fs::read_to_string(&truth_path) else {
            continue;
        };
        if drop_related {
            truth = truth
                .lines()
                .filter(|l| !related.is_match(l))
                .collect::<Vec<_>>()
                .join("\n");
        }
        let text = source.extract(&page, &stem)?;
        if text.trim().is_empty() {
            empty.push(stem.to_string());
        }
        if let Some(dump) = dump {
            std::fs::write(dump.join(format!("{stem}.txt")), &text)?;
        }
        let (p, r, f) = bag_f1(&tokens(&text), &tokens(&truth));
        println!("{stem:<44} {p:>6.3} {r:>6.3} {f:>6.3}");
        scores.push((p, r, f));
    }
    let n = scores.len().max(1) as f64;
    let mean = |pick: fn(&(f64, f64, f64)) -> f64| scores.iter().map(pick).sum::<f64>() / n;
    println!(
        "{:<44} {:>6.3} {:>6.3} {:>6.3}   ({} pages)",
        "MEAN",
        mean(|s| s.0),
        mean(|s| s.1),
        mean(|s| s.2),
        scores.len()
    );
    let mut f1s: Vec<f64> = scores.iter().map(|s| s.2).collect();
    f1s.sort_by(f64::total_cmp);
    let median = match f1s.len() {
        0 => 0.0,
        n if n % 2 == 1 => f1s[n / 2],
        n => (f1s[n / 2 - 1] + f1s[n / 2]) / 2.0,
    };
    println!("{:<44} {:>20.3}", "MEDIAN F1", median);
    println!(
        "{:<44} {:>20}\n",
        "EMPTY BODIES",
        format!("{} {empty:?}", empty.len())
    );
    Ok(())
}

/// Each Han character is a token, each run of ASCII letters or digits (full-width forms folded) is
/// one; everything else is ignored.
fn tokens(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    let mut word = String::new();
    for c in text.chars().map(fold_width) {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if !word.is_empty() {
            *bag.entry(std::mem::take(&mut word)).or_insert(0) += 1;
        }
        if sluice::internals::is_han(c) {
            *bag.entry(c.to_string()).or_insert(0) += 1;
        }
    }
    if !word.is_empty() {
        *bag.entry(word).or_insert(0) += 1;
    }
    bag
}

fn fold_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn bag_f1(got: &HashMap<String, usize>, truth: &HashMap<String, usize>) -> (f64, f64, f64) {
    let common: usize = got
        .iter()
        .map(|(t, &n)| n.min(truth.get(t).copied().unwrap_or(0)))
        .sum();
    let got_n: usize = got.values().sum();
    let truth_n: usize = truth.values().sum();
    let precision = if got_n == 0 {
        0.0
    } else {
        common as f64 / got_n as f64
    };
    let recall = if truth_n == 0 {
        0.0
    } else {
        common as f64 / truth_n as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}
