//! Derive the data of `spam.scored-span` from the train side of the development split (issue 14):
//! `rules/spam/promo-bigrams.txt` and `rules/spam/span-weights.txt`.
//!
//! ```text
//! cargo run --release -p sluice-eval --bin train_spam_model
//! ```
//!
//! 1. Promotional sound bigrams: the train side's vocabulary phrases (`SpamSplit::train_phrases`,
//!    never a validation group; not the real hijacked titles, whose keyword groups such as 一区二区三区
//!    are a title's vocabulary and also ordinary words of inline text) against ordinary text, the language model's character
//!    counts (`data/lm/char_bigrams.txt.gz`: the clean corpora cwced and cx163 of `../shared`). Both
//!    are folded to sounds by the stage itself (`Spam::sounds_of`), so 菠菜 and 博彩 count as one. A
//!    bigram is kept when its log-likelihood ratio is positive.
//! 2. The stage is rebuilt with those bigrams and enumerates its candidate spans on the train cases
//!    (`Spam::span_candidates`); a candidate is positive when it is exactly a gold span. A logistic
//!    regression (linfa) learns the weights, positives weighted up by repetition to balance the
//!    classes.
//!    The train side of the clean corpora's main texts (cwced, cx163: `../shared/corpus/`, by xxh3
//!    of the file name) and the stage's `unchanged` rule inputs add ordinary text, every candidate of
//!    it harmful.
//! 3. The threshold is the smallest that no harmful train candidate reaches: one that is not inside
//!    a gold span (it would remove real text) and is the most probable of its comma (the one the
//!    stage would take), on dirty and negative train cases alike, plus a margin.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use sluice::internals::{SPAN_FEATURES, Spam, SpanCandidate};
use sluice::{RuleSet, StageName};
use sluice_eval::spam_split::{Case, Side, SpamSplit, case_side};

/// Added to the log-odds of the most probable harmful train candidate to make the threshold.
const THRESHOLD_MARGIN: f64 = 0.5;
/// Smoothing of the spam bigram counts (add-k over the bigrams seen).
const SPAM_K: f64 = 0.5;
/// L2 penalty of the logistic regression.
const ALPHA: f64 = 0.01;

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(sluice_eval::REPO);
    let data = root.join("../shared/data/spam");
    let rules_dir = root.join("rules");
    let rules = RuleSet::load(&rules_dir, true)?;
    let split = SpamSplit::load(&data, rules.folder()?)?;
    let stage = Spam::from_rules(&rules)?;

    let bigrams = promo_bigrams(&stage, &split.train_phrases(), &root)?;
    std::fs::write(rules_dir.join("spam/promo-bigrams.txt"), bigrams)?;
    // The stage again, with the bigrams just written.
    let stage = Spam::from_rules(&RuleSet::load(&rules_dir, true)?)?;

    let cases = Case::load(&data)?;
    let train: Vec<&Case> = cases
        .iter()
        .filter(|c| c.format == "text" && case_side(&split, c) == Side::Train)
        .collect();
    let mut examples = labelled(&stage, &train);
    let mut clean = clean_texts(&root)?;
    // The stage's must-not-change inputs (lottery news, a gambling crackdown) are ordinary text too.
    clean.extend(
        rules
            .for_stage(StageName::Spam)
            .flat_map(|r| r.unchanged.iter().cloned()),
    );
    examples.extend(ordinary(&stage, &clean, train.len()));
    println!(
        "ordinary text: {} train pages of the clean corpora and unchanged rule inputs",
        clean.len()
    );
    let positives = examples.iter().filter(|e| e.label == Label::Gold).count();
    println!(
        "train: {} cases, {} candidates, {positives} gold",
        train.len(),
        examples.len()
    );
    let (weights, bias) = fit(&examples)?;
    let probability = |f: &[f64]| {
        let logit = bias + f.iter().zip(&weights).map(|(x, w)| x * w).sum::<f64>();
        1.0 / (1.0 + (-logit).exp())
    };
    // The stage removes the most probable span of each comma: a harmful candidate matters when it
    // is that one.
    let mut chosen: BTreeMap<(usize, usize), (f64, &Example)> = BTreeMap::new();
    for e in &examples {
        let p = probability(&e.candidate.features);
        let slot = chosen
            .entry((e.case, e.candidate.range.end))
            .or_insert((p, e));
        if p > slot.0 {
            *slot = (p, e);
        }
    }
    let mut worst: Vec<(f64, &Example)> = chosen
        .into_values()
        .filter(|(_, e)| e.label == Label::Harmful)
        .collect();
    let harmful = worst.iter().map(|(p, _)| *p).fold(0.0, f64::max);
    let logit = (harmful / (1.0 - harmful)).ln();
    let threshold = 1.0 / (1.0 + (-(logit + THRESHOLD_MARGIN)).exp());
    worst.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("the most probable harmful train candidates (they set the threshold):");
    for (p, e) in worst.iter().take(8) {
        println!("  {p:.4} {:?}", e.text);
    }
    let reached = examples
        .iter()
        .filter(|e| e.label == Label::Gold && probability(&e.candidate.features) >= threshold)
        .count();
    println!(
        "threshold {threshold:.4} (largest harmful train probability {harmful:.4}); gold train \
         candidates above it: {reached}/{positives}"
    );
    for (name, w) in SPAN_FEATURES.iter().zip(&weights) {
        println!("  {name:<14} {w:+.3}");
    }
    println!("  {:<14} {bias:+.3}", "bias");
    std::fs::write(
        rules_dir.join("spam/span-weights.txt"),
        weights_file(&weights, bias, threshold),
    )?;
    Ok(())
}

