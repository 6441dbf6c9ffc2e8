//! `scored-span`: a span that ends at an injector's comma, judged by one logistic model over evidence
//! that needs no list: the punctuation around it, how much better the sentence reads without it (the
//! word model's join gain and the character n-gram model's deletion gain), and how promotional it
//! sounds (bigrams of syllables, so homophones such as 菠菜 for 博彩 share their n-grams, scored as a
//! log-likelihood ratio of spam phrases against ordinary text). The weights and the promotional
//! bigrams are data files derived by `sluice-eval`'s `train_spam_model` from the train side of the
//! development split.

use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::pinyin::Readings;
use crate::text::chars::{is_cjk_punct, is_han, is_invisible};
use crate::text::lm::{Context, NgramModel};

use super::evidence::{
    char_after, char_before, is_clause_break, is_fullwidth_alnum, is_inline_space, join_gain,
    join_gain_with,
};
use super::model::{Logistic, Promo, Sounds, Tally, describe};
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
    /// The model's features of the span, in the order of [`FEATURES`].
    pub features: [f64; FEATURES.len()],
    /// The model's probability that the span is injected.
    pub probability: f64,
}

/// The spans of one comma ([`ScoredRule::spans`]), kept from comma to comma so that the walk
/// allocates nothing.
#[derive(Default)]
struct Spans {
    /// (start, letters, (promo_mean, promo_cover)) of each span the promotional bigrams reach.
    found: Vec<(usize, usize, (f64, f64))>,
    /// The sounds of the folded characters of one character.
    folded: Vec<Option<u32>>,
}

