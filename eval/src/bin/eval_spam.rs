//! Evaluate the `spam` stage on the development cases of `../shared/data/spam/`.
//!
//! ```text
//! cargo run --release -p sluice-eval --bin eval_spam                       # per-mechanism table
//! cargo run --release -p sluice-eval --bin eval_spam -- --holdout          # also: the split's figures
//! cargo run --release -p sluice-eval --bin eval_spam -- --holdout --misses # ... and the train misses
//! cargo run --release -p sluice-eval --bin eval_spam -- --holdout --strict # no list word of validation
//! cargo run --release -p sluice-eval --bin eval_spam -- --show MECH        # the failures of one mechanism
//! cargo run --release -p sluice-eval --bin eval_spam -- --holdout --strict --show MECH  # ... with the train side's rules
//! ```
//!
//! Text cases run the `markup` and `spam` stages (tag soup is the markup stage's) and are compared
//! with the gold `clean` text after the pipeline's final layout (lines trimmed, blank lines dropped).
//! HTML cases need the `html` stage: they are scored as the same pipeline's output on `dirty` against
//! its output on `clean`.
//!
//! `--holdout` splits the data by group (`sluice_eval::spam_split`: vocabulary category and source,
//! real title site), builds the rules from the train side only, and reports validation first:
//! documents restored, unseen inline phrases and real titles removed, negatives touched, real
//! characters lost. `--strict` also drops the list words that train text supports too when they occur
//! in validation text: the recall of the evidence that needs no list. `--misses` prints the spans missed on the train side only: validation failures
//! are not for reading one by one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use similar::{ChangeTag, TextDiff};
use sluice::{Cleaned, Document, Pipeline, RuleSet, StageName};
use sluice_eval::spam_split::{Case, Side, SpamSplit, case_side, span_side};

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
    fn of(case: &Case, outcome: &Outcome) -> Self {
        Row {
            docs: 1,
            exact: usize::from(outcome.exact),
            touched_negatives: usize::from(case.negative && outcome.spam_edits > 0),
            clean_chars: outcome.clean_chars,
            lost_chars: outcome.lost_chars,
            missed_chars: outcome.missed_chars,
        }
    }

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
    let data = root.join("../shared/data/spam");
    let cases = Case::load(&data)?;

    // The rules as they are on disk, so a retrained model is measured without a rebuild.
    let rules = RuleSet::load(&root.join("rules"), true)?;
    let holdout = args.iter().any(|a| a == "--holdout");
    // With the split, `--show` shows what the train side's rules miss.
    let outcomes = evaluate(&rules, &cases, show.as_deref().filter(|_| !holdout));
    print_table(&rows(&cases, &outcomes));

    if holdout {
        let split = SpamSplit::load(&data, rules.folder()?)?;
        let strict = args.iter().any(|a| a == "--strict");
        let (dir, dropped) = split.train_rules(&root.join("rules"), strict)?;
        let train_rules = RuleSet::load(dir.path(), true)?;
        let sides: Vec<Side> = cases.iter().map(|c| case_side(&split, c)).collect();
        println!("\nsplit by group (vocabulary category and source, real title site); validation:");
        for group in split.validation_groups() {
            println!("  {group}");
        }
        println!(
            "{} list entries dropped from the rules ({}):",
            dropped.len(),
            if strict {
                "they occur in validation text"
            } else {
                "only validation text could teach them"
            }
        );
        for entry in &dropped {
            println!("  {entry}");
        }
        let held = evaluate(&train_rules, &cases, show.as_deref());
        for side in [Side::Validation, Side::Train] {
            print_side(&split, &cases, &sides, &held, side);
        }
        if args.iter().any(|a| a == "--misses") {
            for (case, outcome) in cases.iter().zip(&held) {
                for (span, removed) in case.spam_spans.iter().zip(&outcome.spans) {
                    if *removed == Some(false) && span_side(&split, span) == Some(Side::Train) {
                        println!("train miss: {}", span.text);
                    }
                }
            }
        }
    }
    Ok(())
}