/// The promotional bigram table's text: sound bigrams of the train texts whose log-likelihood
/// ratio against ordinary text is positive, sorted.
fn promo_bigrams(stage: &Spam, train_texts: &[String], root: &Path) -> anyhow::Result<String> {
    let mut spam: HashMap<(String, String), f64> = HashMap::new();
    for text in train_texts {
        add_bigrams(&stage.sounds_of(text), 1.0, &mut spam);
    }
    let mut ordinary: HashMap<(String, String), f64> = HashMap::new();
    let counts = read_gz(&root.join("data/lm/char_bigrams.txt.gz"))?;
    for line in counts.lines() {
        let Some((key, count)) = line.split_once('\t') else {
            continue;
        };
        // Unigram lines carry no pair.
        if key.chars().count() == 2 {
            let count: f64 = count.parse().with_context(|| format!("count of {key}"))?;
            add_bigrams(&stage.sounds_of(key), count, &mut ordinary);
        }
    }
    let spam_total: f64 = spam.values().sum();
    let ordinary_total: f64 = ordinary.values().sum();
    let seen = spam.len() as f64;
    let mut kept: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (pair, count) in spam {
        let p_spam = (count + SPAM_K) / (spam_total + SPAM_K * seen);
        // Counts below two were pruned from the ordinary table: one is the most it can be.
        let p_ordinary = ordinary.get(&pair).copied().unwrap_or(1.0) / ordinary_total;
        let llr = (p_spam / p_ordinary).ln();
        if llr > 0.0 {
            kept.insert(pair, llr);
        }
    }
    let mut out = String::from(
        "# Promotional sound bigrams of spam.scored-span: `sound sound<TAB>log-likelihood ratio`.\n\
         # Written by `cargo run --release -p sluice-eval --bin train_spam_model` from the train side of\n\
         # ../shared/data/spam/ (vocab-dev.jsonl: konsheng/Sensitive-lexicon MIT, LDNOOBW zh CC-BY-4.0,\n\
         # observed seed pages) against data/lm/char_bigrams.txt.gz (cwced,\n\
         # cx163; see data/lm/SOURCE.md). Characters folded to sounds by rules/pinyin/readings.txt.\n",
    );
    for ((a, b), llr) in kept {
        out.push_str(&format!("{a} {b}\t{llr:.3}\n"));
    }
    Ok(out)
}

fn add_bigrams(sounds: &[Option<String>], weight: f64, into: &mut HashMap<(String, String), f64>) {
    for pair in sounds.windows(2) {
        if let [Some(a), Some(b)] = pair {
            *into.entry((a.clone(), b.clone())).or_default() += weight;
        }
    }
}

fn read_gz(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?)
        .read_to_string(&mut text)
        .with_context(|| path.display().to_string())?;
    Ok(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// Exactly a gold span.
    Gold,
    /// Inside a gold span but not all of it: leaves spam, loses nothing.
    Partial,
    /// Not inside any gold span: it would remove real text.
    Harmful,
}

