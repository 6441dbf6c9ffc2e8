//! A character n-gram model (interpolated Kneser-Ney, up to 4-grams, pruned) read in place from the
//! bytes that `scripts/derive_char_ngrams.py` writes (`data/lm/char_ngrams.bin`, layout in the
//! script): sorted arrays searched by bisection, so loading costs a header check and no parsing.
//!
//! No crate reads a pruned backoff model from a compact static array (KenLM's format needs its C++
//! library, `arpa` crates parse text at start-up), so the lookup is written here.
//!
//! Text is normalised as the script normalised its training text: white space dropped, full-width
//! ASCII folded, digits to `0`, ASCII letters to `a`, traditional characters to simplified one at a
//! time (OpenCC `TSCharacters`), so one model scores both scripts.

use std::sync::Arc;

use crate::rules::files::Bytes;
use crate::text::fold::Folder;

use super::image::read_u32;

/// Id of a character the model never saw.
const UNKNOWN: u16 = 0;
/// Id of the start and end of a line.
const BOUNDARY: u16 = 1;
/// 32-bit words before the counts of entries per order: magic, version, order, vocabulary size.
const HEADER_WORDS: usize = 4;

/// Why a model file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum NgramError {
    #[error("character n-gram model: {0}")]
    Format(&'static str),
}

/// The character n-gram model. A rule set's models are its `Resources`; [`ngrams`] is the
/// embedded one.
pub struct NgramModel {
    bytes: Bytes,
    order: usize,
    step: f64,
    /// Byte offset of the sorted code points of the vocabulary, and their number.
    chars_at: usize,
    vocabulary: usize,
    tables: Vec<Table>,
    simplifier: Arc<Folder>,
}

/// The entries of one order: sorted keys (ids for unigrams, fingerprints above), quantised
/// log-probabilities and, below the top order, quantised backoff weights.
struct Table {
    keys_at: usize,
    len: usize,
    logp_at: usize,
    backoff_at: Option<usize>,
}

/// The embedded model, read once per process (for tests: a stage takes its rule set's).
#[cfg(test)]
pub fn ngrams() -> &'static NgramModel {
    &crate::rules::Resources::embedded().ngrams
}

impl NgramModel {
    /// A model over the bytes the derivation script writes; checks that every array fits.
    pub fn from_bytes(bytes: Bytes, simplifier: Arc<Folder>) -> Result<Self, NgramError> {
        if bytes.get(..4) != Some(b"SLNG".as_slice()) {
            return Err(NgramError::Format("not an SLNG file"));
        }
        let word = |i: usize| read_u32(&bytes, 4 + 4 * i).ok_or(NgramError::Format("truncated"));
        if word(0)? != 1 {
            return Err(NgramError::Format("unknown version"));
        }
        let order = word(1)? as usize;
        let vocabulary = word(2)? as usize;
        if !(1..=4).contains(&order) || vocabulary + 2 > usize::from(u16::MAX) {
            return Err(NgramError::Format("order or vocabulary out of range"));
        }
        let sizes: Vec<usize> = (0..order)
            .map(|n| word(HEADER_WORDS - 1 + n).map(|w| w as usize))
            .collect::<Result<_, _>>()?;
        let step_at = 4 + 4 * (HEADER_WORDS - 1 + order);
        let step = read_u32(&bytes, step_at)
            .map(f32::from_bits)
            .ok_or(NgramError::Format("truncated"))?;
        let chars_at = step_at + 4;
        let mut at = chars_at + 4 * vocabulary;
        let mut tables = Vec::with_capacity(order);
        for (n, &len) in sizes.iter().enumerate() {
            let keys_at = at;
            let logp_at = keys_at + 4 * len;
            at = (logp_at + len).next_multiple_of(4);
            let backoff_at = (n + 1 < order).then(|| {
                let b = at;
                at = (b + len).next_multiple_of(4);
                b
            });
            tables.push(Table {
                keys_at,
                len,
                logp_at,
                backoff_at,
            });
        }
        if at > bytes.len() || sizes[0] != vocabulary + 2 {
            return Err(NgramError::Format("arrays overrun the file"));
        }
        Ok(NgramModel {
            bytes,
            order,
            step: f64::from(step),
            chars_at,
            vocabulary,
            tables,
            simplifier,
        })
    }

