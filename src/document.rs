//! A document as it flows through the pipeline, and the one mechanism every text stage uses to
//! change it: [`Document::apply`], which records each change as an [`Edit`].

use std::collections::HashSet;
use std::ops::Range;

use crate::error::Error;
use crate::report::{Edit, Flag, Report};
use crate::types::StageName;
pub use crate::types::{BlockKind, Format};

impl Format {
    /// Guess from the first bytes: markup documents start (after a byte-order mark and white
    /// space) with `<` and name a doctype, an `html`/`head`/`body`/`meta` element or a common body
    /// element early on. UTF-16 and UTF-32 documents are read through their ASCII characters.
    pub fn sniff(bytes: &[u8]) -> Format {
        let head = crate::stages::decode::markup_head(bytes, 1024);
        let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
        let starts_with_tag = lower.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        // Scrapes often lose the document head (or come wrapped in a crawler's own element), so
        // common body elements count too.
        let names_html = [
            &b"<!doctype html"[..],
            b"<html",
            b"<head",
            b"<meta",
            b"<body",
            b"<title",
            b"<div",
            b"<table",
            b"<script",
            b"<style",
            b"<form",
            b"<p>",
            b"<br",
        ]
        .iter()
        .any(|needle| lower.windows(needle.len()).any(|w| w == *needle));
        if starts_with_tag && names_html {
            Format::Html
        } else {
            Format::Text
        }
    }
}

/// One change a stage wants to make to its input text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub range: Range<usize>,
    pub replacement: String,
    pub rule: String,
    pub reason: String,
}

impl Change {
    pub fn remove(range: Range<usize>, rule: impl Into<String>, reason: impl Into<String>) -> Self {
        Change {
            range,
            replacement: String::new(),
            rule: rule.into(),
            reason: reason.into(),
        }
    }

    pub fn replace(
        range: Range<usize>,
        replacement: impl Into<String>,
        rule: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Change {
            range,
            replacement: replacement.into(),
            rule: rule.into(),
            reason: reason.into(),
        }
    }
}

/// A document between stages. `text` is the current text, one block per line; `kinds` has one entry
/// per line when a stage (the `html` stage) typed the blocks, and is empty otherwise. Stages change
/// the text only through [`Document::apply`], which records each edit and keeps `kinds` in step; from
/// outside the library a document is built by its constructors and read through its accessors.
#[derive(Debug, Clone)]
pub struct Document {
    /// Whether the input is HTML or text.
    pub(crate) format: Format,
    /// The input bytes; the `decode` stage turns them into `text` (or `html`).
    pub(crate) raw: Vec<u8>,
    /// A charset named by the transport (an HTTP `Content-Type` in a WARC record, say).
    pub(crate) transport_charset: Option<String>,
    /// Decoded markup waiting for the `html` stage.
    pub(crate) html: Option<String>,
    /// The current text, one block per line.
    pub(crate) text: String,
    /// The kind of each line of `text` when a stage typed the blocks; empty otherwise.
    pub(crate) kinds: Vec<BlockKind>,
    /// Every change made so far.
    pub(crate) report: Report,
    /// The search units (lines, or sentence pieces of long lines) the `mojibake` stage has searched
    /// in this document without repairing them. Its judgement of a unit depends on the unit's text
    /// alone (and on what is left of the document's search budget), so when the settle runs it
    /// again (src/settle/) it searches only the units that changed: another search of an unchanged
    /// one finds nothing new at the same cost.
    pub(crate) searched: HashSet<String>,
    /// The language-model scorings the `mojibake` searches have spent on this document so far: the
    /// search budget is the document's, so a settle round searches with what earlier rounds left.
    pub(crate) scorings_spent: usize,
}

impl Document {
    /// A document from raw bytes of the given format.
    pub fn from_bytes(raw: Vec<u8>, format: Format) -> Self {
        Document {
            format,
            raw,
            transport_charset: None,
            html: None,
            text: String::new(),
            kinds: Vec::new(),
            report: Report::default(),
            searched: HashSet::new(),
            scorings_spent: 0,
        }
    }

    /// A document whose text is already decoded (rule examples, JSONL `text` fields).
    pub fn from_text(text: impl Into<String>) -> Self {
        Document {
            format: Format::Text,
            raw: Vec::new(),
            transport_charset: None,
            html: None,
            text: text.into(),
            kinds: Vec::new(),
            report: Report::default(),
            searched: HashSet::new(),
            scorings_spent: 0,
        }
    }

    /// Decoded markup for the `html` stage (the bytes' charset already dealt with).
    pub fn from_html(markup: impl Into<String>) -> Self {
        Document {
            html: Some(markup.into()),
            ..Document::from_bytes(Vec::new(), Format::Html)
        }
    }

    /// Text whose lines are already typed: `kinds` has one entry per line of `text`.
    pub fn typed(text: impl Into<String>, kinds: Vec<BlockKind>) -> Result<Self, Error> {
        let text = text.into();
        let lines = text.split('\n').count();
        if kinds.len() != lines {
            return Err(Error::Input(format!(
                "{} block kinds for {lines} lines",
                kinds.len()
            )));
        }
        Ok(Document {
            kinds,
            ..Document::from_text(text)
        })
    }

