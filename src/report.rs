//! The per-document report: how the bytes were decoded, every edit every stage made, and flags for
//! what a stage saw but did not change.

use serde::Serialize;

use crate::types::StageName;

/// One change made by one stage. `start..end` is a byte range in that stage's *input* text, so the
/// edits of a stage, applied in order to its input, reproduce its output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The stage that made the edit.
    pub stage: StageName,
    /// The rule's id (`markup.stray-backslash`).
    pub rule: String,
    /// Where the replaced text starts, in bytes of the stage's input.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// The text that was removed or replaced.
    pub before: String,
    /// The replacement; empty for a removal.
    pub after: String,
    /// Why: the evidence the rule used.
    pub reason: String,
}

/// Something a stage noticed but left alone (or a cap it hit), with the position in its input text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// The stage that noticed.
    pub stage: StageName,
    /// The rule's id.
    pub rule: String,
    /// What was noticed.
    pub message: String,
    /// A byte offset in the stage's input text, when the flag is about one place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// How a document's bytes became text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecodeReport {
    /// The encoding used (WHATWG name, e.g. `GB18030`, `Big5`, `UTF-8`).
    pub encoding: String,
    /// How it was decided: `bom`, `pattern` (UTF-16/32 without a byte-order mark), `utf8`,
    /// `declared`, `transport`, `escapes` (ISO-2022-CN, HZ), `detected`, `near-miss`, `given`.
    pub method: String,
    /// What showed the encoding, when the method alone does not say (a byte-order mark, the
    /// code-unit pattern, the escapes, the scores of the decodings compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The charset the document declared in `<meta>` or an XML declaration, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// The charset a transport header (HTTP/WARC) gave, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Set when a declared or transport charset was not used, with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
    /// Number of malformed byte sequences (each became U+FFFD).
    pub errors: usize,
    /// Byte offsets in the input of the first malformed sequences (at most 64).
    pub error_offsets: Vec<usize>,
}

/// What the `html` stage left out of the text of a page, so that its output can be rebuilt from its
/// input (the decoded markup) and this (as `tests/accounting.rs` does for every fixture): every
/// element a rule removed, as a byte range of the markup with the markup itself, and every block
/// of text the main-content choice left out, with its text. Markup of the elements kept (tags,
/// comments, white space collapsed between words) is the layout of the extraction, not a removal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HtmlAccounting {
    /// Elements removed by a cleaning rule, in document order; none inside another.
    pub removed: Vec<RemovedElement>,
    /// Blocks of text of the elements kept that the output leaves out, in document order.
    pub dropped: Vec<DroppedBlock>,
    /// The title put on the output's first line (from `<title>`, `og:title` or a heading), if any;
    /// a block with the same text is not repeated under it.
    pub title: Option<String>,
}

/// An element a cleaning rule removed, with all it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedElement {
    /// The rule's id (`html.script-style`).
    pub rule: String,
    /// The element and its two nearest ancestors (`body > div.main > div#ad`).
    pub path: String,
    /// Where its start tag starts, in bytes of the decoded markup.
    pub start: usize,
    /// Where it ends (exclusive): after its own end tag, or after its last content when the
    /// markup left it to be closed by what follows.
    pub end: usize,
    /// The markup removed, `start..end` of the decoded markup, whole.
    pub markup: String,
}

/// A block of text that the main-content choice (or a rule applied inside the content) left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedBlock {
    /// The rule's id (`html.main-content`, or the rule that dropped it inside the content).
    pub rule: String,
    /// Where the start tag of the innermost element holding the block starts, in bytes of the
    /// decoded markup.
    pub element: usize,
    /// The block's text, white space collapsed, whole.
    pub text: String,
}

/// Everything sluice did to one document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// How the bytes were decoded (none for a document given as text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode: Option<DecodeReport>,
    /// What the `html` stage left out (HTML documents only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<HtmlAccounting>,
    /// The stages that ran, in order.
    pub stages: Vec<StageName>,
    /// Every edit, in the order made.
    pub edits: Vec<Edit>,
    /// What the stages noticed and left alone.
    pub flags: Vec<Flag>,
}

