//! How a candidate reads: the language model's fitness, the evidence that a run is garbled, the
//! search budget.

use std::ops::Range;

use crate::text::chars::is_han;

use super::codec::{Chain, Guess};
use super::detect::Suspicion;
use super::units::{
    clauses, is_list_symbol, letter_touches_han, overlaps, reads_as_chinese, separators,
};
use super::{Budget, ClauseRepair, Mojibake, Redecode};

impl Mojibake {
    /// Log-probability plus the per-character bonus: higher is more like Chinese text.
    pub(super) fn fitness(&self, text: &str) -> f64 {
        self.log_likelihood(text) + self.char_bonus * text.chars().count() as f64
    }

    /// [`Self::fitness`] for a search, counted against the document's budget: `-inf` once it is
    /// spent.
    pub(super) fn budgeted_fitness(&self, budget: &Budget, text: &str) -> f64 {
        match budget.scorings_left.get() {
            0 => f64::NEG_INFINITY,
            left => {
                budget.scorings_left.set(left - 1);
                self.fitness(text)
            }
        }
    }

    pub(super) fn fitness_per_char(&self, text: &str) -> f64 {
        self.log_likelihood(text) / text.chars().count().max(1) as f64
    }

    /// The word model, the character bigram model and the script-mix cost together.
    pub(super) fn log_likelihood(&self, text: &str) -> f64 {
        self.lm.score(text) + self.bigram_weight * self.lm.bigram_score(text)
            - self.script.mix_cost(text)
            - self.glyph_cost * self.detector.non_standard_han(text) as f64
    }

    /// Re-decodings of the clauses of a line by the one chain that gains most over the line. The
    /// chain must win by `min_gain_per_char` on at least one suspect clause; the line's other
    /// clauses follow it whenever it improves them at all (a short clause proves little alone).
    pub(super) fn redecode_line(
        &self,
        rule: &Redecode,
        line: &str,
        done: &[Range<usize>],
        budget: &Budget,
    ) -> Vec<(Range<usize>, String, String)> {
        let candidates: Vec<(Range<usize>, f64)> = clauses(line)
            .into_iter()
            .filter(|c| !overlaps(done, c) && !line[c.clone()].is_ascii())
            .map(|c| {
                let before = self.fitness_per_char(&line[c.clone()]);
                (c, before)
            })
            .collect();
        let mut best: Option<(f64, &Chain, Vec<ClauseRepair>)> = None;
        for chain in &rule.chains {
            let mut total = 0.0;
            let mut proven = false;
            let mut repairs = Vec::new();
            for (clause, before) in &candidates {
                let text = &line[clause.clone()];
                let score = |t: &str| self.budgeted_fitness(budget, t);
                let (left, right) = separators(line, clause);
                let guess = Guess {
                    margin: rule.whole_character_margin,
                    charge: &|n| budget.charge_ngrams(n),
                };
                let context = (left, right);
                let Some(decoded) = chain.undo(text, &rule.tables, &score, context, guess) else {
                    continue;
                };
                let garbled = self.detector.strong_count(text);
                let left_over = self.detector.strong_count(&decoded);
                if decoded.is_empty()
                    || decoded == text
                    || decoded.contains('\u{FFFD}')
                    || left_over * 3 > garbled
                    || !reads_as_chinese(&decoded)
                {
                    continue;
                }
                // Latin-1 letters and symbols are garbling only where their sequence is
                // implausible as text; elsewhere a clause may follow the line's chain only when its
                // re-decoding leaves no Latin letter against a Han character (`NESTLÉ®` is no
                // `NESTL僧`, but `ÔÂ` is `月`).
                let latin_evidence = chain.read_as_single_byte() && self.is_latin_mojibake(text);
                if chain.read_as_single_byte() && !latin_evidence && letter_touches_han(&decoded) {
                    continue;
                }
                let gain = self.fitness_per_char(&decoded) - before;
                if gain <= 0.0 {
                    continue;
                }
                proven |= (latin_evidence || !chain.read_as_single_byte())
                    && self.proves_garbling(rule, text, garbled, &decoded)
                    && gain >= rule.min_gain_per_char
                    && text.chars().count() >= rule.min_chars;
                total += gain * text.chars().count() as f64;
                repairs.push((clause.clone(), decoded, gain));
            }
            if proven && best.as_ref().is_none_or(|b| total > b.0) {
                best = Some((total, chain, repairs));
            }
        }
        let Some((_, chain, repairs)) = best.filter(|_| !budget.spent()) else {
            return Vec::new();
        };
        repairs
            .into_iter()
            .map(|(clause, text, gain)| {
                let reason = format!("decoded as {} (+{gain:.1}/char)", chain.name);
                (clause, text, reason)
            })
            .collect()
    }