    /// Whether the input is HTML or text.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Decoded markup still waiting for the `html` stage.
    pub fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }

    /// The current text, one block per line.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The kind of each line of the text when the blocks are typed; empty otherwise.
    pub fn kinds(&self) -> &[BlockKind] {
        &self.kinds
    }

    /// Every change made so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The kind of line `index` (0-based); untyped text is all paragraphs.
    pub fn kind_of_line(&self, index: usize) -> BlockKind {
        self.kinds
            .get(index)
            .copied()
            .unwrap_or(BlockKind::Paragraph)
    }

    /// Record a flag: something seen and left alone.
    pub fn flag(
        &mut self,
        stage: StageName,
        rule: impl Into<String>,
        message: impl Into<String>,
        position: Option<usize>,
    ) {
        self.report.flags.push(Flag {
            stage,
            rule: rule.into(),
            message: message.into(),
            position,
        });
    }

    /// Apply a stage's changes to the text and record each as an edit against the stage's input.
    ///
    /// Changes may come in any order; they are sorted by position. A change that overlaps an earlier
    /// one, has an empty effect, or does not fall on character boundaries is dropped, so a stage can
    /// propose freely and the report stays exact. Returns the number of changes applied.
    pub fn apply(&mut self, stage: StageName, mut changes: Vec<Change>) -> usize {
        changes.sort_by(|a, b| {
            (a.range.start, a.range.end)
                .cmp(&(b.range.start, b.range.end))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        let old = std::mem::take(&mut self.text);
        let mut new = String::with_capacity(old.len());
        let mut kept: Vec<(usize, usize)> = Vec::new(); // (old offset, new offset) of copied spans
        let mut cursor = 0;
        let mut applied = 0;
        for change in changes {
            let Range { start, end } = change.range;
            let valid = start >= cursor
                && end <= old.len()
                && start <= end
                && old.is_char_boundary(start)
                && old.is_char_boundary(end)
                && old[start..end] != change.replacement;
            if !valid {
                continue;
            }
            kept.push((cursor, new.len()));
            new.push_str(&old[cursor..start]);
            new.push_str(&change.replacement);
            self.report.edits.push(Edit {
                stage,
                rule: change.rule,
                start,
                end,
                before: old[start..end].to_string(),
                after: change.replacement,
                reason: change.reason,
            });
            cursor = end;
            applied += 1;
        }
        kept.push((cursor, new.len()));
        new.push_str(&old[cursor..]);
        if applied > 0 && !self.kinds.is_empty() {
            self.kinds = remap_kinds(&old, &new, &kept, &self.kinds);
        }
        self.text = new;
        applied
    }
}

/// Give each line of the new text the kind of the old line its first byte came from.
fn remap_kinds(
    old: &str,
    new: &str,
    kept: &[(usize, usize)],
    kinds: &[BlockKind],
) -> Vec<BlockKind> {
    let old_line_starts: Vec<usize> = std::iter::once(0)
        .chain(old.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let old_position = |new_pos: usize| -> usize {
        // The last copied span starting at or before new_pos; positions inside a replacement map to
        // the end of the preceding copied span, i.e. the start of the replaced range.
        let idx = kept
            .partition_point(|&(_, n)| n <= new_pos)
            .saturating_sub(1);
        let (o, n) = kept[idx];
        o + (new_pos - n)
    };
    std::iter::once(0)
        .chain(new.match_indices('\n').map(|(i, _)| i + 1))
        .map(|start| {
            let pos = old_position(start).min(old.len());
            let line = old_line_starts
                .partition_point(|&s| s <= pos)
                .saturating_sub(1);
            kinds.get(line).copied().unwrap_or(BlockKind::Paragraph)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_records_edits_against_stage_input() {
        let mut doc = Document::from_text("甲乙丙丁");
        let n = doc.apply(
            StageName::Markup,
            vec![
                Change::replace(6..9, "X", "r2", "why"),
                Change::remove(0..3, "r1", "why"),
            ],
        );
        assert_eq!(n, 2);
        assert_eq!(doc.text, "乙X丁");
        assert_eq!(doc.report.edits[0].before, "甲");
        assert_eq!(doc.report.edits[0].start, 0);
        assert_eq!(doc.report.edits[1].before, "丙");
        assert_eq!(doc.report.edits[1].after, "X");
    }

    #[test]
    fn apply_drops_overlaps_and_bad_boundaries() {
        let mut doc = Document::from_text("甲乙丙");
        let n = doc.apply(
            StageName::Markup,
            vec![
                Change::remove(0..6, "a", ""),
                Change::remove(3..9, "b", ""),
                Change::remove(7..9, "c", ""),
            ],
        );
        assert_eq!(n, 1);
        assert_eq!(doc.text, "丙");
    }

    #[test]
    fn kinds_follow_their_lines() {
        let mut doc = Document::from_text("title\nnav\nbody");
        doc.kinds = vec![BlockKind::Title, BlockKind::ListItem, BlockKind::Paragraph];
        doc.apply(StageName::Markup, vec![Change::remove(6..10, "r", "")]);
        assert_eq!(doc.text, "title\nbody");
        assert_eq!(doc.kinds, vec![BlockKind::Title, BlockKind::Paragraph]);
    }

    #[test]
    fn sniffs_html() {
        assert_eq!(Format::sniff(b"  <!DOCTYPE html><html>"), Format::Html);
        assert_eq!(
            Format::sniff("<xmp id=\"a\"></xmp>正文".as_bytes()),
            Format::Text
        );
        assert_eq!(Format::sniff("正文".as_bytes()), Format::Text);
        assert_eq!(
            Format::sniff(b"\xEF\xBB\xBF<!DOCTYPE html>\n<html>"),
            Format::Html,
            "a UTF-8 byte-order mark before the doctype"
        );
        let utf16: Vec<u8> = "\u{FEFF}<html><body>正文"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(Format::sniff(&utf16), Format::Html, "UTF-16LE markup");
        assert_eq!(
            Format::sniff(&utf16[2..]),
            Format::Html,
            "UTF-16LE markup without a mark"
        );
        assert_eq!(
            Format::sniff(b"<text id=\"http://a\" title=\"t\">\n<div align=center>"),
            Format::Html,
            "a crawler-wrapped page without a head"
        );
    }
}