/// Why a stage's edits do not replay on a text: the report and the text do not belong together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("edit {index} ({rule}) starts at {start}, before the end of the edit before it")]
    OutOfOrder {
        index: usize,
        rule: String,
        start: usize,
    },
    #[error("edit {index} ({rule}) at {start}..{end} does not match the text there")]
    Mismatch {
        index: usize,
        rule: String,
        start: usize,
        end: usize,
    },
}

impl Report {
    /// Apply the edits one stage recorded to that stage's input: the stage's output. The edits of a
    /// stage are byte ranges in its input, in order and not overlapping, each removing exactly its
    /// `before`; anything else is an error, so this also checks a report's accounting.
    pub fn replay(&self, stage: StageName, input: &str) -> Result<String, ReplayError> {
        let mut out = String::with_capacity(input.len());
        let mut cursor = 0;
        let edits = self.edits.iter().filter(|e| e.stage == stage);
        for (index, edit) in edits.enumerate() {
            if edit.start < cursor {
                return Err(ReplayError::OutOfOrder {
                    index,
                    rule: edit.rule.clone(),
                    start: edit.start,
                });
            }
            if input.get(edit.start..edit.end) != Some(edit.before.as_str()) {
                return Err(ReplayError::Mismatch {
                    index,
                    rule: edit.rule.clone(),
                    start: edit.start,
                    end: edit.end,
                });
            }
            out.push_str(&input[cursor..edit.start]);
            out.push_str(&edit.after);
            cursor = edit.end;
        }
        out.push_str(&input[cursor..]);
        Ok(out)
    }

    /// Number of edits per stage, in pipeline order.
    pub fn edits_per_stage(&self) -> Vec<(StageName, usize)> {
        let mut counts: Vec<(StageName, usize)> = Vec::new();
        for edit in &self.edits {
            match counts.iter_mut().find(|(s, _)| *s == edit.stage) {
                Some((_, n)) => *n += 1,
                None => counts.push((edit.stage, 1)),
            }
        }
        counts.sort_by_key(|(s, _)| *s);
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, before: &str, after: &str) -> Edit {
        Edit {
            stage: StageName::Markup,
            rule: "markup.x".into(),
            start,
            end,
            before: before.into(),
            after: after.into(),
            reason: String::new(),
        }
    }

    fn report(edits: Vec<Edit>) -> Report {
        Report {
            edits,
            ..Report::default()
        }
    }

    #[test]
    fn replay_applies_one_stage_edits_in_order() {
        let mut edits = vec![edit(0, 1, "a", "A"), edit(2, 3, "c", "")];
        edits.push(Edit {
            stage: StageName::Spam,
            ..edit(0, 4, "abcd", "")
        });
        let report = report(edits);
        assert_eq!(report.replay(StageName::Markup, "abcd").unwrap(), "Abd");
        assert_eq!(report.replay(StageName::Spam, "abcd").unwrap(), "");
        assert_eq!(report.replay(StageName::Script, "abcd").unwrap(), "abcd");
    }

    #[test]
    fn replay_refuses_edits_that_do_not_fit_the_text() {
        let overlapping = report(vec![edit(0, 2, "ab", ""), edit(1, 2, "b", "")]);
        assert!(matches!(
            overlapping.replay(StageName::Markup, "abc"),
            Err(ReplayError::OutOfOrder { index: 1, .. })
        ));
        let foreign = report(vec![edit(0, 1, "x", "")]);
        assert!(matches!(
            foreign.replay(StageName::Markup, "abc"),
            Err(ReplayError::Mismatch { index: 0, .. })
        ));
        let past_the_end = report(vec![edit(2, 9, "c", "")]);
        assert!(past_the_end.replay(StageName::Markup, "abc").is_err());
    }
}