    /// Log-probability (natural) of `text` as a stretch of running text, each character given
    /// the ones before it in `text` (no line start or end). The stages score lines and fills; the
    /// tests compare texts.
    #[cfg(test)]
    pub fn score(&self, text: &str) -> f64 {
        let ids = self.ids(text);
        self.continuation(&[], &ids)
    }

    /// Log-probability of `text` as a whole line: from the line start, up to and including the
    /// line end, so that what may open and close a line counts.
    pub fn score_line(&self, text: &str) -> f64 {
        let mut ids = vec![BOUNDARY];
        ids.extend(self.ids(text));
        ids.push(BOUNDARY);
        self.continuation(&ids[..1], &ids[1..])
    }

    /// The score of each candidate filling a gap between `left` and `right`: the log-probability
    /// of the candidate and of the characters of `right` whose history it reaches, after `left`.
    /// Differences between candidates are exactly the differences of the whole text's scores.
    /// `left` starting with the line start or `right` ending the line is told by `line_start`
    /// and `line_end`.
    pub fn fill_scores(&self, left: &Context, candidates: &[&str], right: &Context) -> Vec<f64> {
        let mut history = Vec::with_capacity(self.order);
        if left.bounded {
            history.push(BOUNDARY);
        }
        history.extend(self.ids(left.text));
        let keep = history.len().saturating_sub(self.order - 1);
        history.drain(..keep);
        let mut after = self.ids(right.text);
        after.truncate(self.order - 1);
        if right.bounded && after.len() < self.order - 1 {
            after.push(BOUNDARY);
        }
        candidates
            .iter()
            .map(|c| {
                let mut ids = self.ids(c);
                ids.extend_from_slice(&after);
                self.continuation(&history, &ids)
            })
            .collect()
    }

    /// Whether the model knows `c` (after normalisation): characters it never saw all share one
    /// unknown id, so candidates should come from those it knows.
    pub fn knows(&self, c: char) -> bool {
        self.id(c) != UNKNOWN
    }

    /// Every character the model knows, in its normalised (simplified) form.
    pub fn vocabulary(&self) -> impl Iterator<Item = char> + '_ {
        (0..self.vocabulary)
            .filter_map(|i| read_u32(&self.bytes, self.chars_at + 4 * i).and_then(char::from_u32))
    }

    fn continuation(&self, history: &[u16], ids: &[u16]) -> f64 {
        let mut all = history.to_vec();
        all.extend_from_slice(ids);
        (history.len()..all.len())
            .map(|i| {
                let from = i.saturating_sub(self.order - 1);
                self.logp(&all[from..i], all[i])
            })
            .sum()
    }

    /// `ln p(w | history)` by backing off from the longest stored n-gram.
    fn logp(&self, history: &[u16], w: u16) -> f64 {
        let mut penalty = 0.0;
        for start in 0..history.len() {
            let context = &history[start..];
            let n = context.len() + 1;
            let mut gram = context.to_vec();
            gram.push(w);
            if let Some(i) = self.find(n, &gram) {
                return penalty + self.dequantise(self.tables[n - 1].logp_at + i);
            }
            if let Some(i) = self.find(n - 1, context) {
                let table = &self.tables[n - 2];
                if let Some(at) = table.backoff_at {
                    penalty += self.dequantise(at + i);
                }
            }
        }
        penalty + self.dequantise(self.tables[0].logp_at + usize::from(w))
    }

    /// Index of an n-gram in its table.
    fn find(&self, n: usize, gram: &[u16]) -> Option<usize> {
        let table = &self.tables[n - 1];
        let key = if n == 1 {
            u32::from(gram[0])
        } else {
            fingerprint(gram)
        };
        let bytes: &[u8] = &self.bytes;
        let key_at = |i: usize| read_u32(bytes, table.keys_at + 4 * i).unwrap_or(u32::MAX);
        let i = partition_point(table.len, |i| key_at(i) < key);
        (i < table.len && key_at(i) == key).then_some(i)
    }

    fn dequantise(&self, at: usize) -> f64 {
        -f64::from(self.bytes[at]) * self.step
    }

    fn ids(&self, text: &str) -> Vec<u16> {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| self.id(c))
            .collect()
    }

    fn id(&self, c: char) -> u16 {
        let c = super::training_class(self.simplifier.simplify_char(c));
        let code = c as u32;
        let bytes: &[u8] = &self.bytes;
        let at = |i: usize| read_u32(bytes, self.chars_at + 4 * i).unwrap_or(u32::MAX);
        let i = partition_point(self.vocabulary, |i| at(i) < code);
        if i < self.vocabulary && at(i) == code {
            // The vocabulary is smaller than u16::MAX - 2 (checked when the model is read).
            (i + 2) as u16
        } else {
            UNKNOWN
        }
    }
}

