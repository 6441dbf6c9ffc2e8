//! The folded view: one normalised form of a text for matching and fingerprints, with a map back to
//! the original so that matches found on the fold edit the original text.
//!
//! Folding removes invisible characters, applies NFKC (full-width letters and digits become ASCII),
//! lower-cases, and maps traditional characters to simplified one character at a time with the
//! OpenCC `TSCharacters` table. The folded text is never output.

use std::collections::HashMap;
use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

use crate::text::chars::is_invisible;

/// Folds text; built once from a traditional→simplified character table.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    t2s: HashMap<char, char>,
}

/// A folded text and, for each of its bytes, where it came from in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    pub text: String,
    /// `origin[i]` is the byte offset in the original of the character that produced folded byte `i`;
    /// one extra entry holds the original's length.
    origin: Vec<usize>,
}

impl Folded {
    /// The original byte range covered by a folded byte range (character-aligned on both sides).
    pub fn original_range(&self, folded: Range<usize>, original: &str) -> Range<usize> {
        let start = self.origin[folded.start];
        if folded.is_empty() {
            return start..start;
        }
        // End after the original character that produced the last folded byte, so invisible
        // characters right after a match stay outside it.
        let last = self.origin[folded.end - 1];
        let end = last + original[last..].chars().next().map_or(0, char::len_utf8);
        start..end
    }
}

impl Folder {
    /// A folder from OpenCC's `TSCharacters.txt` (`trad<TAB>simp [alternatives]` per line).
    pub fn from_opencc_ts_characters(table: &str) -> Self {
        let t2s = table
            .lines()
            .filter_map(|line| {
                let (key, values) = line.split_once('\t')?;
                let mut key_chars = key.chars();
                let (k, None) = (key_chars.next()?, key_chars.next()) else {
                    return None;
                };
                let v = values.split(' ').next()?.chars().next()?;
                Some((k, v))
            })
            .collect();
        Folder { t2s }
    }

    /// The single-character simplified form, if the table has one.
    pub fn simplify_char(&self, c: char) -> char {
        self.t2s.get(&c).copied().unwrap_or(c)
    }

    pub fn fold(&self, text: &str) -> Folded {
        let mut out = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len() + 1);
        let mut buf = [0u8; 4];
        for (offset, c) in text.char_indices() {
            if is_invisible(c) {
                continue;
            }
            for n in std::iter::once(c).nfkc() {
                for l in n.to_lowercase() {
                    let s = self.simplify_char(l).encode_utf8(&mut buf);
                    out.push_str(s);
                    origin.extend(std::iter::repeat_n(offset, s.len()));
                }
            }
        }
        origin.push(text.len());
        Folded { text: out, origin }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Folder {
        Folder::from_opencc_ts_characters("國\t国\n樂\t乐 樂\n")
    }

    #[test]
    fn folds_width_case_invisibles_and_script() {
        let f = folder().fold("百家\u{200B}樂ＡＢ國");
        assert_eq!(f.text, "百家乐ab国");
    }

    #[test]
    fn maps_matches_back_to_the_original() {
        let original = "在百家\u{200B}樂玩";
        let f = folder().fold(original);
        let start = f.text.find("百家乐").unwrap();
        let range = f.original_range(start..start + "百家乐".len(), original);
        assert_eq!(&original[range], "百家\u{200B}樂");
    }
}