    /// Whether Latin-1 letters and symbols in `text` are garbling rather than Latin text: they form
    /// a sequence implausible in any script (see [`Utf8Fixer::is_bad`]). Without the code-page rule
    /// there is no such judge, and any strong suspect counts.
    pub(super) fn is_latin_mojibake(&self, text: &str) -> bool {
        match &self.codepage {
            Some((_, fixer)) => fixer.is_bad(text),
            None => self.detector.strong_count(text) > 0,
        }
    }

    /// Whether a clause and its re-decoding are evidence enough to take a chain for the line: the
    /// clause holds a character no text has (U+FFFD, private use, a C1 control) or `min_evidence`
    /// rare characters (fewer, even ones no dictionary word has, are names and rare words: `腶脩`,
    /// `陳甦`), and the
    /// re-decoding makes as many Han characters (one is a Latin word's accented letter and symbol
    /// read as GBK: `NESTLÉ®`, `5×£35`).
    pub(super) fn proves_garbling(
        &self,
        rule: &Redecode,
        text: &str,
        garbled: usize,
        decoded: &str,
    ) -> bool {
        let hard = self
            .detector
            .classify(text)
            .iter()
            .any(|c| c.2 == Suspicion::Strong && !is_han(c.1) && self.detector.is_hard(c.1));
        let han = decoded.chars().filter(|&c| is_han(c)).count();
        (hard && garbled > 0 || garbled >= rule.min_evidence) && han >= rule.min_evidence.min(2)
    }

    /// Whether every strong suspect among the characters `range` of a classified line reads as
    /// written text rather than as the trace of garbling, so that the searches (milliseconds) are
    /// spared: an ASCII character the character bigrams find ordinary between its neighbours (`A股`,
    /// `T恤`, `C语言`); a rare Han character that a dictionary word of two or more characters holds
    /// with its neighbours (`桎梏`, `邛崃`); a symbol between characters that are not suspect at all
    /// (the bullets and list numbers `●播客`, `②根据`). Garbling makes none of these: its characters
    /// follow each other at random, so its suspects come in clusters.
    pub(super) fn reads_as_written(
        &self,
        classified: &[(usize, char, Suspicion)],
        range: Range<usize>,
        line: &str,
    ) -> bool {
        let char_at = |i: Option<usize>| i.and_then(|i| classified.get(i)).map(|c| c.1);
        range
            .filter(|&i| classified[i].2 == Suspicion::Strong)
            .all(|i| {
                let (at, c, _) = classified[i];
                if c.is_ascii() {
                    self.ordinary_between(char_at(i.checked_sub(1)), c, char_at(Some(i + 1)))
                } else if is_han(c) {
                    self.in_a_word(&line[..at], c, &line[at + c.len_utf8()..])
                } else if is_list_symbol(c) {
                    let near = i.saturating_sub(2)..(i + 3).min(classified.len());
                    near.filter(|&j| j != i)
                        .all(|j| classified[j].2 == Suspicion::None)
                } else {
                    false
                }
            })
    }

    /// Whether `c` follows `prev` and precedes `next` as often as text does (mean bigram transition).
    pub(super) fn ordinary_between(&self, prev: Option<char>, c: char, next: Option<char>) -> bool {
        let (Some(prev), Some(next)) = (prev, next) else {
            return false;
        };
        let pair = |a: char, b: char| {
            self.lm.bigram_score(&format!("{a}{b}")) - self.lm.bigram_score(&a.to_string())
        };
        (pair(prev, c) + pair(c, next)) / 2.0 >= self.ordinary_transition
    }

    /// Whether the best segmentation of `c` with up to three characters either side puts it in a
    /// word of two or more characters.
    pub(super) fn in_a_word(&self, before: &str, c: char, after: &str) -> bool {
        let left: Vec<char> = before.chars().rev().take(3).collect();
        let window: String = left
            .iter()
            .rev()
            .copied()
            .chain([c])
            .chain(after.chars().take(3))
            .collect();
        self.lm
            .words(&window)
            .into_iter()
            .any(|w| w.contains(&left.len()) && w.len() >= 2)
    }

    /// The share of a line's non-ASCII characters that are strong suspects.
    pub(super) fn slip_density(&self, classified: &[(usize, char, Suspicion)]) -> f64 {
        let non_ascii = classified.iter().filter(|c| !c.1.is_ascii()).count();
        let strong = classified
            .iter()
            .filter(|c| c.2 == Suspicion::Strong)
            .count();
        strong as f64 / non_ascii.max(1) as f64
    }
}