/// Text beside a gap, and whether it reaches the start (left) or end (right) of its line.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub text: &'a str,
    pub bounded: bool,
}

impl<'a> Context<'a> {
    /// Text that continues beyond what is given.
    pub fn open(text: &'a str) -> Self {
        Context {
            text,
            bounded: false,
        }
    }

    /// Text that reaches the line's start (on the left) or end (on the right).
    pub fn line(text: &'a str) -> Self {
        Context {
            text,
            bounded: true,
        }
    }
}

/// 32 bits of a SplitMix64 mix of the ids (16 bits each, first id highest), as the script computes.
fn fingerprint(ids: &[u16]) -> u32 {
    let mut key = ids.iter().fold(0u64, |k, &i| (k << 16) | u64::from(i));
    key = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    key = (key ^ (key >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    key = (key ^ (key >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    key ^= key >> 31;
    (key >> 32) as u32
}

/// The first index in `0..len` for which `before` is false (`before` is true, then false).
fn partition_point(len: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_text_to_its_scrambling() {
        let lm = ngrams();
        assert!(lm.score("我們的行為慣性是那么難改") > lm.score("慣們的性為行我是難那么改"));
        assert!(lm.score("可是人的行為慣性") > lm.score("墒侨说男袨閼T性"));
    }

    #[test]
    fn scores_both_scripts_alike() {
        let lm = ngrams();
        assert_eq!(lm.score("電商平臺"), lm.score("电商平台"));
    }

    #[test]
    fn fills_a_gap_from_both_sides() {
        let lm = ngrams();
        let scores = lm.fill_scores(
            &Context::open("他們在電商"),
            &["平", "手", "我"],
            &Context::open("臺上開店"),
        );
        assert!(scores[0] > scores[1] && scores[0] > scores[2], "{scores:?}");
    }

    #[test]
    fn fill_scores_differ_as_whole_text_scores_do() {
        let lm = ngrams();
        let (left, right) = ("今天的天氣很", "適合出去");
        let fills = lm.fill_scores(&Context::open(left), &["好", "壞"], &Context::open(right));
        let whole = |c: &str| lm.score(&format!("{left}{c}{right}"));
        assert!(((fills[0] - fills[1]) - (whole("好") - whole("壞"))).abs() < 1e-9);
    }

    #[test]
    fn line_ends_are_part_of_the_model() {
        let lm = ngrams();
        assert!(lm.score_line("這才叫微商。") > lm.score_line("這才叫微商,"));
    }

    #[test]
    fn unknown_characters_share_one_id() {
        let lm = ngrams();
        assert!(lm.knows('的'));
        assert!(!lm.knows('\u{E1E9}'));
        assert!(lm.score("\u{E1E9}") < lm.score("的"));
    }

    #[test]
    fn truncated_files_are_refused() {
        let folder = || Arc::new(Folder::from_opencc_ts_characters(""));
        let model = crate::rules::files::embedded(crate::rules::files::NGRAM_MODEL).unwrap();
        assert!(NgramModel::from_bytes(Bytes::Embedded(&model[..100]), folder()).is_err());
        assert!(NgramModel::from_bytes(Bytes::Embedded(b"XXXX"), folder()).is_err());
    }
}
