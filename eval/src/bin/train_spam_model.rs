//! Derive the data of `spam.scored-span` and `spam.scored-title` from the train side of the
//! development split (issue 14): `rules/spam/promo-bigrams.txt`, `rules/spam/span-weights.txt`,
//! `rules/spam/title-bigrams.txt` and `rules/spam/title-weights.txt`.
//!
//! ```text
//! cargo run --release -p sluice-eval --bin train_spam_model
//! ```
//!
//! 1. Sound bigrams, as log-likelihood ratios against ordinary text (the language model's
//!    character counts, `data/lm/char_bigrams.txt.gz`: the clean corpora cwced and cx163 of
//!    `../shared`), both folded to sounds by the stage itself (`Spam::sounds_of`), so 菠菜 and 博彩
//!    count as one; a bigram is kept when its ratio is positive. The spans' table learns from the
//!    train side's vocabulary phrases (`SpamSplit::train_phrases`, never a validation group; not
//!    the hijacked titles, whose keyword groups such as 一区二区三区 are also ordinary words of
//!    inline text); the titles' table from the real hijacked titles of the train sites only.
//! 2. The stage is rebuilt with those bigrams and enumerates its candidates on the train cases
//!    (`Spam::span_candidates`, `Spam::title_candidate`): a span is positive when it is exactly a
//!    gold span, a first line when it lies in a real hijacked title of a train site (the generated
//!    titles are cut from every site's titles, validation sites included, and are left out). The
//!    train side of the clean corpora's main texts (cwced, cx163: `../shared/corpus/`, by xxh3 of
//!    the file name), the train cases' clean texts (titles: every line of keyword groups, read as
//!    a first line) and the stage's `unchanged` rule inputs add ordinary text, every candidate of
//!    it harmful. A logistic regression (linfa) learns each model's weights, positives weighted up
//!    by repetition to balance the classes.
//! 3. Each threshold is the smallest that no harmful train candidate reaches, plus a margin
//!    (`threshold`: `THRESHOLD_MARGIN` in log-odds): for spans, one that is not inside a gold span
//!    (it would remove real text) and is the most probable of its comma (the one the stage would
//!    take), on dirty and negative train cases alike; for titles, every line of keyword groups of
//!    ordinary text. `spam.stuffing-line`'s `min_promo_cover` (the share of an unlisted item's
//!    sound bigrams that are promotional) follows the same rule, the share read as a probability:
//!    its harmful candidates are every three consecutive clauses of ordinary text read as the
//!    items of a stuffing line (all three must count when nothing is listed, so a run scores its
//!    least promotional clause). The value is written into `rules/spam.toml`.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use sluice::internals::{SPAN_FEATURES, Spam, SpanCandidate, TITLE_FEATURES, TitleCandidate};
use sluice::{RuleSet, StageName};
use sluice_eval::spam_split::{Case, Side, SpamSplit, case_side, clean_corpus_texts, span_side};

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

    let ordinary = ordinary_bigrams(&stage, &root)?;
    let bigrams = llr_table(&stage, &split.train_phrases(), &ordinary, PHRASES_HEADER);
    std::fs::write(rules_dir.join("spam/promo-bigrams.txt"), bigrams)?;
    let train_titles: Vec<String> = split
        .titles
        .iter()
        .filter(|t| t.side == Side::Train)
        .map(|t| t.line.clone())
        .collect();
    let bigrams = llr_table(&stage, &train_titles, &ordinary, TITLES_HEADER);
    std::fs::write(rules_dir.join("spam/title-bigrams.txt"), bigrams)?;
    // The stage again, with the bigrams just written.
    let stage = Spam::from_rules(&RuleSet::load(&rules_dir, true)?)?;

    let cases = Case::load(&data)?;
    let train: Vec<&Case> = cases
        .iter()
        .filter(|c| c.format == "text" && case_side(&split, c) == Side::Train)
        .collect();
    let mut clean = clean_corpus_texts(&root, Side::Train)?;
    // The stage's must-not-change inputs (lottery news, a gambling crackdown) are ordinary text too.
    clean.extend(
        rules
            .for_stage(StageName::Spam)
            .flat_map(|r| r.unchanged.iter().cloned()),
    );
    println!(
        "ordinary text: {} train pages of the clean corpora and unchanged rule inputs",
        clean.len()
    );
    let spans = span_model(&stage, &train, &clean)?;
    std::fs::write(rules_dir.join("spam/span-weights.txt"), spans)?;
    let titles = title_model(&stage, &split, &train, &clean)?;
    std::fs::write(rules_dir.join("spam/title-weights.txt"), titles)?;
    let cover = stuffing_cover(&stage, &train, &clean);
    let toml = rules_dir.join("spam.toml");
    let rules_text = std::fs::read_to_string(&toml)?;
    std::fs::write(&toml, with_min_promo_cover(&rules_text, cover)?)?;
    Ok(())
}

