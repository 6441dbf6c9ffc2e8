//! `scored-span`: a span that ends at an injector's comma, judged by one logistic model over evidence
//! that needs no list: the punctuation around it, how much better the sentence reads without it (the
//! word model's join gain and the character n-gram model's deletion gain), and how promotional it
//! sounds (bigrams of syllables, so homophones such as 菠菜 for 博彩 share their n-grams, scored as a
//! log-likelihood ratio of spam phrases against ordinary text). The weights and the promotional
//! bigrams are data files derived by `sluice-eval`'s `train_spam_model` from the train side of the
//! development split.

use std::collections::HashMap;
use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::pinyin::Readings;
use crate::text::chars::{is_han, is_invisible};
use crate::text::lm::{Context, ngrams};
use crate::text::table;

use super::evidence::{char_after, char_before, is_clause_break, is_fullwidth_alnum, join_gain};
use super::{Found, Spam};

/// The model's features, in the order of [`SpanCandidate::features`] and of the weights file.
pub const FEATURES: [&str; 10] = [
    "ascii_comma",
    "mixed_commas",
    "stray_comma",
    "whole_clause",
    "join_gain",
    "ngram_gain",
    "promo_mean",
    "promo_cover",
    "chars",
    "page_support",
];

/// Indexes in [`FEATURES`] of the features computed after the cheap ones.
const JOIN_GAIN: usize = 4;
const NGRAM_GAIN: usize = 5;
const PAGE_SUPPORT: usize = 9;

/// The range of each feature, by index in [`FEATURES`]: the language-model gains are clamped to it.
const SPAN_FEATURE_RANGES: [(f64, f64); FEATURES.len()] = [
    (0.0, 1.0),
    (0.0, 1.0),
    (0.0, 1.0),
    (0.0, 1.0),
    (-5.0, 10.0),
    (0.0, 20.0),
    (f64::NEG_INFINITY, f64::INFINITY),
    (0.0, 1.0),
    (0.0, f64::INFINITY),
    (0.0, 1.0),
];

/// A measured feature clamped to its range.
fn clamp(feature: usize, value: f64) -> f64 {
    let (low, high) = SPAN_FEATURE_RANGES[feature];
    value.clamp(low, high)
}

/// Characters of n-gram context on the left of a span for the deletion gain.
const LEFT_CONTEXT: usize = 6;
/// Characters of n-gram context on the right (the model's order less one).
const RIGHT_CONTEXT: usize = 3;

/// A span ending at a comma, with the model's features and probability.
#[derive(Debug, Clone)]
pub struct SpanCandidate {
    /// The span with its comma, in bytes of the text.
    pub range: Range<usize>,
    pub features: [f64; FEATURES.len()],
    pub probability: f64,
}

/// Characters folded to their sound: a Han character to its first reading without tone, ASCII
/// letters and digits to one class each (as the language model's counts have them).
pub struct Sounds {
    /// Each character's sound, sorted by character (the readings table's order): built in one
    /// pass at start-up, where a hash map of 40,000 characters cost more than the lookups save.
    ids: Vec<(char, u32)>,
    /// The sounds of the common Han block ([`Sounds::COMMON`]) by code point, [`Sounds::NONE`]
    /// for a character with no reading: the lookup of every character folded before a comma.
    common: Vec<u32>,
    names: Vec<Box<str>>,
    by_name: HashMap<Box<str>, u32>,
}

impl Sounds {
    const LETTER: &str = "a";
    const DIGIT: &str = "0";
    const COMMON: std::ops::RangeInclusive<u32> = 0x3400..=0x9FFF;
    const NONE: u32 = u32::MAX;

