//! Where repairs are searched: lines cut into search units and clauses, and what a repair
//! changed.

use std::ops::Range;

use crate::document::Change;
use crate::text::chars::{is_cjk_punct, is_han};

use super::latin::Step;
use crate::text::chars::FULL_STOPS;
use crate::text::lines::line_ranges;

/// Number forms, enclosed numbers, box drawing and geometric shapes: symbols pages write as bullets
/// and list numbers (`①`, `●`, `◎`, `Ⅱ`, `㈠`), unlike U+FFFD, private-use or control characters.
pub(super) fn is_list_symbol(c: char) -> bool {
    matches!(c as u32, 0x2150..=0x218F | 0x2460..=0x25FF | 0x3220..=0x3243)
}

/// Whether a re-decoding reads as Chinese text: besides Han characters, only ASCII, Chinese and
/// general punctuation, full-width forms and common symbols (no Yi syllable, Hangul, kana or
/// accented Latin letter, which a wrong chain makes of Chinese bytes: `陳甦` as `ꐮd`), and no Han
/// character inside a Latin word (`fr猫res` is `frères` read as GBK).
pub(super) fn reads_as_chinese(decoded: &str) -> bool {
    let chars: Vec<char> = decoded.chars().collect();
    let letter_at = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(char::is_ascii_alphabetic)
    };
    chars.iter().enumerate().all(|(i, &c)| {
        if is_han(c) {
            !(letter_at(i.checked_sub(1)) && letter_at(Some(i + 1)))
        } else {
            c.is_ascii()
                || is_cjk_punct(c)
                || matches!(c as u32, 0xA0..=0xBF | 0xD7 | 0xF7 | 0x2000..=0x206F | 0x2150..=0x25FF | 0x3000..=0x303F | 0xFF00..=0xFFEF)
        }
    })
}

/// Whether an ASCII letter stands next to a Han character.
pub(super) fn letter_touches_han(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).any(|w| {
        is_han(w[0]) && w[1].is_ascii_alphabetic() || w[0].is_ascii_alphabetic() && is_han(w[1])
    })
}

/// Each byte range of `line` that differs from `fixed` (by a character diff), and what replaces it:
/// repairs of parts of a line, each its own edit.
pub(super) fn changed_spans(line: &str, fixed: &str) -> Vec<(Range<usize>, String)> {
    let diff = similar::TextDiff::from_chars(line, fixed);
    let mut spans: Vec<(Range<usize>, String)> = Vec::new();
    let old_at = |chars: usize| {
        line.char_indices()
            .nth(chars)
            .map_or(line.len(), |(b, _)| b)
    };
    let new_at = |chars: usize| {
        fixed
            .char_indices()
            .nth(chars)
            .map_or(fixed.len(), |(b, _)| b)
    };
    for op in diff.ops() {
        if matches!(op.tag(), similar::DiffTag::Equal) {
            continue;
        }
        let (old, new) = (op.old_range(), op.new_range());
        let range = old_at(old.start)..old_at(old.end);
        let text = &fixed[new_at(new.start)..new_at(new.end)];
        match spans.last_mut() {
            Some(last) if last.0.end == range.start => {
                last.0.end = range.end;
                last.1.push_str(text);
            }
            _ => spans.push((range, text.to_string())),
        }
    }
    spans
}

/// The reason of a code-page repair: its layers, outermost first.
pub(super) fn describe(steps: &[Step]) -> String {
    let layers: Vec<String> = steps
        .iter()
        .map(|step| match step {
            Step::Whole(page) => format!("UTF-8 read as {page}"),
            Step::Parts => "UTF-8 parts read through a code page".to_string(),
            Step::C1 => "C1 controls read as windows-1252".to_string(),
        })
        .collect();
    layers.join(", then ")
}

pub(super) fn shifted(
    range: Range<usize>,
    offset: usize,
    text: String,
    id: &str,
    reason: String,
) -> Change {
    Change::replace(range.start + offset..range.end + offset, text, id, reason)
}

/// Where a line shows damage that destroyed bytes, so no byte hypothesis can be trusted on it:
/// `锟斤拷` (U+FFFD written as UTF-8 and read as GBK), `�?` or `??` (characters a lossy round
/// trip dropped).
pub(super) fn lossy_signature(line: &str) -> Option<usize> {
    line.find("锟斤拷")
        .or_else(|| line.find("\u{FFFD}?"))
        .or_else(|| line.find("??"))
}

pub(super) fn overlaps(done: &[Range<usize>], range: &Range<usize>) -> bool {
    done.iter()
        .any(|d| d.start < range.end && range.start < d.end)
}

/// The separator characters either side of a clause (digits, punctuation): context that is the
/// same in every decoding, so an unknown byte can be filled knowing it is followed by `4日` or `?`.
pub(super) fn separators<'a>(line: &'a str, clause: &Range<usize>) -> (&'a str, &'a str) {
    let is_separator = |c: char| c.is_ascii() && (c as u32) < 0x40 && c != '?';
    let before = &line[..clause.start];
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_separator(c))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let after = &line[clause.end..];
    let end = after
        .char_indices()
        .find(|&(_, c)| !is_separator(c))
        .map_or(after.len(), |(i, _)| i);
    (&before[start..], &after[..end])
}

/// A line longer than this is searched in pieces (see [`search_units`]).
pub(super) const MAX_UNIT_BYTES: usize = 4 * 1024;

/// The byte ranges the searches take one at a time: the lines of `text`, a line longer than
/// [`MAX_UNIT_BYTES`] cut after full-width sentence ends once a piece reaches a quarter of it.
/// A search re-decodes its whole unit with every chain once a strong suspect shows anywhere in it,
/// so one rare character in a megabyte of single-line text cost a re-decoding of the megabyte
/// (2 s per MB, against 0.02 s for the same text in short lines). A genuine `。！？` is intact text,
/// which garbling does not cut through.
pub(super) fn search_units(text: &str) -> Vec<Range<usize>> {
    let mut units = Vec::new();
    for line in line_ranges(text) {
        if line.len() > MAX_UNIT_BYTES {
            push_sentence_pieces(&text[line.clone()], line.start, &mut units);
        } else {
            units.push(line);
        }
    }
    units
}

pub(super) fn push_sentence_pieces(line: &str, offset: usize, units: &mut Vec<Range<usize>>) {
    let mut piece_start = 0;
    for (at, c) in line.char_indices() {
        let end = at + c.len_utf8();
        if FULL_STOPS.contains(&c) && end - piece_start >= MAX_UNIT_BYTES / 4 {
            units.push(offset + piece_start..offset + end);
            piece_start = end;
        }
    }
    if piece_start < line.len() {
        units.push(offset + piece_start..offset + line.len());
    }
}

/// Byte ranges of the clauses of a line: text between ASCII characters that no double-byte charset
/// uses as a trail byte (controls, space, digits and punctuation below `@`), except `?`, which
/// lossy decoders write inside garbled text.
pub(super) fn clauses(line: &str) -> Vec<Range<usize>> {
    let is_separator = |c: char| c.is_ascii() && (c as u32) < 0x40 && c != '?';
    let mut out = Vec::new();
    let mut start = None;
    for (at, c) in line.char_indices() {
        match (is_separator(c), start) {
            (true, Some(s)) => {
                out.push(s..at);
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..line.len());
    }
    out
}
