//! UTF-8 read through a single-byte code page (`Ã©` for `é`, `â€™` for `’`, `ä¸\u{8d}` for `不`), once or
//! several times, possibly with some bytes lost: the mechanism of ftfy 6.3.1's `fix_encoding`
//! (Apache-2.0, © Robyn Speer; its licence is `fixtures/ftfy/LICENSE`), written again for sluice.
//!
//! Two kinds of evidence must agree before text changes:
//! - *badness*: the text holds a character sequence that is implausible in any script and usual in
//!   such mojibake (an accented capital followed by a currency sign, a C1 control, `вЂ`), from the
//!   categories and sequences of `rules/mojibake/badness.txt`;
//! - *decoding*: re-encoded in one code page, the whole text is well-formed UTF-8 (a structure random
//!   text almost never has). Where only parts are (a page mixing intact and garbled text), each
//!   UTF-8-looking part that shows badness by itself is repaired alone.
//!
//! Each step repeats while it changes something, since text may have been garbled several times.

use std::collections::HashSet;

use regex::Regex;
use regex::bytes::Regex as BytesRegex;

use crate::error::RuleError;
use crate::stages::mojibake::codepage::Codepage;
use crate::text::table;

/// How many layers of garbling one text is undone through at most.
const MAX_LAYERS: usize = 8;

pub struct Utf8Fixer {
    badness: Regex,
    pages: Vec<Codepage>,
    /// Parts of text that look like UTF-8 bytes read through one of the code pages.
    utf8_like: Regex,
    /// Characters that stand for a UTF-8 continuation byte (0x80–0xBF) in some code page, other
    /// than general punctuation: a part starting right after one is inside a larger garble.
    continuation_strict: HashSet<char>,
    /// UTF-8 sequences that a byte 0xA0 turned into a space would complete (ftfy's
    /// `ALTERED_UTF8_RE`).
    altered_a0: BytesRegex,
    /// UTF-8 sequences with lost bytes (0x1A, or a `?` once): decoded as U+FFFD.
    lossy: BytesRegex,
}

/// What one step of the repair did, for the edit's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The whole text re-encoded in a code page and decoded as UTF-8.
    Whole(String),
    /// Parts that look like UTF-8 repaired alone.
    Parts,
    /// C1 control characters read as Windows-1252.
    C1,
}

impl Utf8Fixer {
    /// From the badness regex (see [`badness_regex`]) and the code pages to try, in order.
    pub fn new(badness: Regex, page_names: &[String]) -> Result<Self, String> {
        let pages: Vec<Codepage> = page_names
            .iter()
            .map(|n| n.parse())
            .collect::<Result<_, _>>()?;
        let (utf8_like, continuation_strict) = utf8_like_regex(&pages)?;
        let altered_a0 = BytesRegex::new(
            r"(?-u)[\xc2\xc3\xc5\xce\xd0\xd9][ ]|[\xe2\xe3][ ][\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf][ ]|[\xf0][ ][\x80-\xbf][\x80-\xbf]|[\xf0][\x80-\xbf][ ][\x80-\xbf]|[\xf0][\x80-\xbf][\x80-\xbf][ ]",
        )
        .map_err(|e| e.to_string())?;
        let lossy = BytesRegex::new(
            r"(?-u)[\xc2-\xdf][\x1a]|[\xc2-\xc3][?]|\xed[\xa0-\xaf][\x1a?]\xed[\xb0-\xbf][\x1a?\x80-\xbf]|\xed[\xa0-\xaf][\x1a?\x80-\xbf]\xed[\xb0-\xbf][\x1a?]|[\xe0-\xef][\x1a?][\x1a\x80-\xbf]|[\xe0-\xef][\x1a\x80-\xbf][\x1a?]|[\xf0-\xf4][\x1a?][\x1a\x80-\xbf][\x1a\x80-\xbf]|[\xf0-\xf4][\x1a\x80-\xbf][\x1a?][\x1a\x80-\xbf]|[\xf0-\xf4][\x1a\x80-\xbf][\x1a\x80-\xbf][\x1a?]|\x1a",
        )
        .map_err(|e| e.to_string())?;
        Ok(Utf8Fixer {
            badness,
            pages,
            utf8_like,
            continuation_strict,
            altered_a0,
            lossy,
        })
    }