    /// The sounds of the readings' characters: their first syllables (interned once by the
    /// readings table) renumbered after the letter and digit classes.
    fn from_readings(readings: &Readings) -> Self {
        let mut sounds = Sounds {
            ids: Vec::new(),
            common: vec![Self::NONE; Self::COMMON.count()],
            names: Vec::new(),
            by_name: HashMap::new(),
        };
        sounds.intern(Self::LETTER);
        sounds.intern(Self::DIGIT);
        let (firsts, syllables) = readings.first_syllables();
        let renumbered: Vec<u32> = syllables.iter().map(|s| sounds.intern(s)).collect();
        sounds.ids = firsts.map(|(c, s)| (c, renumbered[s as usize])).collect();
        for &(c, id) in &sounds.ids {
            if Self::COMMON.contains(&(c as u32)) {
                sounds.common[(c as u32 - Self::COMMON.start()) as usize] = id;
            }
        }
        sounds
    }

    /// The id of the sound `name`, added when it is new.
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.by_name.insert(name.into(), id);
        id
    }

    /// The sound of a folded character; `None` breaks a run of bigrams.
    pub fn token(&self, c: char) -> Option<u32> {
        if c.is_ascii_alphabetic() {
            Some(0)
        } else if c.is_ascii_digit() {
            Some(1)
        } else if Self::COMMON.contains(&(c as u32)) {
            let id = self.common[(c as u32 - Self::COMMON.start()) as usize];
            (id != Self::NONE).then_some(id)
        } else {
            let at = self.ids.binary_search_by_key(&c, |&(han, _)| han).ok()?;
            Some(self.ids[at].1)
        }
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    fn id(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }
}

pub(super) struct ScoredRule {
    pub(super) id: String,
    pub(super) sounds: Sounds,
    /// Log-likelihood ratio of each promotional sound bigram (spam phrases against ordinary text).
    promo: Promo,
    model: Logistic,
    min_span_chars: usize,
    max_span_chars: usize,
    /// The word model's join gain at which a span's start would cut a word.
    min_join_gain: f64,
}

impl ScoredRule {
    pub(super) fn compile(
        rule: &Rule,
        rules: &RuleSet,
        (bigrams, weights, readings): (&str, &str, &str),
        (min_span_chars, max_span_chars, min_join_gain): (usize, usize, f64),
    ) -> Result<Self, RuleError> {
        let data = |path: &str, key: &str| {
            rules
                .data_str(path)
                .map_err(|e| rule.error(format!("parameter `{key}`: {e}")))
        };
        let readings = Readings::load(rules, readings)
            .map_err(|e| rule.error(format!("parameter `readings`: {e}")))?;
        let sounds = Sounds::from_readings(&readings);
        let promo = Promo::read(&sounds, bigrams, data(bigrams, "bigrams")?)?;
        let model = Logistic::read(weights, data(weights, "weights")?, &FEATURES)?;
        Ok(ScoredRule {
            id: rule.id.clone(),
            sounds,
            promo,
            model,
            min_span_chars,
            max_span_chars,
            min_join_gain,
        })
    }

    /// Every candidate span of `text` the promotional bigrams reach and whose start cuts no word,
    /// with its features.
    pub(super) fn candidates(&self, stage: &Spam, text: &str) -> Vec<SpanCandidate> {
        self.scan(stage, text, false)
    }

