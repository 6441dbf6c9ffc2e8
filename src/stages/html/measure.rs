//! Text measures shared by the walk, the prose guard and the title: scoring units, Han characters and
//! sentence punctuation counted in one pass, and the white-space collapsing of block text.

use crate::text::chars::{is_cjk_punct, is_han, is_sentence_punct};

/// What a text holds, counted in one pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Scoring tokens, as the evaluation counts them: each Han character, each run of ASCII
    /// letters or digits.
    pub units: u32,
    pub han: u32,
    /// Sentence punctuation marks.
    pub punct: u32,
}

impl Measure {
    /// Han characters and sentence punctuation: what the prose guard counts.
    pub fn prose(&self) -> u32 {
        self.han + self.punct
    }

    pub(super) fn add(&mut self, other: Measure) {
        self.units += other.units;
        self.han += other.han;
        self.punct += other.punct;
    }
}

/// Count the scoring units, Han characters and sentence punctuation of `text`.
pub fn measure(text: &str) -> Measure {
    let mut m = Measure::default();
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if !in_word {
                m.units += 1;
            }
            in_word = true;
        } else {
            in_word = false;
            if is_han(c) {
                m.units += 1;
                m.han += 1;
            } else if is_sentence_punct(c) {
                m.punct += 1;
            }
        }
    }
    m
}

/// White space runs become one space, none at the ends, and none between two CJK characters (a line
/// break in the source between Chinese characters is not a word space).
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    let mut prev_cjk = false;
    for c in text.chars() {
        // `char::is_whitespace` covers U+00A0 and U+3000, so `str::trim` agrees with this.
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        let cjk = is_cjk(c);
        if space && !(prev_cjk && cjk) {
            out.push(' ');
        }
        space = false;
        prev_cjk = cjk;
        out.push(c);
    }
    out
}

fn is_cjk(c: char) -> bool {
    is_han(c) || is_cjk_punct(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_count_han_and_ascii_words() {
        let m = measure("中文 abc 12，字");
        assert_eq!((m.units, m.han, m.punct, m.prose()), (5, 3, 1, 4));
        assert_eq!(measure("，。").units, 0);
    }

    #[test]
    fn whitespace_between_han_goes() {
        assert_eq!(collapse_whitespace("  中\n 文  ab  c "), "中文 ab c");
        assert_eq!(collapse_whitespace("Hello\u{3000}世界"), "Hello 世界");
    }
}
