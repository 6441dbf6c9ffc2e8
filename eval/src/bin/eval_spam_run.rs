//! Evaluate `spam.repeated-span` (issue 14): the same phrase injected into several unrelated
//! documents of one run.
//!
//! ```text
//! cargo run --release -p sluice-eval --bin eval_spam_run             # validation first, then train
//! cargo run --release -p sluice-eval --bin eval_spam_run -- --strict # rules without any validation word
//! cargo run --release -p sluice-eval --bin eval_spam_run -- --tune   # min_docs and min_promo_cover, train only
//! cargo run --release -p sluice-eval --bin eval_spam_run -- --full-width  # hosts: the corpora's pages only
//! ```
//!
//! The phrases are the inline spans of the development cases (`../shared/data/spam/cases-dev.jsonl`)
//! with their own comma, on each side of the split of `sluice_eval::spam_split` (validation: phrases
//! of held-out vocabulary groups, unseen by the rules, which are built from the train side only). The
//! hosts are unrelated clean documents of the same side: the clean corpora's main texts (cwced, cx163;
//! side by xxh3 of the file name) and the distinct clean texts of the text cases (side of their case).
//! The cases' clean texts are mostly the seed pages, punctuated with ASCII commas, where the
//! injector's comma is not foreign; `--full-width` takes the corpora's pages alone, punctuated with
//! `，` as most Chinese pages are. Each phrase goes into `COPIES` hosts, each time between two Han characters at a place chosen by
//! hash, as the cases' generator injects. One run (`Engine::run`, the whole pipeline, one batch) holds
//! every injected document and every clean host, once with the rule and once without it.
//!
//! A document is restored when its output is the output of its clean host in the same run; a phrase
//! copy is removed when the output holds the phrase fewer times than the injected document did.
//! A clean host is touched when its output differs between the two runs. `--tune` runs the train side
//! with other values of the rule's `min_docs` and `min_promo_cover`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sluice::run::{Engine, Inputs, Outcome, Sink};
use sluice::{Error, RuleSet};
use sluice_eval::spam_split::{Case, Side, SpamSplit, case_side, clean_corpus_texts, span_side};

/// The copies of each phrase in a run.
const COPIES: usize = 4;

/// The kinds of gold span that are a phrase with its comma inside a sentence.
const INLINE: [&str; 5] = [
    "inline_phrase",
    "repeated_inline",
    "fullwidth",
    "homoglyph",
    "zero_width",
];

const RULE: &str = "spam.repeated-span";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let strict = args.iter().any(|a| a == "--strict");
    let full_width = args.iter().any(|a| a == "--full-width");
    let root = PathBuf::from(sluice_eval::REPO);
    let data = root.join("../shared/data/spam");
    let cases = Case::load(&data)?;
    let rules = RuleSet::load(&root.join("rules"), true)?;
    let split = SpamSplit::load(&data, rules.folder()?)?;
    let (train_rules, _) = split.train_rules(&root.join("rules"), strict)?;
    let without = edit_rule(train_rules.path(), |_| None)?;
    let sides = [Side::Validation, Side::Train];
    if args.iter().any(|a| a == "--tune") {
        let side = Side::Train;
        let (docs, hosts) = run_documents(&root, &split, &cases, side, full_width)?;
        let off = run(without.path(), &docs)?;
        for (min_docs, cover) in [
            (2, None),
            (3, None),
            (4, None),
            (3, Some(0.5)),
            (3, Some(0.3)),
        ] {
            let dir = edit_rule(train_rules.path(), |line| {
                Some(if line.starts_with("min_docs =") {
                    let cover = cover.map(|c| format!("\nmin_promo_cover = {c}"));
                    format!("min_docs = {min_docs}{}", cover.unwrap_or_default())
                } else {
                    line.to_string()
                })
            })?;
            let cover = cover.map_or("absent".into(), |c: f64| c.to_string());
            let on = run(dir.path(), &docs)?;
            println!("\nmin_docs {min_docs}, min_promo_cover {cover}:");
            report(side, &docs, hosts, &on, &off);
        }
        return Ok(());
    }
    println!(
        "rules from the train side only{}; {COPIES} copies of each phrase in one run{}",
        if strict {
            ", without any list word in validation text (--strict)"
        } else {
            ""
        },
        if full_width {
            ", hosts: the corpora's pages only (--full-width)"
        } else {
            ""
        }
    );
    for side in sides {
        let (docs, hosts) = run_documents(&root, &split, &cases, side, full_width)?;
        let on = run(train_rules.path(), &docs)?;
        let off = run(without.path(), &docs)?;
        report(side, &docs, hosts, &on, &off);
    }
    Ok(())
}

