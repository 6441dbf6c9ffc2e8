//! `repeated-span`: a span injected with the same shape into many unrelated documents of one run.
//!
//! One document cannot tell an unseen phrase with its comma from a clause of its own; a crawl can:
//! an injector drops the same phrase into hundreds of pages. Repetition is evidence, not a verdict,
//! since real clauses recur across a crawl too (据新华社报道, a site's chrome, a republished quote),
//! so a span counts only when it already looks suspect on its own: it ends at an ASCII `,` that is
//! foreign to its line (the line punctuates with `，`, or punctuation or the line end follows the
//! comma: `,。`), or, when the rule sets `min_promo_cover`, it sounds promotional (at least that share
//! of its syllable bigrams are the scored rule's promotional ones; the default rules do not: on the
//! train side it touched clean pages and restored nothing more).
//!
//! The stage sees one document; the run engine (`src/run/`) sees the run. While a run cleans a
//! document ([`in_run`]), the stage records the document's suspect spans (their folded text, every
//! length from `min_span_chars` to `max_span_chars` before each suspect comma) and removes those the
//! run has confirmed: carried by at least `min_docs` documents that are not near-duplicates of one
//! another. At each comma the longest confirmed span goes: the documents share the injected phrase
//! and differ before it, so the longest span they share ends where their own texts begin. A span as
//! long as `max_span_chars` that the text runs on before is not bounded, and stays. Outside a run
//! (a single document, `sluice check`'s rule examples aside) the rule does nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use super::evidence::{is_clause_break, is_fullwidth_alnum};
use super::{Found, Spam};
use crate::document::Document;
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::text::chars::{is_han, is_invisible};
use crate::types::StageName;

/// Spans a run has confirmed: folded text → how many unrelated documents carried it.
pub type Confirmed = HashMap<String, usize>;

pub(super) struct RepeatedRule {
    id: String,
    min_docs: usize,
    min_span_chars: usize,
    max_span_chars: usize,
    min_promo_cover: Option<f64>,
}

/// A suspect span of a document, with the text either side of it: an injected phrase sits in
/// other text in each document, a sentence that pages share (a republished quote, a site's chrome)
/// in the same text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suspect {
    /// The span's folded text.
    pub key: String,
    /// The letter before the span; `None` after punctuation or at the start of the text.
    pub before: Option<char>,
    /// The two characters after the span's comma.
    pub after: String,
}

/// The run a document is cleaned in: what it confirmed before, and the suspects the stage saw.
struct RunContext {
    confirmed: Arc<Confirmed>,
    suspects: Vec<Suspect>,
}

thread_local! {
    /// Set by [`in_run`] for the document its thread is cleaning: the pipeline runs a document's
    /// stages on one thread, so the stage reads the run of the document it is given.
    static RUN: RefCell<Option<RunContext>> = const { RefCell::new(None) };
}

/// Resets the thread's run when `clean` returns or unwinds.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        RUN.with(|run| run.borrow_mut().take());
    }
}

/// Run `clean` (a document's pipeline) as part of a run that has confirmed `confirmed`: gives its
/// result and the suspect spans the spam stage found in the document, the first of each text.
pub fn in_run<T>(confirmed: &Arc<Confirmed>, clean: impl FnOnce() -> T) -> (T, Vec<Suspect>) {
    RUN.with(|run| {
        *run.borrow_mut() = Some(RunContext {
            confirmed: Arc::clone(confirmed),
            suspects: Vec::new(),
        })
    });
    let reset = Reset;
    let out = clean();
    let mut suspects = RUN
        .with(|run| run.borrow_mut().take())
        .map(|run| run.suspects)
        .unwrap_or_default();
    drop(reset);
    let mut seen = std::collections::HashSet::new();
    suspects.retain(|s| seen.insert(s.key.clone()));
    (out, suspects)
}

/// The number of unrelated documents of a run that confirm a span (`min_docs` of the rule of kind
/// `repeated-span`), or `None` when the rules have no such rule: the run then judges nothing.
pub fn min_docs(rules: &RuleSet) -> Result<Option<usize>, RuleError> {
    for rule in rules.for_stage(StageName::Spam).filter(|r| is_run_level(r)) {
        if let super::SpamKind::RepeatedSpan { min_docs, .. } = rule.parameters()? {
            return Ok(Some(min_docs));
        }
    }
    Ok(None)
}

/// Whether `rule` is judged over a run (kind `repeated-span`): its examples hold once a run has
/// confirmed their spans ([`as_confirmed`]).
pub fn is_run_level(rule: &Rule) -> bool {
    rule.stage == StageName::Spam
        && rule.params.get("kind").and_then(|k| k.as_str()) == Some("repeated-span")
}

/// One span before a comma: where it starts, its folded text, and whether it looks suspect alone.
struct Span {
    start: usize,
    letters: usize,
    suspect: Suspect,
}