/// `spam.stuffing-line`'s `min_promo_cover` by the thresholds' rule: every three consecutive
/// clauses of 2 to 12 letters of ordinary train text (the train cases' clean texts, the clean
/// corpora, the `unchanged` inputs) read as the items of a stuffing line, scored by the least
/// promotional of the three; the gold are the items of the train cases' stuffing lines.
fn stuffing_cover(stage: &Spam, train: &[&Case], clean: &[String]) -> f64 {
    let mut harmful: Vec<(f64, String)> = Vec::new();
    let ordinary = train
        .iter()
        .map(|c| c.clean.as_str())
        .chain(clean.iter().map(String::as_str));
    let mut clauses = 0;
    for text in ordinary {
        let mut run: Vec<(f64, &str)> = Vec::new();
        for clause in text.split(|c: char| c.is_ascii_punctuation() || !c.is_alphanumeric()) {
            let letters = clause.chars().count();
            let cover = (2..=12)
                .contains(&letters)
                .then(|| stage.promo_cover(clause))
                .flatten();
            let Some(cover) = cover else {
                run.clear();
                continue;
            };
            clauses += 1;
            run.push((cover, clause));
            if let [.., a, b, c] = run[..] {
                harmful.push((
                    a.0.min(b.0).min(c.0),
                    format!("{} | {} | {}", a.1, b.1, c.1),
                ));
            }
        }
    }
    println!(
        "stuffing: {clauses} ordinary train clauses of 2-12 letters, {} runs of three",
        harmful.len()
    );
    let gold: Vec<f64> = train
        .iter()
        .flat_map(|c| &c.spam_spans)
        .filter(|s| s.kind == "stuffing_line")
        .flat_map(|s| s.text.split(|c: char| !c.is_alphanumeric()))
        .filter_map(|item| stage.promo_cover(item))
        .collect();
    let harmful = harmful.iter().map(|(p, t)| (*p, t.as_str())).collect();
    threshold("stuffing", harmful, &gold)
}

/// `rules` (the text of `spam.toml`) with `min_promo_cover` set to `cover`.
fn with_min_promo_cover(rules: &str, cover: f64) -> anyhow::Result<String> {
    const KEY: &str = "min_promo_cover = ";
    anyhow::ensure!(
        rules.lines().filter(|l| l.starts_with(KEY)).count() == 1,
        "spam.toml: expected one `{KEY}` line (spam.stuffing-line's)"
    );
    Ok(rules
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with(KEY) {
                format!("{KEY}{cover:.6}\n")
            } else {
                line.to_string()
            }
        })
        .collect())
}

/// The span model's weights file, fitted on the train cases' candidates and ordinary text.
fn span_model(stage: &Spam, train: &[&Case], clean: &[String]) -> anyhow::Result<String> {
    let mut examples = labelled(stage, train);
    examples.extend(ordinary(stage, clean, train.len()));
    let rows: Vec<(&[f64], Label)> = examples
        .iter()
        .map(|e| (&e.candidate.features[..], e.label))
        .collect();
    let (weights, bias) = fit(&rows, SPAN_FEATURES.len())?;
    let probability = |f: &[f64]| logistic(&weights, bias, f);
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
    let harmful: Vec<(f64, &str)> = chosen
        .into_values()
        .filter(|(_, e)| e.label == Label::Harmful)
        .map(|(p, e)| (p, e.text.as_str()))
        .collect();
    let gold: Vec<f64> = examples
        .iter()
        .filter(|e| e.label == Label::Gold)
        .map(|e| probability(&e.candidate.features))
        .collect();
    let threshold = threshold("span", harmful, &gold);
    Ok(weights_file(&SPAN_FEATURES, &weights, bias, threshold))
}