pub(super) struct ScoredRule {
    pub(super) id: String,
    pub(super) sounds: Sounds,
    /// The distinct first bytes of the UTF-8 forms of the stage's commas: the walk to the commas
    /// jumps from one such byte to the next ([`comma_starts`]), and decodes only the characters
    /// that start so.
    comma_starts: Vec<u8>,
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
        (rules, stage): (&RuleSet, &Spam),
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
        let mut comma_starts: Vec<u8> = stage
            .commas
            .iter()
            .map(|comma| comma.encode_utf8(&mut [0; 4]).as_bytes()[0])
            .collect();
        comma_starts.sort_unstable();
        comma_starts.dedup();
        Ok(ScoredRule {
            id: rule.id.clone(),
            sounds,
            comma_starts,
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

    /// The candidates; when `decisive`, only those that reach the threshold. The language-model
    /// features cost most of the stage's time, so each candidate is first bounded: the features
    /// known so far, the others at their most probable value (`Logistic::can_reach`): the word
    /// model's join gain (which leaves fewest), the page's support, the character n-gram gain, and
    /// whether the span's start cuts a word only for one that reaches it. A
    /// candidate left out is below the threshold, so it would never be taken, nor outscore the
    /// best of its comma when that one is taken: the stage's edits are those of the full list.
    fn scan(&self, stage: &Spam, text: &str, decisive: bool) -> Vec<SpanCandidate> {
        let mut out = Vec::new();
        // Built for the first comma that needs it: clean text rarely does.
        let mut running: Option<FxHashMap<(char, char), usize>> = None;
        let may_reach = |features: &[f64], open: &[usize]| {
            !decisive || self.model.can_reach(features, open, &SPAN_FEATURE_RANGES)
        };
        let mut spans = Spans::default();
        // A first byte of a character's UTF-8 form is never inside another character.
        for at in comma_starts(&self.comma_starts, text.as_bytes()) {
            let Some(c) = text[at..].chars().next().filter(|c| stage.is_comma(*c)) else {
                continue;
            };
            let comma_end = at + c.len_utf8();
            self.spans(stage, text, at, &mut spans);
            let mut supported = None;
            // The Han characters after the comma, scored once for all its spans.
            let mut right_score = None;
            for &(start, letters, promo) in &spans.found {
                let range = start..comma_end;
                // The span's letters and its comma.
                let chars = letters + 1;
                let mut features = self.features(stage, text, &range, (c, chars), promo);
                if !may_reach(&features, &[JOIN_GAIN, NGRAM_GAIN, PAGE_SUPPORT]) {
                    continue;
                }
                let model = &stage.resources.model;
                let gain = join_gain_with(model, text, &range, |right| {
                    *right_score.get_or_insert_with(|| model.score(right))
                });
                features[JOIN_GAIN] = clamp(JOIN_GAIN, gain);
                if !may_reach(&features, &[NGRAM_GAIN, PAGE_SUPPORT]) {
                    continue;
                }
                let supported = *supported.get_or_insert_with(|| {
                    let running = running.get_or_insert_with(|| running_pairs(stage, text));
                    last_pair(stage, &text[..at])
                        .is_some_and(|pair| running.get(&pair).is_some_and(|n| *n > 0))
                });
                features[PAGE_SUPPORT] = f64::from(u8::from(supported));
                if !may_reach(&features, &[NGRAM_GAIN]) {
                    continue;
                }
                features[NGRAM_GAIN] = clamp(
                    NGRAM_GAIN,
                    deletion_gain(&stage.resources.ngrams, text, &range, chars),
                );
                if !may_reach(&features, &[]) {
                    continue;
                }
                // An inserted span starts between words of the text around it.
                if join_gain(&stage.resources.model, text, &(start..start)) >= self.min_join_gain {
                    continue;
                }
                out.push(SpanCandidate {
                    probability: self.model.probability(&features),
                    range,
                    features,
                });
            }
        }
        out
    }

    /// The spans before the comma at `comma` that the promotional bigrams reach, into
    /// `spans.found`, nearest the comma first: each start, its letters, and the mean
    /// log-likelihood ratio of the span's sound bigrams with the share of them that are
    /// promotional. A span runs over Han characters, letters and digits (invisible characters
    /// stepped over), from `min_span_chars` to `max_span_chars` of them; a span with no
    /// promotional bigram is left out (the gate that keeps clean text cheap). One walk back from
    /// the comma folds each character once and sums the bigrams as the span grows.
    fn spans(&self, stage: &Spam, text: &str, comma: usize, spans: &mut Spans) {
        spans.found.clear();
        let (mut total, mut known, mut count) = (0.0, 0usize, 0usize);
        // The sound of the folded character after the current one, once there is one.
        let mut next: Option<Option<u32>> = None;
        let (mut at, mut letters) = (comma, 0);
        for c in text[..comma].chars().rev() {
            if letters == self.max_span_chars {
                break;
            }
            at -= c.len_utf8();
            // No letter of a span is invisible, nor ASCII or CJK punctuation (which end most
            // spans): the Unicode lookup only for the other characters.
            if !(is_han(c) || c.is_ascii_alphanumeric() || is_fullwidth_alnum(c)) {
                if !c.is_ascii() && !is_cjk_punct(c) && is_invisible(c) {
                    continue;
                }
                break;
            }
            spans.folded.clear();
            let character = &text[at..at + c.len_utf8()];
            stage.fold_chars(character, |_, _, f| spans.folded.push(self.sounds.token(f)));
            for &sound in spans.folded.iter().rev() {
                if let Some(pair) = next.and_then(|after| sound.zip(after)) {
                    count += 1;
                    if let Some(llr) = self.promo.get(pair) {
                        total += f64::from(llr);
                        known += 1;
                    }
                }
                next = Some(sound);
            }
            letters += 1;
            if letters >= self.min_span_chars && known > 0 {
                let promo = (total / count as f64, known as f64 / count as f64);
                spans.found.push((at, letters, promo));
            }
        }
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
            if candidate.probability < self.model.threshold {
                continue;
            }
            // A brand code glued before the phrase (ＡＧ, DG) goes with it, as with the listed and
            // context rules: the model scores the bare phrase, whose shorter span sounds more
            // promotional.
            let range = stage.with_brand_code(text, candidate.range.clone());
            if found.overlaps(&range) {
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

/// The offsets of the bytes of `text` that are one of `starts` (the commas' first bytes), by
/// memchr for up to three of them (the default commas have two).
fn comma_starts<'t>(starts: &'t [u8], text: &'t [u8]) -> Box<dyn Iterator<Item = usize> + 't> {
    match *starts {
        [a] => Box::new(memchr::memchr_iter(a, text)),
        [a, b] => Box::new(memchr::memchr2_iter(a, b, text)),
        [a, b, c] => Box::new(memchr::memchr3_iter(a, b, c, text)),
        _ => Box::new(
            text.iter()
                .enumerate()
                .filter(|(_, b)| starts.contains(b))
                .map(|(i, _)| i),
        ),
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
fn running_pairs(stage: &Spam, text: &str) -> FxHashMap<(char, char), usize> {
    // About one pair per character of a Chinese page: sized once, not grown.
    let mut counts: FxHashMap<(char, char), usize> =
        FxHashMap::with_capacity_and_hasher(text.len() / 4, Default::default());
    let (mut first, mut second): (Option<char>, Option<char>) = (None, None);
    let mut count = |pair: Option<(char, char)>| {
        if let Some(pair) = pair {
            *counts.entry(pair).or_default() += 1;
        }
    };
    stage.fold_chars(text, |_, _, f| {
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
fn deletion_gain(ngrams: &NgramModel, text: &str, range: &Range<usize>, chars: usize) -> f64 {
    // A line's indentation is not context: the output's layout trims it.
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let line_start = range.start
        - text[line_start..range.start]
            .trim_start_matches(is_inline_space)
            .len();
    let left_start = text[line_start..range.start]
        .char_indices()
        .rev()
        .nth(LEFT_CONTEXT - 1)
        .map_or(line_start, |(i, _)| line_start + i);
    let left = &text[left_start..range.start];
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    let line_end = range.end
        + text[range.end..line_end]
            .trim_end_matches(is_inline_space)
            .len();
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
    let scores = ngrams.fill_scores(&left, &["", &text[range.clone()]], &right);
    (scores[0] - scores[1]) / chars.max(1) as f64
}

impl Spam {
    /// The share of the sound bigrams of `text` that the scored rule's phrase model finds
    /// promotional; `None` without the rule or a bigram (what `stuffing-line` measures of an
    /// item; public for measuring it on ordinary text).
    #[doc(hidden)]
    pub fn promo_cover(&self, text: &str) -> Option<f64> {
        let rule = self.scored.as_ref()?;
        let mut tally = Tally::default();
        self.fold_chars(text, |_, _, f| {
            tally.push(&rule.promo, rule.sounds.token(f))
        });
        tally.score().map(|(_, cover)| cover)
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
    fn the_bound_drops_only_candidates_below_the_threshold() {
        let stage = Spam::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let rule = stage.scored.as_ref().unwrap();
        let texts = [
            include_str!("../../../fixtures/seeds/000.txt"),
            include_str!("../../../fixtures/seeds/001.txt"),
            include_str!("../../../fixtures/seeds/002.txt"),
            include_str!("../../../fixtures/seeds/003.txt"),
            include_str!("../../../fixtures/seeds/004.txt"),
            "社群電商的頭巾,旧州娱乐,也還是傳統電商。",
            "香港六合彩,每周开奖三次,六合彩的收益用于公益。",
            "他沉迷赌博,输光了全部积蓄。",
        ];
        let key = |c: &SpanCandidate| (c.range.clone(), c.features.map(f64::to_bits));
        let (mut all_count, mut kept_count, mut reaching_count) = (0, 0, 0);
        for text in texts {
            let all: Vec<_> = rule.scan(&stage, text, false).iter().map(key).collect();
            let kept = rule.scan(&stage, text, true);
            let reaching = rule
                .scan(&stage, text, false)
                .into_iter()
                .filter(|c| c.probability >= rule.model.threshold);
            for candidate in reaching {
                reaching_count += 1;
                assert!(kept.iter().any(|k| key(k) == key(&candidate)), "{text}");
            }
            assert!(kept.iter().all(|k| all.contains(&key(k))), "{text}");
            (all_count, kept_count) = (all_count + all.len(), kept_count + kept.len());
        }
        assert!(reaching_count > 0 && kept_count < all_count);
    }

    /// The walk back from a comma skips the Unicode lookup for ASCII and CJK punctuation: none of
    /// them is invisible.
    #[test]
    fn no_ascii_or_cjk_punctuation_is_invisible() {
        let skipped = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| c.is_ascii() || is_cjk_punct(*c));
        assert!(skipped.clone().count() > 128);
        assert!(skipped.filter(|c| is_invisible(*c)).count() == 0);
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
}
