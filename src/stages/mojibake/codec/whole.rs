//! The characters a whole lost character may have been: those of the real charset that the
//! character n-gram model knows, with their bytes. The bytes themselves narrow them: a filling must
//! be bytes that the wrong decoder rejects where they stand (GBK read as Big5 loses `個`, `82 80`,
//! and `人`, `C8 CB` in Big5's user-defined rows, but never `的`, which Big5 reads as another
//! character), so only some hundreds of the model's characters fit a place, which the n-gram model
//! ranks by the text either side.

use std::sync::{Arc, OnceLock};

use super::{Charset, decode, encode, rejects};
use crate::text::lm::{Context, NgramModel};

/// The candidates for a whole lost character, per real charset, built on first use (most
/// documents never need them).
#[derive(Default)]
pub struct WholeCharacters {
    /// Without a model, no whole lost character is guessed.
    model: Option<Arc<NgramModel>>,
    utf8: OnceLock<Vec<Candidate>>,
    double_byte: [OnceLock<Vec<Candidate>>; 3],
}

/// How a whole lost character is guessed: by its best filling's `margin` over the next, the
/// n-gram scorings of the search counted by `charge` (false once the document's search budget is
/// spent: the search is then given up).
#[derive(Clone, Copy)]
pub struct Guess<'a> {
    pub margin: f64,
    pub charge: &'a dyn Fn(usize) -> bool,
}

/// A character and its bytes in the real charset.
pub struct Candidate {
    pub character: char,
    pub bytes: Vec<u8>,
}

/// The characters a candidate may be drawn from: the Basic Multilingual Plane's CJK punctuation,
/// unified ideographs and full-width forms (what a lost character of Chinese text is).
const RANGES: [std::ops::RangeInclusive<char>; 3] = [
    '\u{3000}'..='\u{303F}',
    '\u{4E00}'..='\u{9FFF}',
    '\u{FF01}'..='\u{FF5E}',
];

impl WholeCharacters {
    pub fn new(model: Arc<NgramModel>) -> Self {
        WholeCharacters {
            model: Some(model),
            ..Default::default()
        }
    }

    /// The model's characters whose encoding in `charset` is `width` bytes (two in a double-byte
    /// charset, three in UTF-8) that a decoder for `charset` reads as a character.
    fn of(&self, charset: Charset, model: &NgramModel) -> &[Candidate] {
        let cell = match charset {
            Charset::Utf8 => &self.utf8,
            Charset::Gb18030 => &self.double_byte[0],
            Charset::Big5 => &self.double_byte[1],
            Charset::ShiftJis => &self.double_byte[2],
            Charset::Windows1252 | Charset::Latin1 => return &[],
        };
        cell.get_or_init(|| {
            let width = width(charset);
            RANGES
                .iter()
                .flat_map(|range| range.clone())
                .filter(|&c| model.knows(c))
                .filter_map(|c| {
                    let bytes = encode(&c.to_string(), charset)?.bytes;
                    let whole = bytes.len() == width && !rejects(charset, bytes[0], &bytes[1..]);
                    whole.then_some(Candidate {
                        character: c,
                        bytes,
                    })
                })
                .collect()
        })
    }