    /// Whether `text` holds a sequence that is implausible in any script but usual in mojibake.
    /// An accented capital followed by a space inside an upper-case word is a letter of that word
    /// (`MISUTÂ AJIKKO`), not the first byte of a no-break space: mojibake ignores letter case.
    pub fn is_bad(&self, text: &str) -> bool {
        !text.is_ascii()
            && self
                .badness
                .find_iter(text)
                .any(|m| !ends_an_upper_case_word(text, m.range()))
    }

    /// The repaired text and the steps taken, or `None` when nothing changes.
    pub fn fix(&self, text: &str) -> Option<(String, Vec<Step>)> {
        let mut current = text.to_string();
        let mut steps = Vec::new();
        for _ in 0..MAX_LAYERS {
            let Some((next, step)) = self.fix_one_layer(&current) else {
                break;
            };
            if next == current {
                break;
            }
            current = next;
            steps.push(step);
        }
        (current != text).then_some((current, steps))
    }

    fn fix_one_layer(&self, text: &str) -> Option<(String, Step)> {
        if !self.is_bad(text) {
            return None;
        }
        if let Some(fixed) = self.pages.iter().find_map(|p| {
            self.decode_through(text, p)
                .map(|f| (f, Step::Whole(p.name.clone())))
        }) {
            return Some(fixed);
        }
        let parts = self.fix_parts(text);
        if parts != text {
            return Some((parts, Step::Parts));
        }
        let c1 = self.fix_c1(text);
        (c1 != text).then_some((c1, Step::C1))
    }

    /// `text` re-encoded in `page` and decoded as UTF-8 (or CESU-8), when that is well-formed.
    fn decode_through(&self, text: &str, page: &Codepage) -> Option<String> {
        let mut bytes = page.encode(text)?;
        // Mac OS Roman writes an en dash as 0xD0, which before a space would pass for a lost 0xA0.
        if page.name != "macintosh" {
            bytes = self.restore_a0(&bytes);
        }
        if page.sloppy {
            bytes = self
                .lossy
                .replace_all(&bytes, "\u{FFFD}".as_bytes())
                .into_owned();
        }
        decode_utf8_variants(&bytes)
    }