/// The title model's weights file: the train side's real hijacked titles against every line of
/// keyword groups of ordinary text, each read as if it were a page's first line.
fn title_model(
    stage: &Spam,
    split: &SpamSplit,
    train: &[&Case],
    clean: &[String],
) -> anyhow::Result<String> {
    let mut examples: Vec<(TitleCandidate, Label, String)> = Vec::new();
    for case in train {
        let Some(candidate) = stage.title_candidate(&case.dirty) else {
            continue;
        };
        let title = case
            .spam_spans
            .iter()
            .find(|s| s.byte_start <= candidate.range.start && candidate.range.end <= s.byte_end);
        let label = match title {
            // A real title of a train site; generated titles are cut from every site's titles.
            Some(span) if span_side(split, span) == Some(Side::Train) => Label::Gold,
            Some(_) => continue,
            None => Label::Harmful,
        };
        let text = context(&case.dirty, candidate.range.start, candidate.range.end);
        examples.push((candidate, label, text));
    }
    let ordinary = train
        .iter()
        .map(|c| c.clean.as_str())
        .chain(clean.iter().map(String::as_str));
    for text in ordinary {
        let mut at = 0;
        while at < text.len() {
            let rest = &text[at..];
            if let Some(candidate) = stage.title_candidate(rest) {
                let (start, end) = (candidate.range.start, candidate.range.end);
                examples.push((candidate, Label::Harmful, context(rest, start, end)));
            }
            at += rest.find('\n').map_or(rest.len(), |i| i + 1);
        }
    }
    let rows: Vec<(&[f64], Label)> = examples
        .iter()
        .map(|(c, label, _)| (&c.features[..], *label))
        .collect();
    let gold_count = rows.iter().filter(|(_, l)| *l == Label::Gold).count();
    println!(
        "title: {} candidate lines, {gold_count} real train titles",
        rows.len()
    );
    let (weights, bias) = fit(&rows, TITLE_FEATURES.len())?;
    let probability = |f: &[f64]| logistic(&weights, bias, f);
    let harmful = examples
        .iter()
        .filter(|(_, label, _)| *label == Label::Harmful)
        .map(|(c, _, text)| (probability(&c.features), text.as_str()))
        .collect();
    let gold: Vec<f64> = examples
        .iter()
        .filter(|(_, label, _)| *label == Label::Gold)
        .map(|(c, _, _)| probability(&c.features))
        .collect();
    let threshold = threshold("title", harmful, &gold);
    Ok(weights_file(&TITLE_FEATURES, &weights, bias, threshold))
}

fn logistic(weights: &[f64], bias: f64, features: &[f64]) -> f64 {
    let logit = bias
        + features
            .iter()
            .zip(weights)
            .map(|(x, w)| x * w)
            .sum::<f64>();
    1.0 / (1.0 + (-logit).exp())
}

/// The threshold: the log-odds of the most probable harmful train candidate plus a margin; the
/// harmful candidates that set it and the gold ones it reaches are printed.
fn threshold(model: &str, mut harmful: Vec<(f64, &str)>, gold: &[f64]) -> f64 {
    let worst = harmful.iter().map(|(p, _)| *p).fold(0.0, f64::max);
    let logit = (worst / (1.0 - worst)).ln();
    let threshold = 1.0 / (1.0 + (-(logit + THRESHOLD_MARGIN)).exp());
    harmful.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{model}: the most probable harmful train candidates (they set the threshold):");
    for (p, text) in harmful.iter().take(8) {
        println!("  {p:.6} {text:?}");
    }
    let reached = gold.iter().filter(|p| **p >= threshold).count();
    println!(
        "{model}: threshold {threshold:.6} (largest harmful train probability {worst:.6}); gold \
         train candidates above it: {reached}/{}",
        gold.len()
    );
    threshold
}