    /// The candidates; when `decisive`, only those that can reach the threshold. The language-model
    /// features cost most of the stage's time, so each candidate is first bounded: the features
    /// known so far, the others at their most probable value (`Logistic::can_reach`). A candidate
    /// left out is below the threshold, so it would never be taken, nor outscore the best of its
    /// comma when that one is taken: the stage's edits are those of the full list.
    fn scan(&self, stage: &Spam, text: &str, decisive: bool) -> Vec<SpanCandidate> {
        let mut out = Vec::new();
        // Built for the first comma that needs it: clean text rarely does.
        let mut running: Option<HashMap<(char, char), usize>> = None;
        let may_reach = |features: &[f64], open: &[usize]| {
            !decisive || self.model.can_reach(features, open, &SPAN_FEATURE_RANGES)
        };
        for (at, c) in text.char_indices() {
            if !stage.is_comma(c) {
                continue;
            }
            let comma_end = at + c.len_utf8();
            let starts = self.starts(text, at);
            let mut supported = None;
            for (start, promo) in self.promo_by_start(stage, text, at, &starts) {
                let range = start..comma_end;
                let chars = text[range.clone()]
                    .chars()
                    .filter(|c| !is_invisible(*c))
                    .count();
                let mut features = self.features(stage, text, &range, (c, chars), promo);
                if !may_reach(&features, &[JOIN_GAIN, NGRAM_GAIN, PAGE_SUPPORT]) {
                    continue;
                }
                // An inserted span starts between words of the text around it.
                if join_gain(text, &(start..start)) >= self.min_join_gain {
                    continue;
                }
                let supported = *supported.get_or_insert_with(|| {
                    let running = running.get_or_insert_with(|| running_pairs(stage, text));
                    last_pair(stage, &text[..at])
                        .is_some_and(|pair| running.get(&pair).is_some_and(|n| *n > 0))
                });
                features[PAGE_SUPPORT] = f64::from(u8::from(supported));
                features[JOIN_GAIN] = clamp(JOIN_GAIN, join_gain(text, &range));
                if !may_reach(&features, &[NGRAM_GAIN]) {
                    continue;
                }
                features[NGRAM_GAIN] = clamp(NGRAM_GAIN, deletion_gain(text, &range, chars));
                out.push(SpanCandidate {
                    probability: self.model.probability(&features),
                    range,
                    features,
                });
            }
        }
        out
    }

    /// For each start (nearest the comma first), the mean log-likelihood ratio of the span's sound
    /// bigrams and the share of them that are promotional; starts whose span has no promotional
    /// bigram are left out (the gate that keeps clean text cheap). The window is folded once and
    /// the spans, suffixes of it, are summed as they grow.
    fn promo_by_start(
        &self,
        stage: &Spam,
        text: &str,
        comma: usize,
        starts: &[usize],
    ) -> Vec<(usize, (f64, f64))> {
        let Some(&far) = starts.last() else {
            return Vec::new();
        };
        // (original byte offset, sound) of each folded character of the window.
        let mut tokens: Vec<(usize, Option<u32>)> = Vec::new();
        for (i, c) in text[far..comma].char_indices() {
            let at = far + i;
            stage.folder.fold_each(&text[at..at + c.len_utf8()], |f| {
                tokens.push((at, self.sounds.token(f)))
            });
        }
        let (mut total, mut known, mut count) = (0.0, 0usize, 0usize);
        let mut next = tokens.len();
        let mut out = Vec::new();
        for &start in starts {
            while next > 0 && tokens[next - 1].0 >= start {
                next -= 1;
                let pair = tokens[next].1.zip(tokens.get(next + 1).and_then(|t| t.1));
                if let Some(pair) = pair {
                    count += 1;
                    if let Some(&llr) = self.promo.0.get(&pair) {
                        total += f64::from(llr);
                        known += 1;
                    }
                }
            }
            if known > 0 {
                out.push((start, (total / count as f64, known as f64 / count as f64)));
            }
        }
        out
    }

    /// Remove, for each comma, its most probable span when it reaches the threshold.
    pub(super) fn find(&self, stage: &Spam, text: &str, found: &mut Found) {
        let candidates = self.scan(stage, text, true);
        let mut best: Vec<&SpanCandidate> = Vec::new();
        for candidate in &candidates {
            match best.last_mut() {
                Some(last) if last.range.end == candidate.range.end => {
                    if candidate.probability > last.probability {
                        *last = candidate;
                    }
                }
                _ => best.push(candidate),
            }
        }
        for candidate in best {
            let range = candidate.range.clone();
            if candidate.probability < self.model.threshold || found.overlaps(&range) {
                continue;
            }
            let reason = format!(
                "span scored {:.6} (threshold {:.6}): {}",
                candidate.probability,
                self.model.threshold,
                describe(&FEATURES, &candidate.features)
            );
            found.remove(range, &self.id, reason);
        }
    }

