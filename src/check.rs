//! What `sluice check` checks: the rules compile, every rule's examples hold, every golden fixture
//! still produces its expected output. What a rules repository runs in its CI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::document::{Document, Format};
use crate::error::{Error, walk_error};
use crate::pipeline::Pipeline;
use crate::report::Report;
use crate::rules::{Rule, RuleSet};
use crate::run::read_input;
use crate::stages::spam;
use crate::types::StageName;

/// The checks run so far: how many passed and failed, and a message for each failure (a unified
/// diff) and each blessed fixture, in the order met.
#[derive(Debug, Default)]
pub struct Tally {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// What to show, in order.
    pub messages: Vec<String>,
}

impl Tally {
    fn record(&mut self, failure: Option<String>) {
        match failure {
            None => self.passed += 1,
            Some(message) => {
                self.failed += 1;
                self.messages.push(message);
            }
        }
    }
}

/// A line for each message, then `N passed, M failed`.
impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        for message in &self.messages {
            writeln!(f, "{message}")?;
        }
        writeln!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Run each rule's examples through a pipeline of that rule's stage alone.
pub fn check_rule_examples(rules: &RuleSet, tally: &mut Tally) -> Result<(), Error> {
    let mut pipelines: HashMap<StageName, Pipeline> = HashMap::new();
    for rule in rules.rules() {
        let pipeline = match pipelines.entry(rule.stage) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Pipeline::with_stages(rules, [rule.stage])?)
            }
        };
        // A run-level rule's examples are cleaned as documents of a run that confirmed their spans.
        let run_example = |pipeline: &Pipeline, rule: &Rule, input: &str| {
            if spam::repeated::is_run_level(rule) {
                spam::repeated::as_confirmed(|| run_example(pipeline, rule, input))
            } else {
                run_example(pipeline, rule, input)
            }
        };
        for (n, example) in rule.examples.iter().enumerate() {
            let (doc, fired, _) = run_example(pipeline, rule, &example.input);
            let text = doc.text;
            let failure = if let Some(ids) = undeclared_ids(rules, &doc.report) {
                Some(format!(
                    "FAIL {} example {} ({}:{}): undeclared ids in the report: {ids}",
                    rule.id,
                    n + 1,
                    rule.origin.file,
                    rule.origin.line
                ))
            } else if text != example.output {
                Some(format!(
                    "FAIL {} example {} ({}:{}):\n{}",
                    rule.id,
                    n + 1,
                    rule.origin.file,
                    rule.origin.line,
                    unified_diff(&example.output, &text, "expected", "actual")
                ))
            } else if !fired {
                Some(format!(
                    "FAIL {} example {} ({}:{}): right output, but the rule itself did not fire",
                    rule.id,
                    n + 1,
                    rule.origin.file,
                    rule.origin.line
                ))
            } else {
                None
            };
            tally.record(failure);
        }
        for input in &rule.unchanged {
            // Unchanged: the text comes out as it went in and the rule made no edit (a flag, which
            // records something seen and left alone, is allowed).
            let (doc, _, edited) = run_example(pipeline, rule, input);
            let text = doc.text;
            let fired = edited;
            let failure = (text != *input || fired).then(|| {
                format!(
                    "FAIL {} unchanged input ({}:{}): {}\n{}",
                    rule.id,
                    rule.origin.file,
                    rule.origin.line,
                    if fired {
                        "the rule fired"
                    } else {
                        "the stage changed it"
                    },
                    unified_diff(input, &text, "input", "actual")
                )
            });
            tally.record(failure);
        }
    }
    Ok(())
}

/// The ids in a report that no rule or `[[flag]]` declares (comma-separated), if any: every id a
/// report carries must resolve with `sluice rules ID`.
fn undeclared_ids(rules: &RuleSet, report: &Report) -> Option<String> {
    let emitted = report.edits.iter().map(|e| &e.rule);
    let flagged = report.flags.iter().map(|f| &f.rule);
    let mut ids: Vec<&str> = emitted
        .chain(flagged)
        .filter(|id| !rules.declares(id))
        .map(String::as_str)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    (!ids.is_empty()).then(|| ids.join(", "))
}

/// The stage's output document for an example input, whether the rule made an edit or a flag (html
/// rules report what they removed from the DOM as flags), and whether it made an edit.
fn run_example(pipeline: &Pipeline, rule: &Rule, input: &str) -> (Document, bool, bool) {
    let mut doc = Document::from_text(input);
    if rule.stage == StageName::Html {
        doc.format = Format::Html;
        doc.html = Some(input.to_string());
        doc.text.clear();
    }
    let doc = pipeline.run_stages(doc, |_, _| {});
    let edited = doc.report.edits.iter().any(|e| e.rule == rule.id);
    let flagged = doc.report.flags.iter().any(|f| f.rule == rule.id);
    (doc, edited || flagged, edited)
}

/// Every `X.expected.txt` under `dir` against `sluice clean X.<ext>`; with `bless`, a failing
/// fixture's expected file is rewritten with the actual output.
pub fn check_fixtures(
    rules: &RuleSet,
    pipeline: &Pipeline,
    dir: &Path,
    bless: bool,
    tally: &mut Tally,
) -> Result<(), Error> {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| walk_error(dir, e))?;
        let name = entry.file_name().to_string_lossy();
        let Some(stem) = name.strip_suffix(".expected.txt") else {
            continue;
        };
        let expected = std::fs::read_to_string(entry.path()).map_err(|source| Error::Io {
            path: entry.path().to_path_buf(),
            source,
        })?;
        let failure = match fixture_input(entry.path(), stem) {
            None => Some(format!(
                "FAIL {}: no input file {stem}.* beside it",
                entry.path().display()
            )),
            Some(input) => {
                let cleaned = read_input(&input).and_then(|bytes| pipeline.clean(&bytes));
                let undeclared = cleaned
                    .as_ref()
                    .ok()
                    .and_then(|c| undeclared_ids(rules, &c.report));
                let actual = cleaned
                    .map(|c| c.render())
                    .unwrap_or_else(|e| format!("error: {e}\n"));
                if bless && actual != expected {
                    std::fs::write(entry.path(), &actual).map_err(|source| Error::Write {
                        path: entry.path().to_path_buf(),
                        source,
                    })?;
                    tally
                        .messages
                        .push(format!("blessed {}", entry.path().display()));
                }
                if let Some(ids) = undeclared {
                    Some(format!(
                        "FAIL fixture {}: undeclared ids in the report: {ids}",
                        input.display()
                    ))
                } else {
                    (actual != expected && !bless).then(|| {
                        format!(
                            "FAIL fixture {}:\n{}",
                            input.display(),
                            unified_diff(&expected, &actual, "expected", "actual")
                        )
                    })
                }
            }
        };
        tally.record(failure);
    }
    Ok(())
}

/// The input beside an expected file: same stem, any other extension.
fn fixture_input(expected: &Path, stem: &str) -> Option<PathBuf> {
    let dir = expected.parent()?;
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.strip_prefix(stem)
                .is_some_and(|rest| rest.starts_with('.'))
                && !name.contains(".expected.")
        })
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

fn unified_diff(expected: &str, actual: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(2)
        .header(old, new)
        .missing_newline_hint(false)
        .to_string()
}
