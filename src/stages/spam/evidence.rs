//! Helpers every rule shares: neighbouring characters, the language model's join gain, commas, and
//! the evidence that a span was inserted.

use std::ops::Range;

use crate::text::chars::{is_cjk_punct, is_han};
use crate::text::lm::LanguageModel;

use super::{Evidence, Spam};

/// The character before `at`, a line's indentation read as the line's start (`\n`, or `None` at
/// the text's start): the output's layout trims it, and a second pass must judge the same.
pub(super) fn char_before(text: &str, at: usize) -> Option<char> {
    let before = &text[..at];
    let kept = before.trim_end_matches(is_inline_space);
    match kept.chars().next_back() {
        None if kept.len() < before.len() => None,
        Some('\n') => Some('\n'),
        _ => before.chars().next_back(),
    }
}

/// The character after `at`, spaces that end a line read as its end (`\n`, or `None`).
pub(super) fn char_after(text: &str, at: usize) -> Option<char> {
    let after = &text[at..];
    let kept = after.trim_start_matches(is_inline_space);
    match kept.chars().next() {
        None if kept.len() < after.len() => None,
        Some('\n') => Some('\n'),
        _ => after.chars().next(),
    }
}

/// Whitespace within a line.
pub(super) fn is_inline_space(c: char) -> bool {
    c.is_whitespace() && c != '\n'
}

pub(super) fn is_fullwidth_alnum(c: char) -> bool {
    matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}')
}

/// Ends a clause: CJK or ASCII punctuation, or a line break.
pub(super) fn is_clause_break(c: char) -> bool {
    is_cjk_punct(c) || c.is_ascii_punctuation() || c == '\n'
}

/// The language-model evidence that a span was inserted: how much more probable the few characters
/// on either side are when they are read together (a word the span had split, 電|九州娛樂|商 → 電商)
/// than when read apart. Near zero when the span sits between words.
pub(super) fn join_gain(model: &LanguageModel, text: &str, range: &Range<usize>) -> f64 {
    join_gain_with(model, text, range, |right| model.score(right))
}

/// [`join_gain`], the right side's score given by `score_right`: a rule that weighs many spans
/// ending at one place scores their common right side once.
pub(super) fn join_gain_with(
    model: &LanguageModel,
    text: &str,
    range: &Range<usize>,
    score_right: impl FnOnce(&str) -> f64,
) -> f64 {
    const SIDE: usize = 3;
    // The Han characters next to the span, as slices of the text: nothing is allocated for the
    // span edges tried at every comma (an empty span reads its two sides as one slice).
    let left_start = text[..range.start]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_han(*c))
        .take(SIDE)
        .last()
        .map_or(range.start, |(i, _)| i);
    let right_end = text[range.end..]
        .char_indices()
        .take_while(|(_, c)| is_han(*c))
        .take(SIDE)
        .last()
        .map_or(range.end, |(i, c)| range.end + i + c.len_utf8());
    let (left, right) = (&text[left_start..range.start], &text[range.end..right_end]);
    if left.is_empty() || right.is_empty() {
        return 0.0;
    }
    let joined = if range.is_empty() {
        model.score(&text[left_start..right_end])
    } else {
        model.score(&format!("{left}{right}"))
    };
    joined - model.score(left) - score_right(right)
}

/// Whether a span edge at `at` would cut a word in two (所|谓): an inserted span starts and ends
/// between words of the text around it.
pub(super) fn splits_word(
    model: &LanguageModel,
    text: &str,
    at: usize,
    min_join_gain: f64,
) -> bool {
    join_gain(model, text, &(at..at)) >= min_join_gain
}

impl Spam {
    /// Extend a span over the comma its injector appended, if one follows.
    pub(super) fn with_comma(&self, text: &str, range: Range<usize>) -> (Range<usize>, bool) {
        match char_after(text, range.end) {
            Some(c) if self.commas.contains(&c) => (range.start..range.end + c.len_utf8(), true),
            _ => (range, false),
        }
    }

    /// Extend a span left over a short brand code glued to it (ＡＧ, Ｊ９, DG).
    pub(super) fn with_brand_code(&self, text: &str, range: Range<usize>) -> Range<usize> {
        let before = &text[..range.start];
        let code: Vec<char> = before
            .chars()
            .rev()
            .take_while(|c| is_fullwidth_alnum(*c) || c.is_ascii_uppercase() || c.is_ascii_digit())
            .take(4)
            .collect();
        let len: usize = code.iter().map(|c| c.len_utf8()).sum();
        let start = range.start - len;
        let glued_to_latin = char_before(text, start).is_some_and(|c| c.is_ascii_alphanumeric());
        let any_fullwidth = code.iter().any(|c| is_fullwidth_alnum(*c));
        if code.is_empty() || code.len() > 3 || (glued_to_latin && !any_fullwidth) {
            range
        } else {
            start..range.end
        }
    }

    pub(super) fn is_comma(&self, c: char) -> bool {
        self.commas.contains(&c)
    }
}

impl Evidence {
    pub(super) fn of(
        stage: &Spam,
        text: &str,
        span: &Range<usize>,
        with_comma: &Range<usize>,
    ) -> Self {
        let comma = with_comma.end > span.end;
        let after = char_after(text, with_comma.end);
        let before = char_before(text, span.start);
        Evidence {
            comma,
            stray_comma: comma && after.is_none_or(is_clause_break),
            join_gain: join_gain(&stage.resources.model, text, with_comma),
            whole_clause: comma && before.is_none_or(|c| is_clause_break(c) || stage.is_comma(c)),
        }
    }

    pub(super) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.stray_comma {
            parts.push("stray comma before punctuation".to_string());
        } else if self.comma {
            parts.push("the injector's comma".to_string());
        }
        if self.whole_clause {
            parts.push("a whole clause".to_string());
        }
        if self.join_gain > 0.5 {
            parts.push(format!("LM join gain {:.1}", self.join_gain));
        }
        parts.join(", ")
    }
}