/// A document of the evaluation run: its text and, when injected, its host and phrase.
struct Doc {
    text: String,
    injected: Option<(usize, String)>,
}

/// The documents of one side's run: the clean hosts first (documents `0..hosts`), then the injected
/// copies; and the number of hosts.
fn run_documents(
    root: &Path,
    split: &SpamSplit,
    cases: &[Case],
    side: Side,
    full_width: bool,
) -> anyhow::Result<(Vec<Doc>, usize)> {
    let mut hosts: BTreeSet<String> = clean_corpus_texts(root, side)?.into_iter().collect();
    let mut phrases: BTreeSet<String> = BTreeSet::new();
    for case in cases.iter().filter(|c| c.format == "text") {
        if case_side(split, case) == side && !full_width {
            hosts.insert(if case.negative {
                case.dirty.clone()
            } else {
                case.clean.clone()
            });
        }
        for span in &case.spam_spans {
            if INLINE.contains(&span.kind.as_str()) && span_side(split, span) == Some(side) {
                phrases.insert(span.text.trim().to_string());
            }
        }
    }
    let hosts: Vec<String> = hosts.into_iter().filter(|h| places(h) > 0).collect();
    let mut docs: Vec<Doc> = hosts
        .iter()
        .map(|h| Doc {
            text: h.clone(),
            injected: None,
        })
        .collect();
    for phrase in &phrases {
        let mut chosen = BTreeSet::new();
        for copy in 0.. {
            if chosen.len() == COPIES.min(hosts.len()) {
                break;
            }
            let host = hash(phrase, copy) as usize % hosts.len();
            if !chosen.insert(host) {
                continue;
            }
            let text = &hosts[host];
            let place = hash(phrase, copy + 1000) as usize % places(text);
            let at = han_places(text).nth(place).unwrap_or_default();
            docs.push(Doc {
                text: format!("{}{phrase}{}", &text[..at], &text[at..]),
                injected: Some((host, phrase.clone())),
            });
        }
    }
    Ok((docs, hosts.len()))
}

fn hash(phrase: &str, n: usize) -> u64 {
    xxhash_rust::xxh3::xxh3_64(format!("{phrase}#{n}").as_bytes())
}

/// The places between two Han characters: where the cases' generator injects a phrase.
fn han_places(text: &str) -> impl Iterator<Item = usize> + '_ {
    let is_han = sluice::internals::is_han;
    text.char_indices()
        .zip(text.chars().skip(1))
        .filter(move |((_, a), b)| is_han(*a) && is_han(*b))
        .map(|((at, a), _)| at + a.len_utf8())
}

fn places(text: &str) -> usize {
    han_places(text).count()
}

