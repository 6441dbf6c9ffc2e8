//! How much a decoded text reads as Chinese: the evidence every choice between charsets rests on.

use std::ops::RangeInclusive;
use std::sync::OnceLock;

use encoding_rs::{BIG5, Encoding, GB18030};

use crate::text::chars::is_cjk_punct;

/// A [`chinese_score`] no wrong decode of Chinese text reaches (right decodes score 0.95 and more).
pub const CONVINCING_SCORE: f64 = 0.9;

/// A [`chinese_score`] right decodes of short or unusual texts (a snippet with rare punctuation)
/// still reach and wrong ones seldom do: random code points of the CJK block score about 0.4.
pub const READS_WELL: f64 = 0.8;

/// The least [`chinese_score`] a candidate found by other evidence (escapes, a comparison) needs
/// to be taken: wrong decodes of short texts can reach it, so it never decides alone.
pub const PLAUSIBLE_SCORE: f64 = 0.5;

/// Non-ASCII characters [`chinese_score`] reads: enough to tell a right decode from a wrong one.
const SCORE_SAMPLE_CHARS: usize = 8192;

/// The share of non-ASCII characters that are common Chinese: the frequent Han characters of
/// GB2312 level 1 and Big5 level 1, and Chinese punctuation. Text decoded with the wrong charset is
/// full of rare characters, so this separates right from wrong decodes in both scripts.
pub fn chinese_score(text: &str) -> f64 {
    let common = CommonHan::get();
    let (mut good, mut total) = (0usize, 0usize);
    for c in non_ascii_chars(text)
        .filter(|c| !c.is_whitespace())
        .take(SCORE_SAMPLE_CHARS)
    {
        total += 1;
        if common.contains(c) || is_cjk_punct(c) || ('\u{FF01}'..='\u{FF5E}').contains(&c) {
            good += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        good as f64 / total as f64
    }
}

/// The non-ASCII characters of `text`, in order. Decoded pages are mostly ASCII markup, so the
/// ASCII runs are skipped eight bytes at a time rather than decoded character by character.
fn non_ascii_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(word) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            if word & HIGH_BITS != 0 {
                break;
            }
            at += 8;
        }
        at += bytes[at..].iter().position(|&b| b >= 0x80)?;
        let c = text[at..].chars().next()?;
        at += c.len_utf8();
        Some(c)
    })
}

/// The common Han characters as a bitset over the CJK Unified Ideographs block, where all of them
/// are: a lookup per character is on the hot path of every decode.
struct CommonHan {
    bits: Vec<u64>,
}

const CJK_BLOCK: RangeInclusive<u32> = 0x4E00..=0x9FFF;

impl CommonHan {
    fn get() -> &'static CommonHan {
        static COMMON: OnceLock<CommonHan> = OnceLock::new();
        COMMON.get_or_init(|| {
            let mut common = CommonHan {
                bits: vec![0; (CJK_BLOCK.end() - CJK_BLOCK.start()) as usize / 64 + 1],
            };
            common.add(GB18030, 0xB0..=0xD7, &[0xA1..=0xFE]);
            common.add(BIG5, 0xA4..=0xC6, &[0x40..=0x7E, 0xA1..=0xFE]);
            common
        })
    }

    /// Every character of level 1 of a double-byte table (its lead and trail byte ranges).
    fn add(
        &mut self,
        encoding: &'static Encoding,
        leads: RangeInclusive<u8>,
        trails: &[RangeInclusive<u8>],
    ) {
        for lead in leads {
            for trail in trails.iter().flat_map(|r| r.clone()) {
                let pair = [lead, trail];
                let (text, had_errors) = encoding.decode_without_bom_handling(&pair);
                for c in text.chars().filter(|_| !had_errors) {
                    if CJK_BLOCK.contains(&(c as u32)) {
                        let i = (c as u32 - CJK_BLOCK.start()) as usize;
                        self.bits[i / 64] |= 1 << (i % 64);
                    }
                }
            }
        }
    }

    fn contains(&self, c: char) -> bool {
        let code = c as u32;
        CJK_BLOCK.contains(&code) && {
            let i = (code - CJK_BLOCK.start()) as usize;
            self.bits[i / 64] & (1 << (i % 64)) != 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_characters_are_found_across_ascii_runs_of_every_length() {
        for run in 0..20 {
            let ascii = "<a>x".repeat(run).chars().take(run).collect::<String>();
            let text = format!("中{ascii}，é{ascii}{ascii}😀{ascii}");
            let expected: Vec<char> = text.chars().filter(|c| !c.is_ascii()).collect();
            assert_eq!(non_ascii_chars(&text).collect::<Vec<_>>(), expected);
        }
        assert_eq!(non_ascii_chars("plain ascii only").count(), 0);
    }
}
