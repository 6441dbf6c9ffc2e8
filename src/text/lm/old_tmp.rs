#![allow(dead_code)]
// A Chinese language model for choosing between candidate texts.
//
// The score of a text is the log-probability of its best segmentation into dictionary words, as
// jieba's DAG route computes it, over the jieba word-frequency dictionary (MIT). Characters the
// dictionary does not know cost a fixed out-of-vocabulary penalty; punctuation, digits and Latin
// runs cost fixed amounts, so candidates of different lengths stay comparable per character.
// No crate exposes jieba's route probability, so the dynamic programme is written here.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use crate::text::chars::{SENTENCE_ENDS, is_cjk_punct, is_han};
use crate::text::fold::Folder;

static DICTIONARY: &[u8] = include_bytes!("../../../data/lm/jieba_dict.txt.gz");
static CHAR_BIGRAMS: &[u8] = include_bytes!("../../../data/lm/char_bigrams.txt.gz");
static TS_CHARACTERS: &str = include_str!("../../../rules/script/opencc/TSCharacters.txt");

/// The word model. Build it with [`model`], which loads the bundled dictionary once per process.
pub struct LanguageModel {
    words: HashMap<Box<str>, f32>,
    /// Log of the share of dictionary frequency carried by words containing each character: how
    /// common a character is in Chinese text (mojibake detection asks this of every character).
    chars: HashMap<char, f32>,
    max_word_chars: usize,
    /// Log-probability of a Han character that is not a dictionary word by itself.
    oov: f32,
    /// The dictionary is simplified: traditional text is scored through this character map.
    simplifier: Folder,
    bigrams: CharBigrams,
}

/// Character bigram counts from running text (see `scripts/derive_char_bigrams.py`): what the word
/// dictionary cannot know, such as which characters precede `?` or follow a digit.
#[derive(Default)]
struct CharBigrams {
    unigrams: HashMap<char, u32>,
    bigrams: HashMap<(char, char), u32>,
    total: f64,
}

/// Interpolation weight of the unigram distribution in a bigram probability (Witten-Bell style).
const BIGRAM_ALPHA: f64 = 8.0;
/// Characters assumed to exist beyond those the corpus saw, for the unigram floor.
const UNSEEN_CHARS: f64 = 20_000.0;

impl CharBigrams {
    /// From `<1 or 2 chars>\t<count>` lines.
    fn parse(text: &str) -> Self {
        let mut model = CharBigrams::default();
        for line in text.lines() {
            let Some((key, count)) = line.split_once('\t') else {
                continue;
            };
            let Ok(count) = count.parse::<u32>() else {
                continue;
            };
            let mut chars = key.chars();
            match (chars.next(), chars.next(), chars.next()) {
                (Some(a), None, _) => {
                    model.unigrams.insert(a, count);
                    model.total += f64::from(count);
                }
                (Some(a), Some(b), None) => {
                    model.bigrams.insert((a, b), count);
                }
                _ => {}
            }
        }
        model
    }

    fn unigram_p(&self, c: char) -> f64 {
        let n = self.unigrams.get(&c).map_or(0.0, |&n| f64::from(n));
        (n + 0.5) / (self.total + 0.5 * UNSEEN_CHARS)
    }

    fn logp(&self, prev: Option<char>, c: char) -> f64 {
        let floor = self.unigram_p(c);
        let Some(prev) = prev else {
            return floor.ln();
        };
        let history = self.unigrams.get(&prev).map_or(0.0, |&n| f64::from(n));
        let pair = self.bigrams.get(&(prev, c)).map_or(0.0, |&n| f64::from(n));
        ((pair + BIGRAM_ALPHA * floor) / (history + BIGRAM_ALPHA)).ln()
    }
}

/// The character classes the bigram counts were collected over: full-width ASCII folded, digits
/// to `0`, Latin letters to `a`.
fn bigram_class(c: char) -> char {
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

/// The shared model, loaded on first use (about a tenth of a second).
pub fn model() -> &'static LanguageModel {
    static MODEL: OnceLock<LanguageModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut text = String::new();
        flate2::read::GzDecoder::new(DICTIONARY)
            .read_to_string(&mut text)
            .expect("the bundled dictionary is valid gzip UTF-8");
        let mut model =
            LanguageModel::from_jieba_dict(&text, Folder::from_opencc_ts_characters(TS_CHARACTERS));
        let mut bigrams = String::new();
        flate2::read::GzDecoder::new(CHAR_BIGRAMS)
            .read_to_string(&mut bigrams)
            .expect("the bundled bigram counts are valid gzip UTF-8");
        model.bigrams = CharBigrams::parse(&bigrams);
        model
    })
}

const PUNCT_COST: f32 = -6.0;
const LATIN_RUN_COST: f32 = -11.0;
const OTHER_COST: f32 = -16.0;

impl LanguageModel {
    /// A model from a jieba-format dictionary: `word frequency [tag]` per line.
    pub fn from_jieba_dict(dict: &str, simplifier: Folder) -> Self {
        let entries: Vec<(&str, f64)> = dict
            .lines()
            .filter_map(|line| {
                let mut parts = line.split(' ');
                let word = parts.next()?;
                let freq: f64 = parts.next()?.parse().ok()?;
                (freq > 0.0).then_some((word, freq))
            })
            .collect();
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
        let mut max_word_chars = 1;
        let words: HashMap<Box<str>, f32> = entries
            .iter()
            .map(|(w, f)| {
                max_word_chars = max_word_chars.max(w.chars().count());
                (Box::from(*w), (f.ln() - log_total) as f32)
            })
            .collect();
        LanguageModel {
            words,
            chars,
            max_word_chars: max_word_chars.min(16),
            oov: (0.5f64.ln() - log_total) as f32 - 4.0,
            simplifier,
            bigrams: CharBigrams::default(),
        }
    }

    /// Log-probability of `text` under the character bigram model (traditional text through its
    /// simplified form; white space skipped). Complements [`LanguageModel::score`] where a choice is
    /// between single characters, punctuation included.
    pub fn bigram_score(&self, text: &str) -> f64 {
        let mut prev = None;
        let mut total = 0.0;
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            let c = bigram_class(self.simplifier.simplify_char(c));
            total += self.bigrams.logp(prev, c);
            prev = Some(c);
        }
        total
    }

    /// Log-probability of a word, if the dictionary has it.
    pub fn word_logp(&self, word: &str) -> Option<f32> {
        self.words.get(word).copied()
    }

    /// How common a character is (log share of the dictionary frequency of the words that contain
    /// it), traditional characters through their simplified form; `None` for characters no word has.
    pub fn char_logp(&self, c: char) -> Option<f32> {
        self.chars.get(&self.simplifier.simplify_char(c)).copied()
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
            let single = here + f64::from(single.unwrap_or(self.oov));
            relax(&mut best, &mut from, i, i + 1, single);
            for len in 2..=self.max_word_chars.min(n - i) {
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
