//! Evaluate the `spam` stage on the development cases of `../shared/data/spam/`.
//!
//! ```text
//! cargo run --release --example eval_spam                 # per-mechanism table
//! cargo run --release --example eval_spam -- --holdout    # also: recall on phrases held out of the lists
//! cargo run --release --example eval_spam -- --holdout --every 1   # ... with no phrase list at all
//! cargo run --release --example eval_spam -- --show MECH  # print the failures of one mechanism
//! ```
//!
//! Text cases run the `markup` and `spam` stages (tag soup is the markup stage's) and are compared
//! with the gold `clean` text after the pipeline's final layout (lines trimmed, blank lines dropped).
//! HTML cases need the `html` stage: they are scored as the same pipeline's output on `dirty` against
//! its output on `clean`, and only mean something once that stage is built.
//!
//! `--holdout` removes every third phrase (by a stable hash) from the phrase lists, reruns, and reports
//! how many injected spans of those phrases are still removed: the recall on phrases in no list.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use similar::{ChangeTag, TextDiff};
use sluice::{Cleaned, Document, Pipeline, RuleSet, StageName};

#[derive(Deserialize)]
struct Case {
    id: String,
    mechanism: String,
    format: String,
    negative: bool,
    dirty: String,
    clean: String,
    spam_spans: Vec<Span>,
}

#[derive(Deserialize)]
struct Span {
    text: String,
    kind: String,
}

#[derive(Default)]
struct Row {
    docs: usize,
    exact: usize,
    touched_negatives: usize,
    clean_chars: usize,
    lost_chars: usize,
    missed_chars: usize,
}

impl Row {
    fn add(&mut self, other: &Row) {
        self.docs += other.docs;
        self.exact += other.exact;
        self.touched_negatives += other.touched_negatives;
        self.clean_chars += other.clean_chars;
        self.lost_chars += other.lost_chars;
        self.missed_chars += other.missed_chars;
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let root = PathBuf::from(sluice_eval::REPO);
    let data = root.join("../shared/data/spam/cases-dev.jsonl");
    let cases: Vec<Case> = std::fs::read_to_string(&data)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;

    let rules = RuleSet::defaults()?;
    let (rows, _) = evaluate(&rules, &cases, show.as_deref());
    print_table(&rows);

    if args.iter().any(|a| a == "--holdout") {
        let every: u64 = args
            .iter()
            .position(|a| a == "--every")
            .and_then(|i| args.get(i + 1))
            .map_or(Ok(3), |n| n.parse())?;
        let (dir, held_out) = holdout_rules(&root, every)?;
        let reduced = RuleSet::load(dir.path(), true)?;
        let folder = rules.folder()?;
        let (_, removed_full) = evaluate(&rules, &cases, None);
        let (_, removed_reduced) = evaluate(&reduced, &cases, None);
        let held: HashSet<String> = held_out.iter().map(|p| folder.fold(p).text).collect();
        let is_held = |span: &str| {
            let f = folder.fold(span).text;
            held.iter().any(|p| f.contains(p.as_str()))
        };
        let (mut total, mut full, mut reduced_found) = (0, 0, 0);
        for ((text, found_full), (_, found_reduced)) in removed_full.iter().zip(&removed_reduced) {
            if is_held(text) {
                total += 1;
                full += usize::from(*found_full);
                reduced_found += usize::from(*found_reduced);
                if !found_reduced && args.iter().any(|a| a == "--misses") {
                    println!("missed when unlisted: {text}");
                }
            }
        }
        println!(
            "\nheld out {} of the listed phrases; {total} injected spans use them:\n  \
             removed with full lists: {full}/{total}\n  removed with those phrases unlisted: \
             {reduced_found}/{total} ({:.1}%)",
            held_out.len(),
            100.0 * reduced_found as f64 / total.max(1) as f64
        );
    }
    Ok(())
}

/// Run every case; return the per-mechanism rows and, for every inline span of a text case, its text
/// and whether the output no longer contains it.
fn evaluate(
    rules: &RuleSet,
    cases: &[Case],
    show: Option<&str>,
) -> (BTreeMap<String, Row>, Vec<(String, bool)>) {
    let text_pipeline =
        Pipeline::with_stages(rules, [StageName::Markup, StageName::Spam]).expect("rules compile");
    // The gold text through the markup stage alone: its own edits (stray backslashes) are not spam.
    let markup_only = Pipeline::with_stages(rules, [StageName::Markup]).expect("rules compile");
    let html_pipeline = Pipeline::with_stages(
        rules,
        [
            StageName::Decode,
            StageName::Html,
            StageName::Markup,
            StageName::Spam,
        ],
    )
    .expect("rules compile");
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut spans = Vec::new();
    for case in cases {
        let (output, expected, spam_edits) = if case.format == "html" {
            let run = |s: &str| {
                html_pipeline
                    .clean(s.as_bytes())
                    .map(|c| c.render())
                    .unwrap_or_default()
            };
            let dirty = html_pipeline.clean(case.dirty.as_bytes()).ok();
            let edits = dirty.as_ref().map_or(0, spam_edit_count);
            (
                dirty.map(|c| c.render()).unwrap_or_default(),
                run(&case.clean),
                edits,
            )
        } else {
            let out = text_pipeline.run(Document::from_text(case.dirty.as_str()));
            (
                layout(&out.render()),
                layout(
                    &markup_only
                        .run(Document::from_text(case.clean.as_str()))
                        .render(),
                ),
                spam_edit_count(&out),
            )
        };
        let key = format!(
            "{}{}",
            case.mechanism,
            if case.format == "html" { " (html)" } else { "" }
        );
        let row = rows.entry(key).or_default();
        row.docs += 1;
        let (lost, missed) = char_diff(&expected, &output);
        row.clean_chars += expected.chars().count();
        row.lost_chars += lost;
        row.missed_chars += missed;
        if output == expected {
            row.exact += 1;
        }
        if case.negative && spam_edits > 0 {
            row.touched_negatives += 1;
        }
        if output != expected && show == Some(case.mechanism.as_str()) {
            print_failure(case, &expected, &output);
        }
        if show == Some(case.id.as_str()) {
            print_failure(case, &expected, &output);
            let out = text_pipeline.run(Document::from_text(case.dirty.as_str()));
            for edit in out.report.edits {
                println!("{} {:?} {}", edit.rule, edit.before, edit.reason);
            }
        }
        if case.format == "text" {
            for span in &case.spam_spans {
                if span.kind == "tag_soup" || span.kind == "title_hijack" {
                    continue;
                }
                let core = span.text.trim_end_matches([',', '，']);
                let before = case.dirty.matches(core).count();
                let after = output.matches(core).count();
                spans.push((core.to_string(), after < before));
            }
        }
    }
    (rows, spans)
}

fn spam_edit_count(cleaned: &Cleaned) -> usize {
    cleaned
        .report
        .edits
        .iter()
        .filter(|e| e.stage == StageName::Spam)
        .count()
}

/// The pipeline's final layout: lines trimmed, blank lines dropped.
fn layout(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Characters of the expected text missing from the output (real text lost) and characters of the
/// output not in the expected text (spam left).
fn char_diff(expected: &str, output: &str) -> (usize, usize) {
    let diff = TextDiff::from_chars(expected, output);
    let mut lost = 0;
    let mut missed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Delete => lost += 1,
            ChangeTag::Insert => missed += 1,
            ChangeTag::Equal => {}
        }
    }
    (lost, missed)
}

