//! A Chinese language model for choosing between candidate texts.
//!
//! The score of a text is the log-probability of its best segmentation into dictionary words, as
//! jieba's DAG route computes it, over the jieba word-frequency dictionary (MIT). Characters the
//! dictionary does not know cost a fixed out-of-vocabulary penalty; punctuation, digits and Latin
//! runs cost fixed amounts, so candidates of different lengths stay comparable per character.
//! No crate exposes jieba's route probability, so the dynamic programme is written here.

mod image;
mod ngram;

#[cfg(test)]
pub use ngram::ngrams;
pub use ngram::{Context, NgramModel};

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::RuleError;
use crate::rules::Resources;
use crate::rules::files::Bytes;
use crate::text::chars::{SENTENCE_ENDS, is_cjk_punct, is_han};
use crate::text::fold::Folder;
use crate::text::table;

pub use image::ImageError;
use image::{Image, Scalars, StrTable, Tables};

/// The files the word model image is derived from, as `derive_lm_image` reads them (gzip): the
/// jieba dictionary,
pub const DICTIONARY_FILE: &str = "data/lm/jieba_dict.txt.gz";
/// and the character unigram and bigram counts.
pub const CHAR_BIGRAMS_FILE: &str = "data/lm/char_bigrams.txt.gz";

/// The word model: the tables derived from the jieba dictionary and the character bigram counts
/// (see [`derive_image`]), read in place. A rule set's models are its `Resources`; [`model`] is
/// the embedded one.
pub struct LanguageModel {
    /// Words and characters to log-probabilities (a character's is the log of the share of
    /// dictionary frequency carried by words containing it: how common it is in Chinese text,
    /// which mojibake detection asks of every character), and the character bigram counts from
    /// running text (see `scripts/derive_char_bigrams.py`): what the word dictionary cannot know,
    /// such as which characters precede `?` or follow a digit.
    image: Image,
    /// The dictionary is simplified: traditional text is scored through this character map.
    simplifier: Arc<Folder>,
}

/// Interpolation weight of the unigram distribution in a bigram probability (Witten-Bell style).
const BIGRAM_ALPHA: f64 = 8.0;
/// Characters assumed to exist beyond those the corpus saw, for the unigram floor.
const UNSEEN_CHARS: f64 = 20_000.0;

/// The word model's image from the texts of the jieba dictionary (`word frequency [tag]` per line)
/// and the character counts (`<1 or 2 chars>\t<count>` per line); a line that does not read is an
/// error naming its file and line. Zero-frequency words are no words.
pub fn derive_image(dictionary: &str, char_bigrams: &str) -> Result<Vec<u8>, RuleError> {
    let mut entries: Vec<(&str, f64)> = Vec::new();
    for entry in table::entries(DICTIONARY_FILE, dictionary) {
        let mut parts = entry.text.split(' ');
        let (Some(word), Some(freq)) = (parts.next(), parts.next()) else {
            return Err(entry.malformed("word frequency [tag]"));
        };
        let freq: f64 = freq
            .parse()
            .map_err(|_| entry.malformed("word frequency [tag]"))?;
        if freq > 0.0 {
            entries.push((word, freq));
        }
    }
    let total: f64 = entries.iter().map(|(_, f)| f).sum();
    let log_total = total.ln();
    let mut char_freq: HashMap<char, f64> = HashMap::new();
    for (word, freq) in &entries {
        for c in word.chars() {
            *char_freq.entry(c).or_default() += freq;
        }
    }
    let chars = char_freq
        .into_iter()
        .map(|(c, f)| (c, (f.ln() - log_total) as f32))
        .collect();
    let max_word_chars = entries
        .iter()
        .map(|(w, _)| w.chars().count())
        .fold(1, usize::max);
    // A word listed twice keeps its last frequency.
    let words: HashMap<&str, f32> = entries
        .iter()
        .map(|&(w, f)| (w, (f.ln() - log_total) as f32))
        .collect();
    let (counts, unigram_total) = read_counts(char_bigrams)?;
    let scalars = Scalars {
        max_word_chars: max_word_chars.min(16),
        oov: (0.5f64.ln() - log_total) as f32 - 4.0,
        unigram_total,
    };
    let tables = Tables {
        words: words.into_iter().collect(),
        chars,
        counts,
    };
    Ok(image::write(scalars, &tables))
}

/// The unigram and bigram counts by key, and the sum of the unigram lines.
type Counts<'a> = (Vec<(&'a str, u32)>, f64);

/// The counts of the `<1 or 2 chars><TAB><count>` lines (a key listed twice keeps its last count).
fn read_counts(text: &str) -> Result<Counts<'_>, RuleError> {
    const FORMAT: &str = "<1 or 2 chars><TAB><count>";
    let mut counts: HashMap<&str, u32> = HashMap::new();
    let mut total = 0.0;
    for entry in table::entries_without_comments(CHAR_BIGRAMS_FILE, text) {
        let (key, count) = entry.split_once('\t', FORMAT)?;
        let count: u32 = count.parse().map_err(|_| entry.malformed(FORMAT))?;
        match key.chars().count() {
            1 => total += f64::from(count),
            2 => {}
            _ => return Err(entry.malformed(FORMAT)),
        }
        counts.insert(key, count);
    }
    Ok((counts.into_iter().collect(), total))
}