    /// Span starts before the comma at `comma`: over Han characters, letters and digits (invisible
    /// characters stepped over), from `min_span_chars` to `max_span_chars` of them.
    fn starts(&self, text: &str, comma: usize) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut at = comma;
        let mut visible = 0;
        for c in text[..comma].chars().rev() {
            if visible == self.max_span_chars {
                break;
            }
            at -= c.len_utf8();
            // No letter of a span is invisible: the Unicode lookup only for the other characters.
            if !(is_han(c) || c.is_ascii_alphanumeric() || is_fullwidth_alnum(c)) {
                if is_invisible(c) {
                    continue;
                }
                break;
            }
            visible += 1;
            if visible >= self.min_span_chars {
                starts.push(at);
            }
        }
        starts
    }

    /// The features that need no language model nor the page; the others are left at 0.
    fn features(
        &self,
        stage: &Spam,
        text: &str,
        range: &Range<usize>,
        (comma, chars): (char, usize),
        (promo_mean, promo_cover): (f64, f64),
    ) -> [f64; FEATURES.len()] {
        let before = char_before(text, range.start);
        let after = char_after(text, range.end);
        let flag = |b: bool| f64::from(u8::from(b));
        [
            flag(comma == ','),
            flag(before.is_some_and(|b| stage.is_comma(b) && b != comma)),
            flag(after.is_none_or(is_clause_break)),
            flag(before.is_none_or(|b| is_clause_break(b) || stage.is_comma(b))),
            0.0,
            0.0,
            promo_mean,
            promo_cover,
            chars as f64 / 10.0,
            0.0,
        ]
    }
}

/// The last two folded characters of `text` (a phrase's head word: Chinese phrases end in it).
fn last_pair(stage: &Spam, text: &str) -> Option<(char, char)> {
    // A few characters back, so that invisible ones folded away still leave two.
    let from = text.char_indices().rev().nth(7).map_or(0, |(i, _)| i);
    let (mut first, mut second) = (None, None);
    stage
        .folder
        .fold_each(&text[from..], |f| (first, second) = (second, Some(f)));
    first.zip(second)
}

/// How often each pair of folded characters of the page runs on into the text: followed by
/// anything but a comma. A phrase whose head word the page uses in its sentences is the page's
/// subject (an article on the lottery), not an injection, which stands before its comma.
fn running_pairs(stage: &Spam, text: &str) -> HashMap<(char, char), usize> {
    let mut counts: HashMap<(char, char), usize> = HashMap::new();
    let (mut first, mut second): (Option<char>, Option<char>) = (None, None);
    let mut count = |pair: Option<(char, char)>| {
        if let Some(pair) = pair {
            *counts.entry(pair).or_default() += 1;
        }
    };
    stage.folder.fold_each(text, |f| {
        if !stage.is_comma(f) {
            count(first.zip(second));
        }
        (first, second) = (second, Some(f));
    });
    count(first.zip(second));
    counts
}

/// How much more probable, per removed character, the character n-gram model finds the line
/// without the span: an inserted phrase costs more than its length in ordinary text would.
fn deletion_gain(text: &str, range: &Range<usize>, chars: usize) -> f64 {
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let left_start = text[line_start..range.start]
        .char_indices()
        .rev()
        .nth(LEFT_CONTEXT - 1)
        .map_or(line_start, |(i, _)| line_start + i);
    let left = &text[left_start..range.start];
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    let right_end = text[range.end..line_end]
        .char_indices()
        .nth(RIGHT_CONTEXT)
        .map_or(line_end, |(i, _)| range.end + i);
    let right = &text[range.end..right_end];
    let left = if left_start == line_start {
        Context::line(left)
    } else {
        Context::open(left)
    };
    let right = if right_end == line_end {
        Context::line(right)
    } else {
        Context::open(right)
    };
    let scores = ngrams().fill_scores(&left, &["", &text[range.clone()]], &right);
    (scores[0] - scores[1]) / chars.max(1) as f64
}

