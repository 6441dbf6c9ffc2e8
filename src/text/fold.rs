//! The folded view: one normalised form of a text for matching and fingerprints, with a map back to
//! the original so that matches found on the fold edit the original text.
//!
//! Folding removes invisible characters (Unicode `Default_Ignorable_Code_Point`), applies NFKC
//! (full-width letters and digits become ASCII), lower-cases, and maps traditional characters to
//! simplified one character at a time with the OpenCC `TSCharacters` table. The folded text is
//! never output.

use std::collections::HashMap;
use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

use crate::text::chars::is_invisible;
use crate::text::opencc;
use crate::text::table::single_char;

/// Folds text; built once from a traditional→simplified character table.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    /// The table for the Basic Multilingual Plane, indexed by code point (identity where there is
    /// no mapping): folding is on every fingerprint's hot path, and an array beats hashing.
    bmp: Vec<char>,
    /// Mappings of characters outside the BMP.
    astral: HashMap<char, char>,
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
        let pairs = opencc::entries(table).filter_map(|(key, mut values)| {
            Some((single_char(key)?, values.next()?.chars().next()?))
        });
        let mut bmp: Vec<char> = (0..=0xFFFF_u32)
            .map(|u| char::from_u32(u).unwrap_or('\u{FFFD}'))
            .collect();
        let mut astral = HashMap::new();
        for (k, v) in pairs {
            match bmp.get_mut(k as usize) {
                Some(slot) => *slot = v,
                None => {
                    astral.insert(k, v);
                }
            }
        }
        Folder { bmp, astral }
    }

    /// The single-character simplified form, if the table has one.
    pub fn simplify_char(&self, c: char) -> char {
        match self.bmp.get(c as usize) {
            Some(&mapped) => mapped,
            None => self.astral.get(&c).copied().unwrap_or(c),
        }
    }

    /// The folded view of `text`, with the way back to the original's positions.
    pub fn fold(&self, text: &str) -> Folded {
        let mut out = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len() + 1);
        for (offset, c) in text.char_indices() {
            self.fold_char(c, |f| {
                out.push(f);
                origin.extend(std::iter::repeat_n(offset, f.len_utf8()));
            });
        }
        origin.push(text.len());
        Folded { text: out, origin }
    }

    /// The folded text alone, without the map back: for fingerprints, several times cheaper.
    pub fn fold_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.fold_each(text, |f| out.push(f));
        out
    }

    /// Pass each character of the folded text to `emit`, building nothing.
    pub fn fold_each(&self, text: &str, mut emit: impl FnMut(char)) {
        for c in text.chars() {
            self.fold_char(c, &mut emit);
        }
    }

    /// Fold one character, passing each resulting character to `emit`. The characters that make up
    /// most of a Chinese page skip the normaliser with the same result: ASCII and the CJK
    /// punctuation U+3001–U+3035 are NFKC-stable, the CJK unified ideographs also caseless, and the
    /// full-width forms U+FF01–U+FF5E are NFKC-equivalent to ASCII.
    #[inline]
    fn fold_char(&self, c: char, mut emit: impl FnMut(char)) {
        match c as u32 {
            0..=0x7F => emit(c.to_ascii_lowercase()),
            0x3400..=0x4DBF | 0x4E00..=0x9FFF => emit(self.simplify_char(c)),
            0x3001..=0x3035 => emit(c),
            wide @ 0xFF01..=0xFF5E => {
                let ascii = char::from_u32(wide - 0xFEE0).unwrap_or(c);
                emit(ascii.to_ascii_lowercase());
            }
            _ => self.fold_slow(c, emit),
        }
    }

    /// The general case: NFKC, lower case, then the character table.
    fn fold_slow(&self, c: char, mut emit: impl FnMut(char)) {
        if !is_invisible(c) {
            for n in std::iter::once(c).nfkc() {
                for l in n.to_lowercase() {
                    emit(self.simplify_char(l));
                }
            }
        }
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
    fn fast_paths_agree_with_the_normaliser() {
        let f = folder();
        let ranges = [
            0..0x80,
            0x3001..0x3036,
            0xFF01..0xFF5F,
            0x3400..0x4DC0,
            0x4E00..0xA000,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            let (mut fast, mut slow) = (String::new(), String::new());
            f.fold_char(c, |x| fast.push(x));
            f.fold_slow(c, |x| slow.push(x));
            assert_eq!(fast, slow, "U+{:04X}", c as u32);
        }
        assert_eq!(f.fold_text("Ａ，國"), f.fold("Ａ，國").text);
    }

    #[test]
    fn maps_matches_back_to_the_original() {
        let original = "在百家\u{200B}樂玩";
        let f = folder().fold(original);
        let start = f.text.find("百家乐").unwrap();
        let range = f.original_range(start..start + "百家乐".len(), original);
        assert_eq!(&original[range], "百家\u{200B}樂");
    }

    /// Default_Ignorable_Code_Point characters from several blocks: variation selectors, the
    /// combining grapheme joiner, Hangul fillers, tags, musical formatting, Mongolian selectors.
    const IGNORABLES: [char; 9] = [
        '\u{FE0F}',
        '\u{034F}',
        '\u{3164}',
        '\u{FFA0}',
        '\u{E0020}',
        '\u{E0001}',
        '\u{1D173}',
        '\u{180B}',
        '\u{2065}',
    ];

    #[test]
    fn every_default_ignorable_code_point_is_dropped() {
        for c in IGNORABLES {
            let text = format!("百家{c}樂");
            assert_eq!(folder().fold(&text).text, "百家乐", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn a_listed_spam_phrase_with_an_ignorable_inside_is_still_found() {
        use crate::document::Document;
        use crate::rules::RuleSet;
        use crate::stages::{StageName, build};

        let spam = build(StageName::Spam, &RuleSet::defaults().unwrap()).unwrap();
        for c in IGNORABLES {
            let mut doc =
                Document::from_text(format!("營銷總算有點登上大雅之堂了一{c}夜{c}歡,上來"));
            spam.run(&mut doc);
            assert_eq!(
                doc.text, "營銷總算有點登上大雅之堂了上來",
                "U+{:04X}",
                c as u32
            );
        }
    }
}