    /// The readings of the `count` whole characters at `bytes[at..]` of `really` whose every byte
    /// is one `possible` allows there: a beam of `keep` over the characters left to right, ranked
    /// by the n-gram model after the text decoded `reach` bytes before them (and, for the last,
    /// before the text after them), best first, as bytes; none once `charge` refuses the scorings.
    pub fn ranked(
        &self,
        really: Charset,
        (bytes, at, count): (&[u8], usize, usize),
        possible: &[Vec<u8>],
        (reach, keep): (usize, usize),
        charge: &dyn Fn(usize) -> bool,
    ) -> Vec<Vec<u8>> {
        let Some(model) = self.model.as_deref().filter(|_| count <= MAX_RUN) else {
            return Vec::new();
        };
        let w = width(really);
        let end = at + count * w;
        let left = decode(&bytes[at.saturating_sub(reach)..at], really);
        let right = decode(&bytes[end..(end + reach).min(bytes.len())], really);
        let all = self.of(really, model);
        let mut beam: Vec<(String, Vec<u8>)> = vec![(String::new(), Vec::new())];
        for k in 0..count {
            let allowed = &possible[k * w..(k + 1) * w];
            let fitting: Vec<&Candidate> = all
                .iter()
                .filter(|c| c.bytes.iter().zip(allowed).all(|(b, p)| p.contains(b)))
                .collect();
            // Where the bytes hardly narrow the candidates (a lost UTF-8 character may be any),
            // the context alone would have to tell: too costly, and no guess.
            if fitting.len() > MAX_FITTING {
                return Vec::new();
            }
            let readings: Vec<(String, Vec<u8>)> = beam
                .iter()
                .flat_map(|(text, read)| {
                    fitting.iter().map(move |c| {
                        let mut text = text.clone();
                        text.push(c.character);
                        let mut read = read.clone();
                        read.extend_from_slice(&c.bytes);
                        (text, read)
                    })
                })
                .collect();
            let after = if k + 1 == count { right.as_str() } else { "" };
            if !charge(readings.len()) {
                return Vec::new();
            }
            let texts: Vec<&str> = readings.iter().map(|r| r.0.as_str()).collect();
            let scores = model.fill_scores(&Context::open(&left), &texts, &Context::open(after));
            let mut scored: Vec<(f64, (String, Vec<u8>))> =
                scores.into_iter().zip(readings).collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            beam = scored.into_iter().take(keep).map(|(_, r)| r).collect();
        }
        beam.into_iter().map(|(_, read)| read).collect()
    }

    /// The n-gram model's log-probability of `text` (nothing without a model), added to the
    /// stage's score where a whole character is guessed: it knows both scripts' words, where the
    /// word model knows simplified ones.
    pub fn score(&self, text: &str) -> f64 {
        self.model.as_ref().map_or(0.0, |m| m.score_line(text))
    }
}

/// The most candidates a lost character's bytes may leave for it to be guessed.
const MAX_FITTING: usize = 1024;
/// The most lost characters side by side that are guessed together.
const MAX_RUN: usize = 2;

/// The bytes of a whole character of `charset` that a lost one is taken to be.
pub fn width(charset: Charset) -> usize {
    if charset == Charset::Utf8 { 3 } else { 2 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Resources;
    use crate::stages::mojibake::codec::UNKNOWN;

    #[test]
    fn a_whole_lost_character_is_one_whose_bytes_the_wrong_decoder_rejects_there() {
        // `在一個物` in GBK read as Big5: `個` (82 80) lost both bytes; `的` (B5 C4) is a
        // character to Big5, so it cannot have been lost.
        let bytes = [0xD4, 0xDA, 0xD2, 0xBB, UNKNOWN, UNKNOWN, 0xCE, 0xEF];
        let possible: Vec<Vec<u8>> = (4..6)
            .map(|at| {
                (0x80..=0xFE)
                    .filter(|&v| rejects(Charset::Big5, v, &bytes[at + 1..]))
                    .collect()
            })
            .collect();
        let whole = WholeCharacters::new(Arc::clone(&Resources::embedded().ngrams));
        let all = whole.ranked(
            Charset::Gb18030,
            (&bytes, 4, 1),
            &possible,
            (15, usize::MAX),
            &|_| true,
        );
        assert!(all.contains(&vec![0x82, 0x80]));
        assert!(!all.contains(&vec![0xB5, 0xC4]));
        let free = |_: usize| true;
        let best = whole.ranked(Charset::Gb18030, (&bytes, 4, 1), &possible, (15, 8), &free);
        assert_eq!(best.len(), 8);
        assert!(best.iter().all(|b| all.contains(b)));
        // Without a model nothing is guessed.
        let none = WholeCharacters::default();
        assert!(
            none.ranked(Charset::Gb18030, (&bytes, 4, 1), &possible, (15, 8), &free)
                .is_empty()
        );
    }
}