impl RepeatedRule {
    pub(super) fn compile(
        rule: &Rule,
        min_docs: usize,
        (min_span_chars, max_span_chars): (usize, usize),
        min_promo_cover: Option<f64>,
    ) -> Result<Self, RuleError> {
        if min_docs < 2 || min_span_chars < 2 || max_span_chars < min_span_chars {
            return Err(rule.error(
                "min_docs and min_span_chars must be at least 2, max_span_chars at least min_span_chars",
            ));
        }
        Ok(RepeatedRule {
            id: rule.id.clone(),
            min_docs,
            min_span_chars,
            max_span_chars,
            min_promo_cover,
        })
    }

    /// Inside a run: record the document's suspect spans, and remove at each comma the longest one
    /// the run confirmed. A span the page runs on elsewhere (its words followed by no comma) is its
    /// subject, not an injection, and only flagged; so is a span that is its whole line.
    pub(super) fn find(&self, stage: &Spam, doc: &mut Document, found: &mut Found) {
        RUN.with(|run| {
            let mut run = run.borrow_mut();
            let Some(run) = run.as_mut() else { return };
            let text = doc.text.as_str();
            let mut folded: Option<String> = None;
            let mut flags = Vec::new();
            for (comma, spans, bounded) in self.sites(stage, text) {
                run.suspects.extend(spans.iter().map(|s| s.suspect.clone()));
                let Some(span) = spans
                    .iter()
                    .rev()
                    .find(|s| run.confirmed.contains_key(&s.suspect.key))
                else {
                    continue;
                };
                if span.letters == self.max_span_chars && !bounded {
                    continue;
                }
                let range = span.start..comma + 1;
                let key = &span.suspect.key;
                let docs = run.confirmed[key];
                let folded = folded.get_or_insert_with(|| stage.folder.fold_text(text));
                if runs_on(folded, key) || whole_line(text, &range) {
                    flags.push((key.clone(), docs, range.start));
                    continue;
                }
                let reason = format!(
                    "span `{}` with the injector's comma recurs in {docs} unrelated documents of \
                     this run (at least {})",
                    key, self.min_docs
                );
                found.remove(range, &self.id, reason);
            }
            for (key, docs, at) in flags {
                let message = format!(
                    "span `{key}` recurs in {docs} unrelated documents of this run, but the page \
                     uses it in its own text (or it is a whole line): kept"
                );
                doc.flag(StageName::Spam, &self.id, message, Some(at));
            }
        });
    }

    /// The suspect comma sites of `text`: each ASCII `,` after a letter and before no ASCII letter
    /// or digit (`java,python`, `1,000`) that is foreign to its line or ends a promotional span,
    /// with the spans before it from `min_span_chars` to `max_span_chars` letters (shortest first;
    /// a span holds at least two Han characters and does not start inside a Latin word), and
    /// whether the run of letters before the comma ends within `max_span_chars`. Every span of a
    /// suspect comma is a suspect: which of them was injected is for the run to tell.
    fn sites(&self, stage: &Spam, text: &str) -> Vec<(usize, Vec<Span>, bool)> {
        let fold = |s: &str| stage.folder.fold_text(s);
        let mut sites = Vec::new();
        // Each line once: whether it punctuates with `，`, then its commas.
        let mut line_start = 0;
        let commas = text.split_inclusive('\n').flat_map(|line| {
            let start = line_start;
            line_start += line.len();
            let full_width = line.contains('，');
            line.match_indices(',')
                .map(move |(at, _)| (start + at, full_width))
        });
        for (comma, full_width) in commas {
            let after = text[comma + 1..].chars().next();
            if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let foreign = full_width || after.is_none_or(|c| is_clause_break(c) && c != ',');
            if !foreign && self.min_promo_cover.is_none() {
                continue;
            }
            let (mut spans, mut han, mut letters) = (Vec::new(), 0, 0);
            let mut promotional = false;
            let mut bounded = true;
            let mut before = text[..comma].char_indices().rev().peekable();
            while let Some((at, c)) = before.next() {
                if is_invisible(c) {
                    continue;
                }
                if !is_letter(c) {
                    break;
                }
                if letters == self.max_span_chars {
                    bounded = false;
                    break;
                }
                letters += 1;
                han += usize::from(is_han(c));
                let inside_word = c.is_ascii_alphanumeric()
                    && before
                        .peek()
                        .is_some_and(|(_, p)| p.is_ascii_alphanumeric());
                if letters < self.min_span_chars || han < 2 || inside_word {
                    continue;
                }
                let span = &text[at..comma];
                promotional = promotional
                    || self.min_promo_cover.is_some_and(|min| {
                        stage.promo_cover(span).is_some_and(|cover| cover >= min)
                    });
                let before = before.peek().map(|(_, p)| *p).filter(|p| is_letter(*p));
                spans.push(Span {
                    start: at,
                    letters,
                    suspect: Suspect {
                        key: stage.folder.fold_text(span),
                        before: before.and_then(|b| fold(&b.to_string()).chars().next()),
                        after: fold(&text[comma + 1..].chars().take(2).collect::<String>()),
                    },
                });
            }
            if !spans.is_empty() && (foreign || promotional) {
                sites.push((comma, spans, bounded));
            }
        }
        sites
    }
}