/// The character classes both models' training text was collected in (the bigram counts and the
/// n-gram model): full-width ASCII folded, digits to `0`, Latin letters to `a`.
fn training_class(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    if c.is_ascii_digit() {
        '0'
    } else if c.is_ascii_alphabetic() {
        'a'
    } else {
        c
    }
}

/// The embedded word model, read once per process (for tests and measurements: a stage takes
/// its rule set's).
pub fn model() -> &'static LanguageModel {
    &Resources::embedded().model
}

const PUNCT_COST: f32 = -6.0;
const LATIN_RUN_COST: f32 = -11.0;
const OTHER_COST: f32 = -16.0;

/// The value of a one- or two-character key of `table`.
fn char_key(table: &StrTable, chars: &[char]) -> Option<u32> {
    let mut buf = [0u8; 8];
    let mut len = 0;
    for c in chars {
        len += c.encode_utf8(&mut buf[len..]).len();
    }
    table.get(&buf[..len])
}

impl LanguageModel {
    /// The model in an image's `bytes`, scoring traditional text through `simplifier`; checks
    /// the header and that every table fits.
    pub fn read(bytes: Bytes, simplifier: Arc<Folder>) -> Result<Self, ImageError> {
        Ok(LanguageModel {
            image: Image::read(bytes)?,
            simplifier,
        })
    }

    fn count(&self, chars: &[char]) -> f64 {
        char_key(&self.image.counts, chars).map_or(0.0, f64::from)
    }

    fn unigram_p(&self, c: char) -> f64 {
        (self.count(&[c]) + 0.5) / (self.image.scalars.unigram_total + 0.5 * UNSEEN_CHARS)
    }

    fn bigram_logp(&self, prev: Option<char>, c: char) -> f64 {
        let floor = self.unigram_p(c);
        let Some(prev) = prev else {
            return floor.ln();
        };
        let history = self.count(&[prev]);
        let pair = self.count(&[prev, c]);
        ((pair + BIGRAM_ALPHA * floor) / (history + BIGRAM_ALPHA)).ln()
    }

    /// Log-probability of `text` under the character bigram model (traditional text through its
    /// simplified form; white space skipped). Complements [`LanguageModel::score`] where a choice is
    /// between single characters, punctuation included.
    pub fn bigram_score(&self, text: &str) -> f64 {
        let mut prev = None;
        let mut total = 0.0;
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            let c = training_class(self.simplifier.simplify_char(c));
            total += self.bigram_logp(prev, c);
            prev = Some(c);
        }
        total
    }

    /// Log-probability of a word, if the dictionary has it.
    pub fn word_logp(&self, word: &str) -> Option<f32> {
        self.image.words.get(word.as_bytes()).map(f32::from_bits)
    }

    /// How common a character is (log share of the dictionary frequency of the words that contain
    /// it), traditional characters through their simplified form; `None` for characters no word has.
    pub fn char_logp(&self, c: char) -> Option<f32> {
        char_key(&self.image.chars, &[self.simplifier.simplify_char(c)]).map(f32::from_bits)
    }

    /// Log-probability of the best segmentation of `text` (higher is more Chinese-like).
    pub fn score(&self, text: &str) -> f64 {
        let simplified: String = text
            .chars()
            .map(|c| self.simplifier.simplify_char(c))
            .collect();
        self.score_simplified(&simplified)
    }

    fn score_simplified(&self, text: &str) -> f64 {
        self.best_route(text).0
    }

    /// The words of the best segmentation of `text` (simplified first, like [`Self::score`]), as
    /// character index ranges: which characters the model reads as one word.
    pub fn words(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let simplified: String = text
            .chars()
            .map(|c| self.simplifier.simplify_char(c))
            .collect();
        let (_, from) = self.best_route(&simplified);
        let mut words = Vec::new();
        let mut end = from.len() - 1;
        while end > 0 {
            let start = from[end];
            words.push(start..end);
            end = start;
        }
        words.reverse();
        words
    }

    /// The best segmentation's log-probability and, for each character position, where the token
    /// ending there starts.
    fn best_route(&self, text: &str) -> (f64, Vec<usize>) {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len();
        let byte_at = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
        let mut best = vec![f64::NEG_INFINITY; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f64::NEG_INFINITY {
                continue;
            }
            let here = best[i];
            let c = chars[i].1;
            if !is_han(c) {
                let (len, cost) = self.non_han_token(&chars[i..]);
                relax(&mut best, &mut from, i, i + len, here + f64::from(cost));
                continue;
            }
            let single = self.word_logp(&text[byte_at(i)..byte_at(i + 1)]);
            let single = here + f64::from(single.unwrap_or(self.image.scalars.oov));
            relax(&mut best, &mut from, i, i + 1, single);
            for len in 2..=self.image.scalars.max_word_chars.min(n - i) {
                if !is_han(chars[i + len - 1].1) {
                    break;
                }
                if let Some(lp) = self.word_logp(&text[byte_at(i)..byte_at(i + len)]) {
                    relax(&mut best, &mut from, i, i + len, here + f64::from(lp));
                }
            }
        }
        (best[n], from)
    }

    /// Score per character, for comparing texts of different lengths.
    pub fn score_per_char(&self, text: &str) -> f64 {
        let n = text.chars().count().max(1);
        self.score(text) / n as f64
    }

    /// The length in characters and cost of the non-Han token starting the slice.
    fn non_han_token(&self, chars: &[(usize, char)]) -> (usize, f32) {
        let c = chars[0].1;
        if c.is_ascii_alphanumeric() {
            let len = chars
                .iter()
                .take_while(|(_, c)| c.is_ascii_alphanumeric())
                .count();
            (len, LATIN_RUN_COST)
        } else if is_cjk_punct(c) || c.is_ascii_punctuation() {
            (1, punct_cost(c, chars.len() == 1))
        } else if c == ' ' || c == '\t' {
            (1, PUNCT_COST / 2.0)
        } else {
            (1, OTHER_COST)
        }
    }
}