/// A copy of the rules in `dir` with each line of the `spam.repeated-span` rule's table passed
/// through `edit` (`None` drops the line; dropping them all drops the rule).
fn edit_rule(
    dir: &Path,
    edit: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<tempfile::TempDir> {
    let copy = tempfile::tempdir()?;
    std::fs::create_dir_all(copy.path().join("spam"))?;
    for sub in ["", "spam"] {
        for entry in std::fs::read_dir(dir.join(sub))? {
            let path = entry?.path();
            if path.is_file() {
                std::fs::copy(&path, copy.path().join(sub).join(path.file_name().unwrap()))?;
            }
        }
    }
    let spam = std::fs::read_to_string(dir.join("spam.toml"))?;
    // Tables, each from its `[[…]]` line; a rule's examples belong to it.
    let mut blocks: Vec<(bool, Vec<&str>)> = vec![(false, Vec::new())];
    for line in spam.lines() {
        if line.starts_with("[[") {
            let example_of = blocks.last().is_some_and(|b| b.0) && line == "[[rule.example]]";
            blocks.push((example_of, Vec::new()));
        }
        let block = blocks.last_mut().expect("one block at least");
        block.0 |= line == format!("id = \"{RULE}\"");
        block.1.push(line);
    }
    let mut out = String::new();
    for (ours, lines) in blocks {
        for line in lines {
            let kept = if ours {
                edit(line)
            } else {
                Some(line.to_string())
            };
            if let Some(kept) = kept {
                out.push_str(&kept);
                out.push('\n');
            }
        }
    }
    std::fs::write(copy.path().join("spam.toml"), out)?;
    Ok(copy)
}

/// The cleaned text of each document, cleaned as one run with the rules of `rules_dir`.
fn run(rules_dir: &Path, docs: &[Doc]) -> anyhow::Result<Vec<String>> {
    let rules = RuleSet::load(rules_dir, true)?;
    let engine = Engine::new(&rules)?;
    let dir = tempfile::tempdir()?;
    for (i, doc) in docs.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i:05}.txt")), &doc.text)?;
    }
    let mut sink = Collect(BTreeMap::new());
    engine.run(
        Inputs::collect(&[dir.path().to_path_buf()], None),
        &mut sink,
        |_| {},
    )?;
    Ok(sink.0.into_values().collect())
}

struct Collect(BTreeMap<String, String>);

impl Sink for Collect {
    fn write(&mut self, outcome: &mut Outcome) -> Result<(), Error> {
        let text = outcome
            .result
            .as_ref()
            .map(|c| c.render())
            .unwrap_or_default();
        self.0.insert(outcome.name.clone(), text);
        Ok(())
    }
}

/// Print one side's figures with (`on`) and without (`off`) the rule.
fn report(side: Side, docs: &[Doc], hosts: usize, on: &[String], off: &[String]) {
    let (mut copies, mut phrases) = (0, BTreeSet::new());
    let (mut restored, mut restored_off, mut removed, mut removed_off) = (0, 0, 0, 0);
    let mut damaged = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let Some((host, phrase)) = &doc.injected else {
            continue;
        };
        copies += 1;
        phrases.insert(phrase);
        let core = phrase.trim_end_matches([',', '，']);
        let gone = |out: &str| out.matches(core).count() < doc.text.matches(core).count();
        restored += usize::from(on[i] == on[*host]);
        restored_off += usize::from(off[i] == off[*host]);
        removed += usize::from(gone(&on[i]));
        removed_off += usize::from(gone(&off[i]));
        if on[i] != off[i] && on[i] != on[*host] {
            damaged.push(i);
        }
    }
    let touched: Vec<usize> = (0..hosts).filter(|&h| on[h] != off[h]).collect();
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "\n{side:?}: {} phrases, {copies} injected documents, {hosts} clean hosts\n  \
         documents restored: {restored_off}/{copies} ({:.1}%) without the rule, {restored}/{copies} \
         ({:.1}%) with it\n  phrase copies removed: {removed_off}/{copies} ({:.1}%) without, \
         {removed}/{copies} ({:.1}%) with\n  clean hosts touched by the rule: {} of {hosts}\n  \
         injected documents the rule changed without restoring them: {}",
        phrases.len(),
        pct(restored_off, copies),
        pct(restored, copies),
        pct(removed_off, copies),
        pct(removed, copies),
        touched.len(),
        damaged.len(),
    );
    for i in touched.iter().chain(&damaged) {
        println!(
            "  --- document {i}\n  without: {:?}\n  with:    {:?}",
            off[*i], on[*i]
        );
    }
}
