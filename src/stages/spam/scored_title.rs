//! `scored-title`: a hijacked first line judged with no word list. The line's keyword groups are
//! scored by a phrase model of the same kind as `scored-span`'s (sound bigrams, a log-likelihood
//! ratio of hijacked titles against ordinary text, so unseen words that share their syllable pairs
//! score as promotional), and compared with the page: a real title shares its words with the body,
//! an injected one does not. One logistic model combines the evidence; its weights, threshold and
//! bigrams are data files derived by `sluice-eval`'s `train_spam_model` from the train side of the
//! development split.

use std::collections::HashSet;
use std::ops::Range;

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::text::lines::with_newline;

use super::model::{Logistic, Promo, Sounds, Tally, describe};
use super::title::TitleLines;
use super::{Found, Spam};

/// The title model's features, in the order of [`TitleCandidate::features`] and of its weights file.
pub const TITLE_FEATURES: [&str; 4] = ["promo_mean", "promo_cover", "body_share", "groups"];

/// The index of `body_share` in [`TITLE_FEATURES`], and the range of each feature it may take
/// before it is measured (only `body_share`'s is read).
const BODY_SHARE: usize = 2;
const SHARE_RANGE: [(f64, f64); TITLE_FEATURES.len()] =
    [(0.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.0, 0.0)];

/// Characters of the body after the line compared with it: enough for a page's first paragraphs,
/// and it bounds the cost on a long page.
const BODY_CHARS: usize = 4000;

/// A first line made of keyword groups, with the title model's features and probability.
#[derive(Debug, Clone)]
pub struct TitleCandidate {
    /// The line with its line break, in bytes of the text.
    pub range: Range<usize>,
    /// The title model's features of the line, in the order of [`TITLE_FEATURES`].
    pub features: [f64; TITLE_FEATURES.len()],
    /// The title model's probability that the line is a hijacked title.
    pub probability: f64,
}

pub(super) struct ScoredTitle {
    id: String,
    separators: Vec<char>,
    min_groups: usize,
    /// Log-likelihood ratio of each sound bigram of hijacked titles against ordinary text.
    promo: Promo,
    model: Logistic,
}

impl ScoredTitle {
    /// Compiled after `scored-span`, whose sound table it shares.
    pub(super) fn compile(
        rule: &Rule,
        rules: &RuleSet,
        stage: &Spam,
        (bigrams, weights): (&str, &str),
        (separators, min_groups): (&str, usize),
    ) -> Result<Self, RuleError> {
        let Some(scored) = &stage.scored else {
            return Err(rule.error(
                "a scored-title rule needs the scored-span rule (its sounds) declared before it",
            ));
        };
        let data = |path: &str, key: &str| {
            rules
                .data_str(path)
                .map_err(|e| rule.error(format!("parameter `{key}`: {e}")))
        };
        Ok(ScoredTitle {
            id: rule.id.clone(),
            separators: separators.chars().collect(),
            min_groups,
            promo: Promo::read(&scored.sounds, bigrams, data(bigrams, "bigrams")?)?,
            model: Logistic::read(weights, data(weights, "weights")?, &TITLE_FEATURES)?,
        })
    }

    /// The line a hijacked title would be ([`TitleLines`]), with its features; when `decisive`,
    /// only when it can reach the threshold (the page's share of its pairs, which folds the first
    /// 4,000 characters of the body, is measured only then).
    pub(super) fn candidate<'a>(
        &'a self,
        stage: &Spam,
        lines: &mut TitleLines<'a>,
        text: &str,
        decisive: bool,
    ) -> Option<TitleCandidate> {
        let scored = stage.scored.as_ref()?;
        let line = lines.get(&self.separators, self.min_groups)?;
        let mut tally = Tally::default();
        for f in line.folded.chars() {
            tally.push(&self.promo, scored.sounds.token(f));
        }
        let (promo_mean, promo_cover) = tally.score().unwrap_or((0.0, 0.0));
        let mut features = [
            promo_mean,
            promo_cover,
            0.0,
            line.groups.min(20) as f64 / 10.0,
        ];
        if decisive && !self.model.can_reach(&features, &[BODY_SHARE], &SHARE_RANGE) {
            return None;
        }
        let pairs = sounded_pairs(&scored.sounds, &line.folded);
        features[BODY_SHARE] = body_share(stage, &text[line.range.end..], &pairs);
        Some(TitleCandidate {
            probability: self.model.probability(&features),
            range: with_newline(text, line.range.clone()),
            features,
        })
    }

    pub(super) fn find<'a>(
        &'a self,
        stage: &Spam,
        lines: &mut TitleLines<'a>,
        text: &str,
        found: &mut Found,
    ) {
        // A line another rule (title-hijack) took is not scored: it could not be removed again.
        if lines
            .get(&self.separators, self.min_groups)
            .is_none_or(|line| found.overlaps(&with_newline(text, line.range.clone())))
        {
            return;
        }
        let Some(candidate) = self.candidate(stage, lines, text, true) else {
            return;
        };
        if candidate.probability >= self.model.threshold {
            let reason = format!(
                "first line of keyword groups scored {:.6} (threshold {:.6}): {}",
                candidate.probability,
                self.model.threshold,
                describe(&TITLE_FEATURES, &candidate.features)
            );
            found.remove(candidate.range, &self.id, reason);
        }
    }
}

/// The pairs of folded characters of the folded `line` that both have a sound (letters):
/// measured only for a line that may reach the threshold.
fn sounded_pairs(sounds: &Sounds, line: &str) -> Vec<(char, char)> {
    let mut pairs = Vec::new();
    let mut previous = None;
    for f in line.chars() {
        let current = sounds.token(f).map(|_| f);
        if let Some(pair) = previous.zip(current) {
            pairs.push(pair);
        }
        previous = current;
    }
    pairs
}

/// The share of the line's distinct character pairs (folded letters) that the body uses too: a
/// page's own title repeats its subject, a hijacked one is about something else.
fn body_share(stage: &Spam, body: &str, pairs: &[(char, char)]) -> f64 {
    let line: HashSet<(char, char)> = pairs.iter().copied().collect();
    if line.is_empty() {
        return 0.0;
    }
    let end = body
        .char_indices()
        .nth(BODY_CHARS)
        .map_or(body.len(), |(i, _)| i);
    let mut seen: HashSet<(char, char)> = HashSet::new();
    let mut previous: Option<char> = None;
    stage.fold_chars(&body[..end], |_, _, f| {
        if let Some(p) = previous
            && line.contains(&(p, f))
        {
            seen.insert((p, f));
        }
        previous = Some(f);
    });
    seen.len() as f64 / line.len() as f64
}

impl Spam {
    /// The scored title rule's candidate line of `text` with its features (for training the model).
    #[doc(hidden)]
    pub fn title_candidate(&self, text: &str) -> Option<TitleCandidate> {
        let rule = self.scored_title.as_ref()?;
        rule.candidate(self, &mut TitleLines::new(self, text), text, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_repeats_the_title_shares_its_pairs() {
        let stage = Spam::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let pairs = [('国', '产'), ('手', '机'), ('频', '道')];
        let share = |body: &str| body_share(&stage, body, &pairs);
        assert_eq!(share("國產手機品牌今年進步明顯。"), 2.0 / 3.0);
        assert_eq!(share("微商,你應該這樣活下去"), 0.0);
        assert_eq!(body_share(&stage, "国产", &[]), 0.0);
    }
}