struct Example {
    candidate: SpanCandidate,
    label: Label,
    /// The index of its case.
    case: usize,
    /// The span with a few characters of context, for the report.
    text: String,
}

fn labelled(stage: &Spam, cases: &[&Case]) -> Vec<Example> {
    let mut out = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let gold: Vec<(usize, usize)> = case
            .spam_spans
            .iter()
            .map(|s| (s.byte_start, s.byte_end))
            .collect();
        for candidate in stage.span_candidates(&case.dirty) {
            let (start, end) = (candidate.range.start, candidate.range.end);
            let label = if gold.contains(&(start, end)) {
                Label::Gold
            } else if gold.iter().any(|&(s, e)| s <= start && end <= e) {
                Label::Partial
            } else {
                Label::Harmful
            };
            let text = context(&case.dirty, start, end);
            out.push(Example {
                candidate,
                label,
                case: index,
                text,
            });
        }
    }
    out
}

/// The train side (by xxh3 of the file name, as the split's groups) of the clean corpora's main
/// texts: ordinary text, where any span the stage would take is harmful.
fn clean_texts(root: &Path) -> anyhow::Result<Vec<String>> {
    let corpora = [
        "../shared/corpus/cwced/cleaned",
        "../shared/corpus/cx163/silver",
    ];
    let mut texts = Vec::new();
    for dir in corpora {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if Side::of_group(&name) == Side::Train {
                texts.push(std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(texts)
}

/// Every candidate of ordinary text, harmful; case indexes from `first_case` on.
fn ordinary(stage: &Spam, texts: &[String], first_case: usize) -> Vec<Example> {
    let mut out = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        for candidate in stage.span_candidates(text) {
            let (start, end) = (candidate.range.start, candidate.range.end);
            out.push(Example {
                text: context(text, start, end),
                candidate,
                label: Label::Harmful,
                case: first_case + i,
            });
        }
    }
    out
}

/// A span in brackets with a few characters either side, for the report.
fn context(text: &str, start: usize, end: usize) -> String {
    format!(
        "{}[{}]{}",
        tail(&text[..start], 6),
        &text[start..end],
        text[end..].chars().take(4).collect::<String>()
    )
}

/// The last `n` characters of `text`.
fn tail(text: &str, n: usize) -> &str {
    let at = text.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i);
    &text[at..]
}

/// Logistic regression of gold against harmful candidates (partial ones teach nothing about harm
/// and are left out), gold repeated to balance the classes. Returns the weights of the positive
/// class and its intercept.
fn fit(examples: &[Example]) -> anyhow::Result<(Vec<f64>, f64)> {
    let gold = examples.iter().filter(|e| e.label == Label::Gold).count();
    let harmful = examples
        .iter()
        .filter(|e| e.label == Label::Harmful)
        .count();
    let repeat = (harmful / gold.max(1)).max(1);
    let mut rows: Vec<f64> = Vec::new();
    let mut targets: Vec<bool> = Vec::new();
    for e in examples {
        let times = match e.label {
            Label::Gold => repeat,
            Label::Harmful => 1,
            Label::Partial => 0,
        };
        for _ in 0..times {
            rows.extend_from_slice(&e.candidate.features);
            targets.push(e.label == Label::Gold);
        }
    }
    let x = Array2::from_shape_vec((targets.len(), SPAN_FEATURES.len()), rows)?;
    let dataset = Dataset::new(x, Array1::from_vec(targets));
    let model = LogisticRegression::default()
        .alpha(ALPHA)
        .max_iterations(500)
        .fit(&dataset)?;
    // linfa's positive class is the more frequent label: flip when that is `false`.
    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
    let weights = model.params().iter().map(|w| sign * w).collect();
    Ok((weights, sign * model.intercept()))
}

fn weights_file(weights: &[f64], bias: f64, threshold: f64) -> String {
    let mut out = String::from(
        "# Weights of spam.scored-span (`feature<TAB>weight`, `bias`, `threshold`): a logistic\n\
         # regression on the train side of ../shared/data/spam/, written by\n\
         # `cargo run --release -p sluice-eval --bin train_spam_model` (docs/spam.md).\n",
    );
    for (name, w) in SPAN_FEATURES.iter().zip(weights) {
        out.push_str(&format!("{name}\t{w:.6}\n"));
    }
    out.push_str(&format!("bias\t{bias:.6}\nthreshold\t{threshold:.6}\n"));
    out
}
