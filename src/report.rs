//! The per-document report: how the bytes were decoded, every edit every stage made, and flags for
//! what a stage saw but did not change.

use serde::Serialize;

use crate::stages::StageName;

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

/// Everything sluice did to one document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// How the bytes were decoded (none for a document given as text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode: Option<DecodeReport>,
    /// The stages that ran, in order.
    pub stages: Vec<StageName>,
    /// Every edit, in the order made.
    pub edits: Vec<Edit>,
    /// What the stages noticed and left alone.
    pub flags: Vec<Flag>,
}

impl Report {
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
