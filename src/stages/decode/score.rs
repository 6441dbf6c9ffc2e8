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
    let sample = text
        .chars()
        .filter(|c| !c.is_ascii() && !c.is_whitespace())
        .take(SCORE_SAMPLE_CHARS);
    for c in sample {
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