fn print_failure(case: &Case, expected: &str, output: &str) {
    println!("--- {} ({})", case.id, case.mechanism);
    let diff = TextDiff::from_lines(expected, output);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Delete => print!("- {}", change.value()),
            ChangeTag::Insert => print!("+ {}", change.value()),
            ChangeTag::Equal => {}
        }
    }
    println!();
}

fn print_table(rows: &BTreeMap<String, Row>) {
    println!(
        "{:<28} {:>5} {:>7} {:>8} {:>10} {:>8} {:>8}",
        "mechanism", "docs", "exact", "exact%", "real_lost", "lost%", "left"
    );
    let mut dirty = Row::default();
    let mut negative = Row::default();
    // Mechanisms with no tag soup (the markup stage's) and no HTML (the html stage's).
    let mut spam_only = Row::default();
    for (name, row) in rows {
        println!(
            "{:<28} {:>5} {:>7} {:>7.1}% {:>10} {:>7.3}% {:>8}",
            name,
            row.docs,
            row.exact,
            100.0 * row.exact as f64 / row.docs as f64,
            row.lost_chars,
            100.0 * row.lost_chars as f64 / row.clean_chars.max(1) as f64,
            row.missed_chars
        );
        if name.starts_with("neg_") {
            negative.add(row);
        } else if !name.ends_with("(html)") {
            dirty.add(row);
            let has_soup = ["tag_soup", "combo_000_like", "seed_real"]
                .iter()
                .any(|m| name.starts_with(m));
            if !has_soup {
                spam_only.add(row);
            }
        }
    }
    println!(
        "\ntext dirty documents: {}/{} restored exactly ({:.1}%), {} of {} real characters lost \
         ({:.3}%), {} spam characters left",
        dirty.exact,
        dirty.docs,
        100.0 * dirty.exact as f64 / dirty.docs.max(1) as f64,
        dirty.lost_chars,
        dirty.clean_chars,
        100.0 * dirty.lost_chars as f64 / dirty.clean_chars.max(1) as f64,
        dirty.missed_chars
    );
    println!(
        "  of which mechanisms without tag soup: {}/{} restored exactly ({:.1}%)",
        spam_only.exact,
        spam_only.docs,
        100.0 * spam_only.exact as f64 / spam_only.docs.max(1) as f64
    );
    println!(
        "negatives (text and html): {} touched by the spam stage, of {}",
        negative.touched_negatives, negative.docs
    );
}

/// A rules directory overlaying the phrase lists without one phrase in `every` (all with 1); and
/// those phrases.
fn holdout_rules(root: &Path, every: u64) -> anyhow::Result<(tempfile::TempDir, Vec<String>)> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("spam"))?;
    let mut held_out = Vec::new();
    for entry in std::fs::read_dir(root.join("rules/spam"))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !name.starts_with("phrases-") {
            continue;
        }
        let mut kept = String::new();
        for line in std::fs::read_to_string(&path)?.lines() {
            let word = line.trim();
            let hold = !word.is_empty()
                && !word.starts_with('#')
                && xxhash_rust::xxh3::xxh3_64(word.as_bytes()).is_multiple_of(every);
            if hold {
                held_out.push(word.to_string());
            } else {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        std::fs::write(dir.path().join("spam").join(name.as_ref()), kept)?;
    }
    Ok((dir, held_out))
}