/// A letter of a span: a Han character, an ASCII or full-width letter or digit.
fn is_letter(c: char) -> bool {
    is_han(c) || c.is_ascii_alphanumeric() || is_fullwidth_alnum(c)
}

/// Whether the folded page uses `key` in its own text: followed by anything but a comma.
fn runs_on(folded: &str, key: &str) -> bool {
    folded
        .match_indices(key)
        .any(|(at, _)| !folded[at + key.len()..].starts_with([',', '，']))
}

/// Whether removing `range` would leave its line without a letter.
fn whole_line(text: &str, range: &Range<usize>) -> bool {
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    !text[start..range.start]
        .chars()
        .chain(text[range.end..end].chars())
        .any(char::is_alphanumeric)
}

/// Clean `text` with the spam stage alone as a document of a run that has confirmed every suspect
/// span of `text` itself (for `sluice check`'s examples of the rule): what the stage removes once a
/// run has seen the spans often enough.
pub fn as_confirmed<T>(clean: impl Fn() -> T) -> T {
    let (_, suspects) = in_run(&Arc::default(), &clean);
    let confirmed: Confirmed = suspects.into_iter().map(|s| (s.key, 0)).collect();
    in_run(&Arc::new(confirmed), clean).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::Stage;

    fn stage() -> Spam {
        Spam::from_rules(&RuleSet::defaults().unwrap()).unwrap()
    }

    /// The text after the stage, in a run that confirmed `spans`, with the suspects it found.
    fn clean(stage: &Spam, text: &str, spans: &[&str]) -> (Document, Vec<String>) {
        let confirmed: Confirmed = spans.iter().map(|s| (s.to_string(), 3)).collect();
        let (doc, suspects) = in_run(&Arc::new(confirmed), || {
            let mut doc = Document::from_text(text);
            stage.run(&mut doc);
            doc
        });
        (doc, suspects.into_iter().map(|s| s.key).collect())
    }

    #[test]
    fn suspects_have_the_injectors_shape_or_sound() {
        let stage = stage();
        let text = "我們今天去了公園，除濕機推薦,天氣非常好。";
        let (_, suspects) = clean(&stage, text, &[]);
        assert_eq!(suspects, ["机推荐", "湿机推荐", "除湿机推荐"]);
        // With the text either side: the letter before (none after punctuation) and after.
        let (_, suspects) = in_run(&Arc::default(), || {
            stage.run(&mut Document::from_text(text))
        });
        assert_eq!(suspects[1].before, Some('除'));
        assert_eq!(suspects[2].before, None);
        assert_eq!(suspects[2].after, "天气");
        // An ASCII comma in a line of ASCII commas, before nothing promotional: no suspect.
        let (_, suspects) = clean(&stage, "据新华社报道,今天北京天气晴朗。", &[]);
        assert!(suspects.is_empty());
        // Before a Latin word or a number the comma is not the injector's.
        let (_, suspects) = clean(&stage, "我們使用中文java,python，以及1,000元。", &[]);
        assert!(suspects.is_empty());
    }

    #[test]
    fn the_longest_confirmed_span_goes_with_its_comma() {
        let stage = stage();
        let text = "初期的玩家除濕機推薦,開始出現，很好。";
        let (doc, _) = clean(&stage, text, &["推荐", "机推荐", "除湿机推荐"]);
        assert_eq!(doc.text, "初期的玩家開始出現，很好。");
        assert_eq!(doc.report.replay(StageName::Spam, text).unwrap(), doc.text);
        assert!(
            doc.report
                .edits
                .iter()
                .all(|e| e.rule == "spam.repeated-span")
        );
        // Outside a run, or with nothing confirmed, nothing is removed.
        let mut alone = Document::from_text(text);
        stage.run(&mut alone);
        assert_eq!(alone.text, text);
        assert_eq!(clean(&stage, text, &[]).0.text, text);
    }

    #[test]
    fn unbounded_supported_and_whole_line_spans_stay() {
        let stage = stage();
        // Ten letters with more before them: where the phrase starts is not known.
        let text = "在初期的玩家除濕機推薦,開始出現，很好。";
        let (doc, _) = clean(&stage, text, &["初期的玩家除湿机推荐"]);
        assert_eq!(doc.text, text);
        // The page uses the phrase in its own text: flagged, kept.
        let text = "除濕機推薦的比較很多，除濕機推薦,天氣很好。";
        let (doc, _) = clean(&stage, text, &["除湿机推荐"]);
        assert_eq!(doc.text, text);
        assert!(
            doc.report
                .flags
                .iter()
                .any(|f| f.rule == "spam.repeated-span")
        );
        let text = "責任編輯,\n正文，內容。";
        let (doc, _) = clean(&stage, text, &["责任编辑"]);
        assert_eq!(doc.text, text);
    }
}