    /// Put back byte 0xA0 where a space stands in a sequence it would make well-formed UTF-8: `Ã `
    /// before a word is `à` and the space, elsewhere the space was the no-break space's byte.
    fn restore_a0(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 4);
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == 0xC3 && bytes.get(i + 1) == Some(&b' ') {
                let word_follows = bytes.get(i + 2) != Some(&b' ');
                if word_follows {
                    out.extend_from_slice(&[0xC3, 0xA0, b' ']);
                    i += 2;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        self.altered_a0
            .replace_all(&out, |m: &regex::bytes::Captures| {
                m[0].iter()
                    .map(|&b| if b == b' ' { 0xA0 } else { b })
                    .collect::<Vec<u8>>()
            })
            .into_owned()
    }

    /// Each part of `text` that looks like UTF-8 read through a code page, is shorter than the
    /// text and shows badness by itself, repaired alone.
    fn fix_parts(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut from = 0;
        while let Some(m) = self.utf8_like.find_at(text, from) {
            let inside_garble = text[..m.start()]
                .chars()
                .next_back()
                .is_some_and(|c| self.continuation_strict.contains(&c));
            if inside_garble {
                // As a look-behind would: try again from the next character.
                from = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            let part = m.as_str();
            let fixed = (part.len() < text.len() && self.is_bad(part))
                .then(|| self.fix(part))
                .flatten();
            if let Some((fixed, _)) = fixed {
                out.push_str(&text[copied..m.start()]);
                out.push_str(&fixed);
                copied = m.end();
            }
            from = m.end();
        }
        out.push_str(&text[copied..]);
        out
    }

    /// C1 control characters (U+0080–U+009F), which no text uses, read as the Windows-1252
    /// characters of the same bytes, as browsers do.
    fn fix_c1(&self, text: &str) -> String {
        let Some(windows) = self.pages.iter().find(|p| p.name == "sloppy-windows-1252") else {
            return text.to_string();
        };
        text.chars()
            .map(|c| match u8::try_from(u32::from(c)) {
                Ok(b @ 0x80..=0x9F) => windows.decode_byte(b),
                _ => c,
            })
            .collect()
    }
}

/// The regex of parts that look like UTF-8 read through a code page (a lead character followed by as
/// many continuation characters as its byte announces, repeated), and the continuation characters
/// that do not also stand next to words. As in ftfy, the characters come from the Latin-1 and sloppy
/// Windows pages, which hold almost every character of the others.
fn utf8_like_regex(pages: &[Codepage]) -> Result<(Regex, HashSet<char>), String> {
    let clue_pages: Vec<&Codepage> = pages
        .iter()
        .filter(|p| p.name == "latin-1" || p.sloppy)
        .collect();
    let chars = |bytes: &[u8]| -> HashSet<char> {
        clue_pages
            .iter()
            .flat_map(|p| bytes.iter().map(|&b| p.decode_byte(b)))
            .collect()
    };
    let class = |set: &HashSet<char>, extra: &str| {
        let mut sorted: Vec<char> = set.iter().copied().collect();
        sorted.sort_unstable();
        let body: String = sorted
            .iter()
            .map(|c| format!("\\x{{{:X}}}", *c as u32))
            .collect();
        format!("[{body}{extra}]")
    };
    let range = |r: std::ops::RangeInclusive<u8>| r.collect::<Vec<u8>>();
    let continuation = chars(&range(0x80..=0xBF));
    let first_of_2 = class(&chars(&range(0xC2..=0xDF)), "");
    let first_of_3 = class(&chars(&range(0xE0..=0xEF)), "");
    // Four-byte leads: F0 starts nearly every such character in use, F3 the tag characters.
    let first_of_4 = class(&chars(&[0xF0, 0xF3]), "");
    // A space may stand for a no-break space (0xA0) that something turned into a space.
    let cont = class(&continuation, " ");
    let regex = Regex::new(&format!(
        "(?:{first_of_2}{cont}|{first_of_3}{cont}{{2}}|{first_of_4}{cont}{{3}})+"
    ))
    .map_err(|e| e.to_string())?;
    let strict = continuation
        .into_iter()
        .filter(|&c| !is_word_punctuation(c))
        .collect();
    Ok((regex, strict))
}

/// Whether `range` of `text` is an upper-case letter and a space-like character after another
/// upper-case letter, the space not inside a lower-case word (`GÃ idhlig` is `Gàidhlig`).
fn ends_an_upper_case_word(text: &str, range: std::ops::Range<usize>) -> bool {
    let mut chars = text[range.clone()].chars();
    let (Some(letter), Some(space), None) = (chars.next(), chars.next(), chars.next()) else {
        return false;
    };
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    letter.is_uppercase()
        && space.is_whitespace()
        && before.is_some_and(char::is_uppercase)
        && !after.is_some_and(char::is_lowercase)
}

/// Dashes, quotation marks, bullets and the ellipsis: Windows-1252 characters of continuation
/// bytes that text also writes next to words, so a garble may start right after one.
fn is_word_punctuation(c: char) -> bool {
    matches!(
        c,
        '–' | '—' | '―' | '‘' | '’' | '‚' | '“' | '”' | '„' | '•' | '…'
    )
}

/// Decode UTF-8, also accepting CESU-8 (a surrogate pair written as two three-byte sequences) and
/// Java's `C0 80` for U+0000; `None` when the bytes are not well-formed.
fn decode_utf8_variants(bytes: &[u8]) -> Option<String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_string());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i..] {
            [
                0xED,
                hi @ 0xA0..=0xAF,
                hi2 @ 0x80..=0xBF,
                0xED,
                lo @ 0xB0..=0xBF,
                lo2 @ 0x80..=0xBF,
                ..,
            ] => {
                let high = 0xD800 + ((u32::from(hi) & 0x0F) << 6) + (u32::from(hi2) & 0x3F);
                let low = 0xDC00 + ((u32::from(lo) & 0x0F) << 6) + (u32::from(lo2) & 0x3F);
                let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 6;
            }
            [0xC0, 0x80, ..] => {
                out.push(0);
                i += 2;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The badness regex from the table `file` (`category NAME = CLASS` and `sequence PATTERN` lines):
/// every sequence, categories substituted.
pub fn badness_regex(file: &str, table: &str) -> Result<Regex, RuleError> {
    let mut categories: Vec<(String, String)> = Vec::new();
    let mut sequences = Vec::new();
    for entry in table::entries(file, table) {
        let line = entry.text;
        let bad = || entry.error("expected `category NAME = CLASS` or `sequence PATTERN`");
        if let Some(rest) = line.strip_prefix("category ") {
            let (name, class) = rest.split_once(" = ").ok_or_else(bad)?;
            categories.push((format!("{{{}}}", name.trim()), class.to_string()));
        } else if let Some(pattern) = line.strip_prefix("sequence ") {
            sequences.push(pattern.to_string());
        } else {
            return Err(bad());
        }
    }
    let alternatives: Vec<String> = sequences
        .into_iter()
        .map(|mut s| {
            for (name, class) in &categories {
                s = s.replace(name.as_str(), class);
            }
            format!("(?:{s})")
        })
        .collect();
    if alternatives.is_empty() {
        return Err(RuleError::new(file, 0, "no `sequence` line"));
    }
    Regex::new(&alternatives.join("|")).map_err(|e| RuleError::new(file, 0, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixer() -> Utf8Fixer {
        let pages: Vec<String> = [
            "latin-1",
            "sloppy-windows-1252",
            "sloppy-windows-1251",
            "sloppy-windows-1250",
            "sloppy-windows-1253",
            "sloppy-windows-1254",
            "sloppy-windows-1257",
            "iso-8859-2",
            "macintosh",
            "cp437",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let table = include_str!("../../../rules/mojibake/badness.txt");
        let badness = badness_regex("badness.txt", table).expect("a valid table");
        Utf8Fixer::new(badness, &pages).expect("valid code pages")
    }

    fn fixed(text: &str) -> String {
        fixer().fix(text).map_or_else(|| text.to_string(), |f| f.0)
    }

    #[test]
    fn undoes_utf8_read_as_single_byte_pages_once_or_twice() {
        assert_eq!(fixed("cafÃ©"), "café");
        assert_eq!(fixed("doesnÃ¢â‚¬â„¢t"), "doesn’t");
        assert_eq!(fixed("РґРѕСЂРѕРіРµ Р\u{98}Р·-РїРѕРґ"), "дороге Из-под");
        assert_eq!(fixed("ç®€ä½“ä¸\u{AD}æ–‡"), "简体中文");
        assert_eq!(fixed("Hi guys í\u{A0}½í¸\u{8D}"), "Hi guys 😍");
    }

    #[test]
    fn repairs_utf8_parts_inside_intact_text() {
        assert_eq!(fixed("他說 cafÃ© 很好"), "他說 café 很好");
        assert_eq!(fixed("parlé\u{85} Tu"), "parlé… Tu");
    }

    #[test]
    fn fixes_what_is_left_after_a_layer() {
        assert_eq!(
            fixed("â\u{80}\u{9C}mismatched quotes\u{85}\u{94}"),
            "“mismatched quotes…”"
        );
        assert_eq!(fixed("â€œmismatched quotesâ€¦”"), "“mismatched quotes…”");
        assert_eq!(fixed("pressureâ\u{80}\u{99}\u{85}"), "pressure’…");
    }

    #[test]
    fn a_garble_inside_a_garble_is_left() {
        let hopeless = "ã†â€™ãƒâ€ ã¢â‚¬â„¢ãƒæ’ã‚â¢";
        assert_eq!(fixed(hopeless), hopeless);
        assert!(!fixer().is_bad("AHÅ™, the new sofa from IKEA"));
        assert!(!fixer().is_bad("MISUTÂ\u{A0}AJIKKO"));
        assert!(fixer().is_bad("namedÂ\u{A0}it"));
        assert!(fixer().is_bad("GÃ\u{A0}idhlig"));
    }

    #[test]
    fn leaves_text_without_badness() {
        for text in [
            "Offering 5×£35 pin ups",
            "NESTLÉ®",
            "Hırsızı",
            "陳甦",
            "Dr.Ã¥",
            "4288×…",
        ] {
            assert_eq!(fixed(text), text);
        }
    }
}