/// What one case gave: the case's scores and, for each gold span of a text case, whether the output
/// lost it (`None` for spans of other stages: tag soup).
struct Outcome {
    exact: bool,
    clean_chars: usize,
    lost_chars: usize,
    missed_chars: usize,
    spam_edits: usize,
    spans: Vec<Option<bool>>,
}

/// Run every case through the pipelines built from `rules`.
fn evaluate(rules: &RuleSet, cases: &[Case], show: Option<&str>) -> Vec<Outcome> {
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
    let mut outcomes = Vec::with_capacity(cases.len());
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
        let (lost_chars, missed_chars) = char_diff(&expected, &output);
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
        let spans = case
            .spam_spans
            .iter()
            .map(|span| {
                (case.format == "text" && span.kind != "tag_soup").then(|| {
                    let core = span.text.trim().trim_end_matches([',', '，']);
                    output.matches(core).count() < case.dirty.matches(core).count()
                })
            })
            .collect();
        outcomes.push(Outcome {
            exact: output == expected,
            clean_chars: expected.chars().count(),
            lost_chars,
            missed_chars,
            spam_edits,
            spans,
        });
    }
    outcomes
}

/// The per-mechanism rows of the outcomes.
fn rows(cases: &[Case], outcomes: &[Outcome]) -> BTreeMap<String, Row> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        let key = format!(
            "{}{}",
            case.mechanism,
            if case.format == "html" { " (html)" } else { "" }
        );
        rows.entry(key).or_default().add(&Row::of(case, outcome));
    }
    rows
}

/// The split's figures for one side, with the rules built from the train side.
fn print_side(split: &SpamSplit, cases: &[Case], sides: &[Side], held: &[Outcome], side: Side) {
    let (mut dirty, mut negative) = (Row::default(), Row::default());
    let (mut phrases, mut phrases_found, mut titles, mut titles_found) = (0, 0, 0, 0);
    // Dirty text documents not restored, by mechanism.
    let mut failed: BTreeMap<&str, usize> = BTreeMap::new();
    for ((case, outcome), _) in cases
        .iter()
        .zip(held)
        .zip(sides)
        .filter(|(_, s)| **s == side)
    {
        let row = Row::of(case, outcome);
        if case.negative {
            negative.add(&row);
        } else if case.format == "text" {
            dirty.add(&row);
            if !outcome.exact {
                *failed.entry(case.mechanism.as_str()).or_default() += 1;
            }
        }
        for (span, removed) in case.spam_spans.iter().zip(&outcome.spans) {
            let Some(removed) = removed else { continue };
            if span_side(split, span) != Some(side) {
                continue;
            }
            if span.kind == "title_hijack" {
                titles += 1;
                titles_found += usize::from(*removed);
            } else {
                phrases += 1;
                phrases_found += usize::from(*removed);
            }
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "\n{side:?} (rules from the train side only):\n  text dirty documents restored exactly: \
         {}/{} ({:.1}%)\n  inline spans of {} phrases removed: {phrases_found}/{phrases} ({:.1}%)\n  \
         real hijacked titles of {} sites removed: {titles_found}/{titles} ({:.1}%)\n  clean \
         documents (negatives) touched by the spam stage: {} of {}\n  real characters lost: {} of \
         {} ({:.3}%)",
        dirty.exact,
        dirty.docs,
        pct(dirty.exact, dirty.docs),
        if side == Side::Train {
            "train"
        } else {
            "unseen"
        },
        pct(phrases_found, phrases),
        if side == Side::Train {
            "train"
        } else {
            "unseen"
        },
        pct(titles_found, titles),
        negative.touched_negatives,
        negative.docs,
        dirty.lost_chars + negative.lost_chars,
        dirty.clean_chars + negative.clean_chars,
        pct(
            dirty.lost_chars + negative.lost_chars,
            dirty.clean_chars + negative.clean_chars
        ),
    );
    let failed: Vec<String> = failed.iter().map(|(m, n)| format!("{m} {n}")).collect();
    println!("  not restored, by mechanism: {}", failed.join(", "));
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