/// Punctuation by how common it is in Chinese text, and whether it fits the end of a text: a
/// sentence ends with `。！？`, seldom with `，、`. Keeps candidates that differ only in a mark apart.
fn punct_cost(c: char, at_end: bool) -> f32 {
    let base = match c {
        '，' | ',' => PUNCT_COST + 3.5,
        '。' => PUNCT_COST + 3.0,
        '、' | '“' | '”' => PUNCT_COST + 1.5,
        '：' | ':' | '！' | '!' | '？' | '?' | '（' | '(' | '）' | ')' | '《' | '》' => {
            PUNCT_COST + 1.0
        }
        _ => PUNCT_COST,
    };
    let ending = match c {
        _ if SENTENCE_ENDS.contains(&c) => 1.5,
        // A closing quote or bracket ends a text as well as the sentence inside it.
        '”' | '）' | ')' | '》' => 1.5,
        '，' | ',' | '、' | '“' | '（' | '(' | '《' => -1.5,
        _ => 0.0,
    };
    if at_end { base + ending } else { base }
}

fn relax(best: &mut [f64], from: &mut [usize], start: usize, at: usize, value: f64) {
    if value > best[at] {
        best[at] = value;
        from[at] = start;
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn segments_into_words() {
        let words = model().words("更加注重人的營銷");
        let text: Vec<char> = "更加注重人的營銷".chars().collect();
        let words: Vec<String> = words
            .iter()
            .map(|r| text[r.clone()].iter().collect())
            .collect();
        assert!(words.contains(&"注重".to_string()), "{words:?}");
    }

    #[test]
    fn prefers_real_text_to_mojibake() {
        let lm = model();
        assert!(lm.score("可是人的行為慣性") > lm.score("墒侨说男袨閼T性"));
        assert!(lm.score("微商該這樣") > lm.score("段⑸淘撨@樣"));
    }

    #[test]
    fn common_characters_are_more_common_than_mojibake() {
        let lm = model();
        let common = lm.char_logp('們').unwrap();
        assert!(lm.char_logp('閼').is_none_or(|rare| rare < common - 5.0));
        assert!(lm.char_logp('\u{E1E9}').is_none());
    }

    #[test]
    fn bigrams_know_what_follows_a_digit_and_precedes_a_question_mark() {
        let lm = model();
        assert!(lm.bigram_score("3月") > lm.bigram_score("3有"));
        assert!(lm.bigram_score("如何賣呢?") > lm.bigram_score("如何賣命?"));
    }

    #[test]
    fn prefers_text_without_an_injected_phrase() {
        let lm = model();
        let clean = lm.score_per_char("淘寶小店。");
        let dirty = lm.score_per_char("淘寶小線上拉霸機,店。");
        assert!(clean > dirty, "{clean} vs {dirty}");
    }

    fn gunzip(path: &str) -> String {
        let bytes = std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn the_bundled_image_is_derived_from_the_bundled_dictionary_and_counts() {
        let derived = derive_image(&gunzip(DICTIONARY_FILE), &gunzip(CHAR_BIGRAMS_FILE)).unwrap();
        assert!(
            crate::rules::files::embedded(crate::rules::files::WORD_MODEL)
                == Some(derived.as_slice()),
            "run `cargo run --release -p sluice-eval --bin derive_lm_image`"
        );
    }

    #[test]
    fn a_line_that_does_not_read_is_an_error_naming_file_and_line() {
        let err = derive_image("人 5 n\n人民\n", "人\t3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{DICTIONARY_FILE}:2: expected `word frequency [tag]`, got `人民`")
        );
        // `#` is a character like another in the counts: no comment lines there.
        let err = derive_image("人 5 n\n", "#\t3\n人民日\t1\n").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), (CHAR_BIGRAMS_FILE, 2));
    }
}