const PHRASES_HEADER: &str = "# Promotional sound bigrams of spam.scored-span: `sound sound<TAB>log-likelihood ratio`.\n\
     # Written by `cargo run --release -p sluice-eval --bin train_spam_model` from the train side of\n\
     # ../shared/data/spam/ (vocab-dev.jsonl: konsheng/Sensitive-lexicon MIT, LDNOOBW zh CC-BY-4.0,\n\
     # observed seed pages) against data/lm/char_bigrams.txt.gz (cwced,\n\
     # cx163; see data/lm/SOURCE.md). Characters folded to sounds by rules/pinyin/readings.txt.\n";

const TITLES_HEADER: &str = "# Sound bigrams of hijacked titles for spam.scored-title: `sound sound<TAB>log-likelihood ratio`.\n\
     # Written by `cargo run --release -p sluice-eval --bin train_spam_model` from the real hijacked\n\
     # titles of the train sites of ../shared/data/spam/titles_real-dev.jsonl (observed on hacked pages)\n\
     # against data/lm/char_bigrams.txt.gz (cwced, cx163; see data/lm/SOURCE.md). Characters folded to\n\
     # sounds by rules/pinyin/readings.txt.\n";

/// The sound bigram counts of ordinary text: the language model's character counts
/// (`data/lm/char_bigrams.txt.gz`, the clean corpora cwced and cx163) folded to sounds.
fn ordinary_bigrams(stage: &Spam, root: &Path) -> anyhow::Result<HashMap<(String, String), f64>> {
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
    Ok(ordinary)
}

/// A bigram table's text: the sound bigrams of `texts` whose log-likelihood ratio against ordinary
/// text is positive, sorted, after `header`.
fn llr_table(
    stage: &Spam,
    texts: &[String],
    ordinary: &HashMap<(String, String), f64>,
    header: &str,
) -> String {
    let mut spam: HashMap<(String, String), f64> = HashMap::new();
    for text in texts {
        add_bigrams(&stage.sounds_of(text), 1.0, &mut spam);
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
    let mut out = header.to_string();
    for ((a, b), llr) in kept {
        out.push_str(&format!("{a} {b}\t{llr:.3}\n"));
    }
    out
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

/// Logistic regression of gold against harmful rows (partial ones teach nothing about harm and are
/// left out), gold repeated to balance the classes. Returns the weights of the positive class and
/// its intercept.
fn fit(examples: &[(&[f64], Label)], features: usize) -> anyhow::Result<(Vec<f64>, f64)> {
    let gold = examples.iter().filter(|e| e.1 == Label::Gold).count();
    let harmful = examples.iter().filter(|e| e.1 == Label::Harmful).count();
    let repeat = (harmful / gold.max(1)).max(1);
    let mut rows: Vec<f64> = Vec::new();
    let mut targets: Vec<bool> = Vec::new();
    for &(row, label) in examples {
        let times = match label {
            Label::Gold => repeat,
            Label::Harmful => 1,
            Label::Partial => 0,
        };
        for _ in 0..times {
            rows.extend_from_slice(row);
            targets.push(label == Label::Gold);
        }
    }
    let x = Array2::from_shape_vec((targets.len(), features), rows)?;
    let dataset = Dataset::new(x, Array1::from_vec(targets));
    let model = LogisticRegression::default()
        .alpha(ALPHA)
        .max_iterations(500)
        .fit(&dataset)?;
    // linfa's positive class is the more frequent label: flip when that is `false`.
    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
    let weights: Vec<f64> = model.params().iter().map(|w| sign * w).collect();
    Ok((weights, sign * model.intercept()))
}

fn weights_file(names: &[&str], weights: &[f64], bias: f64, threshold: f64) -> String {
    let mut out = String::from(
        "# Weights of a logistic model of the spam stage (`feature<TAB>weight`, `bias`, `threshold`):\n\
         # a logistic regression on the train side of ../shared/data/spam/, written by\n\
         # `cargo run --release -p sluice-eval --bin train_spam_model` (docs/spam.md).\n",
    );
    for (name, w) in names.iter().zip(weights) {
        println!("  {name:<14} {w:+.3}");
        out.push_str(&format!("{name}\t{w:.6}\n"));
    }
    println!("  {:<14} {bias:+.3}", "bias");
    out.push_str(&format!("bias\t{bias:.6}\nthreshold\t{threshold:.6}\n"));
    out
}