/// The features that speak for a span or line, for the report: the flags that are set and the
/// measured values (not the length features).
pub(super) fn describe(names: &[&str], features: &[f64]) -> String {
    let mut parts = Vec::new();
    for (name, value) in names.iter().zip(features) {
        match *name {
            "ascii_comma" | "mixed_commas" | "stray_comma" | "whole_clause" if *value > 0.0 => {
                parts.push((*name).replace('_', " "))
            }
            "chars" | "groups" | "ascii_comma" | "mixed_commas" | "stray_comma"
            | "whole_clause" => {}
            _ => parts.push(format!("{} {value:.2}", name.replace('_', " "))),
        }
    }
    parts.join(", ")
}

/// Promotional sound bigrams with their log-likelihood ratio (spam phrases against ordinary text).
pub(super) struct Promo(FxHashMap<(u32, u32), f32>);

impl Promo {
    /// `syllable syllable<TAB>log-likelihood ratio` lines.
    pub(super) fn read(sounds: &Sounds, file: &str, text: &str) -> Result<Self, RuleError> {
        const FORMAT: &str = "sound sound<TAB>log-likelihood ratio";
        table::entries(file, text)
            .map(|entry| {
                let (pair, llr) = entry.split_once('\t', FORMAT)?;
                let (a, b) = pair
                    .split_once(' ')
                    .ok_or_else(|| entry.malformed(FORMAT))?;
                let llr: f32 = llr.parse().map_err(|_| entry.malformed(FORMAT))?;
                let id = |s: &str| {
                    sounds
                        .id(s)
                        .ok_or_else(|| entry.error(format!("`{s}` is no reading of the table")))
                };
                Ok(((id(a)?, id(b)?), llr))
            })
            .collect::<Result<_, _>>()
            .map(Promo)
    }

    /// The mean log-likelihood ratio of the sound bigrams of `tokens` (`None` breaks a run) and
    /// the share of them that are promotional; `None` when there is no bigram.
    pub(super) fn score(&self, tokens: &[Option<u32>]) -> Option<(f64, f64)> {
        let (mut total, mut known, mut count) = (0.0, 0usize, 0usize);
        for pair in tokens.windows(2) {
            if let [Some(a), Some(b)] = pair {
                count += 1;
                if let Some(&llr) = self.0.get(&(*a, *b)) {
                    total += f64::from(llr);
                    known += 1;
                }
            }
        }
        (count > 0).then(|| (total / count as f64, known as f64 / count as f64))
    }
}

/// A logistic model: a weight per feature, a bias, and the probability at which it decides.
pub(super) struct Logistic {
    weights: Vec<f64>,
    bias: f64,
    pub(super) threshold: f64,
}

impl Logistic {
    /// The weights file: `feature<TAB>weight` for every feature of `names`, `bias` and `threshold`.
    pub(super) fn read(file: &str, text: &str, names: &[&str]) -> Result<Self, RuleError> {
        const FORMAT: &str = "name<TAB>number";
        let mut values: HashMap<&str, f64> = HashMap::new();
        for entry in table::entries(file, text) {
            let (name, value) = entry.split_once('\t', FORMAT)?;
            let value: f64 = value.parse().map_err(|_| entry.malformed(FORMAT))?;
            if !names.contains(&name) && name != "bias" && name != "threshold" {
                return Err(entry.error(format!("unknown feature `{name}`")));
            }
            values.insert(name, value);
        }
        let get = |name: &str| {
            values
                .get(name)
                .copied()
                .ok_or_else(|| RuleError::new(file, 0, format!("no weight for `{name}`")))
        };
        Ok(Logistic {
            weights: names.iter().map(|n| get(n)).collect::<Result<_, _>>()?,
            bias: get("bias")?,
            threshold: get("threshold")?,
        })
    }

    /// Whether a candidate can reach the threshold: its probability with the `open` features (not
    /// measured yet) at whichever end of their `ranges` scores higher. Floating-point sums and
    /// products are monotone, so this never says no to a candidate that reaches it.
    pub(super) fn can_reach(
        &self,
        features: &[f64],
        open: &[usize],
        ranges: &[(f64, f64)],
    ) -> bool {
        let best = features.iter().enumerate().map(|(i, &value)| {
            if !open.contains(&i) {
                value
            } else if self.weights[i] >= 0.0 {
                ranges[i].1
            } else {
                ranges[i].0
            }
        });
        self.of(best) >= self.threshold
    }

    pub(super) fn probability(&self, features: &[f64]) -> f64 {
        self.of(features.iter().copied())
    }

    fn of(&self, features: impl Iterator<Item = f64>) -> f64 {
        let logit: f64 = self.bias + features.zip(&self.weights).map(|(f, w)| f * w).sum::<f64>();
        1.0 / (1.0 + (-logit).exp())
    }
}

impl Spam {
    /// The share of the sound bigrams of `text` that the scored rule's phrase model finds
    /// promotional; `None` without the rule or a bigram.
    pub(super) fn promo_cover(&self, text: &str) -> Option<f64> {
        let rule = self.scored.as_ref()?;
        let mut tokens = Vec::new();
        self.folder
            .fold_each(text, |f| tokens.push(rule.sounds.token(f)));
        rule.promo.score(&tokens).map(|(_, cover)| cover)
    }

    /// The scored rule's candidate spans of `text` with their features (for training the model).
    #[doc(hidden)]
    pub fn span_candidates(&self, text: &str) -> Vec<SpanCandidate> {
        self.scored
            .as_ref()
            .map_or_else(Vec::new, |rule| rule.candidates(self, text))
    }

    /// The sound of each folded character of `text` by the scored rule's readings, as names (for
    /// deriving the promotional bigrams); `None` breaks a run.
    #[doc(hidden)]
    pub fn sounds_of(&self, text: &str) -> Vec<Option<String>> {
        let Some(rule) = &self.scored else {
            return Vec::new();
        };
        let mut out = Vec::new();
        self.folder.fold_each(text, |f| {
            out.push(
                rule.sounds
                    .token(f)
                    .map(|t| rule.sounds.name(t).to_string()),
            )
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_name_every_feature() {
        let mut text: String = FEATURES.iter().map(|f| format!("{f}\t0.5\n")).collect();
        text.push_str("bias\t-1\n");
        assert!(
            Logistic::read("w", &text, &FEATURES).is_err(),
            "threshold missing"
        );
        text.push_str("threshold\t0.9\n");
        let model = Logistic::read("w", &text, &FEATURES).unwrap();
        assert_eq!(
            (model.weights[3], model.bias, model.threshold),
            (0.5, -1.0, 0.9)
        );
        assert!(Logistic::read("w", &format!("{text}colour\t1\n"), &FEATURES).is_err());
    }

    #[test]
    fn a_head_word_the_page_runs_on_supports_the_span() {
        let stage = Spam::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let head = last_pair(&stage, "香港六合彩").unwrap();
        assert_eq!(head, ('合', '彩'));
        // `六合彩的` runs on; `六合彩,` stops at its comma and does not count.
        let news = running_pairs(&stage, "香港六合彩,每周开奖三次,六合彩的收益用于公益。");
        assert_eq!(news.get(&head), Some(&1));
        let injected = running_pairs(&stage, "你九州娛樂,的産品有粉絲。九州娛樂,");
        let head = last_pair(&stage, "你九州娛\u{200B}樂").unwrap();
        assert_eq!(head, ('娱', '乐'));
        assert_eq!(injected.get(&head), None);
    }

    #[test]
    fn homophones_share_their_sound() {
        let readings = Readings::parse("r", "博\tbó\n菠\tbō\n彩\tcǎi\n菜\tcài\n").unwrap();
        let sounds = Sounds::from_readings(&readings);
        let bo = sounds.token('博');
        assert_eq!(sounds.token('菠'), bo);
        assert_eq!(sounds.token('彩'), sounds.token('菜'));
        assert_eq!(sounds.token('a'), sounds.token('V'));
        assert_eq!(sounds.token('。'), None);
    }
}
