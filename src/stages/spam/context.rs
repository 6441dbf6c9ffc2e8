//! `context-phrase`: a phrase in no list, found from a cue word and its context.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::text::chars::{is_han, is_invisible};

use super::evidence::{is_fullwidth_alnum, splits_word};
use super::{Candidate, ContextRule, Evidence, Found, Hit, Spam};

// ---------------------------------------------------------------------------------------------
// Phrases in no list

impl Candidate {
    pub(super) fn strong(&self, min_join_gain: f64) -> bool {
        self.evidence.stray_comma || self.evidence.join_gain >= min_join_gain
    }

    /// Whether this occurrence counts as injected rather than as the page using the word: a comma
    /// right after the cue, or a comma after words that look injected (a whole clause, a brand
    /// code, a split word); a comma after ordinary words (赌球行为,) is the text's own.
    pub(super) fn marks_injection(&self, min_join_gain: f64) -> bool {
        let e = &self.evidence;
        e.stray_comma
            || (e.comma
                && (!self.extended_right
                    || e.whole_clause
                    || self.branded
                    || e.join_gain >= min_join_gain))
    }

    /// A comma that marks an injection by itself: after a phrase that is a whole clause
    /// (,运彩分析,) or that carries a brand code. After a phrase that ends a clause of the text
    /// (他沉迷赌博,) a comma is ordinary punctuation.
    pub(super) fn telling_comma(&self) -> bool {
        self.evidence.comma && (self.evidence.whole_clause || self.branded)
    }
}

impl ContextRule {
    pub(super) fn find(
        &self,
        stage: &Spam,
        text: &str,
        strong_cues: &[Hit],
        weak_cues: &[Hit],
        found: &mut Found,
    ) {
        let strong = strong_cues.iter().map(|h| (h, false));
        let weak = weak_cues.iter().map(|h| (h, true));
        let cues: Vec<(Range<usize>, &str, &str, bool)> = strong
            .chain(weak)
            .map(|((r, w, c), weak)| (r.clone(), *w, *c, weak))
            .collect();
        if cues.is_empty() {
            return;
        }
        let mut candidates = Vec::new();
        for (cue, word, category, weak) in &cues {
            if found.overlaps(cue) {
                continue;
            }
            if let Some(candidate) = self.candidate(stage, text, cue.clone(), *weak) {
                candidates.push((cue.clone(), *word, *category, candidate));
            }
        }
        // Topic support: a cue word of the same category used fluently elsewhere on the page, in
        // running text (a split word alone does not make it injected: 高额|返水|为 → 以为 is chance).
        let injected: HashSet<usize> = candidates
            .iter()
            .filter(|(_, _, _, c)| c.marks_injection(self.min_join_gain))
            .map(|(cue, _, _, _)| cue.start)
            .collect();
        let fluent: HashMap<&str, usize> = cues
            .iter()
            .filter(|(cue, _, _, _)| !injected.contains(&cue.start))
            .fold(HashMap::new(), |mut m, (_, _, c, _)| {
                *m.entry(*c).or_default() += 1;
                m
            });
        let mut removed: Vec<(&str, usize)> = Vec::new();
        for (_, word, category, candidate) in candidates {
            // On a page about the topic a rejoined word can be chance (所谓的娱乐城网站, → 所以):
            // only a stray comma before punctuation counts there.
            let supported = fluent.get(category).copied().unwrap_or(0) > 0;
            let accept = if supported {
                candidate.evidence.stray_comma
            } else {
                candidate.strong(self.min_join_gain) || candidate.telling_comma()
            };
            if !accept {
                continue;
            }
            let range = candidate.range;
            let reason = format!(
                "unlisted phrase `{}` around cue `{word}` ({category}); {}{}",
                &text[range.clone()].trim_end_matches(|c| stage.is_comma(c)),
                candidate.evidence.describe(),
                if supported {
                    ""
                } else {
                    "; no support on the page"
                }
            );
            let phrase = text[range.clone()].trim_end_matches(|c| stage.is_comma(c));
            if !supported && !removed.iter().any(|(p, _)| *p == phrase) {
                removed.push((phrase, range.start));
            }
            found.remove(range, &self.id, reason);
        }
        self.repeats(stage, text, &removed, found);
    }

    /// Other occurrences of a removed phrase, each with its own comma: an injector repeats its
    /// phrase through the page, and the repetition is the evidence.
    pub(super) fn repeats(
        &self,
        stage: &Spam,
        text: &str,
        removed: &[(&str, usize)],
        found: &mut Found,
    ) {
        for (phrase, first) in removed {
            for (at, _) in text.match_indices(phrase) {
                let span = at..at + phrase.len();
                let (range, comma) = stage.with_comma(text, span);
                if comma && !found.overlaps(&range) {
                    let reason = format!(
                        "repeats the unlisted phrase `{phrase}` removed at byte {first}, with the \
                         injector's comma"
                    );
                    found.remove(range, &self.id, reason);
                }
            }
        }
    }

    /// The span an injector inserted around a cue: left over name parts and a brand code (or as far
    /// as the language model says a split word rejoins), right to its comma.
    pub(super) fn candidate(
        &self,
        stage: &Spam,
        text: &str,
        cue: Range<usize>,
        weak: bool,
    ) -> Option<Candidate> {
        let end = self.right_end(stage, text, cue.end);
        let name_start = self.name_start(stage, text, cue.start);
        let named = name_start < cue.start;
        let branded = text[name_start..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || is_fullwidth_alnum(c));
        if weak && !named {
            return None;
        }
        let candidates: Vec<(usize, Range<usize>, Evidence)> = self
            .left_starts(text, cue.start)
            .into_iter()
            .filter(|&start| {
                text[start..end].chars().count() <= self.max_span_chars
                    && !splits_word(&stage.resources.model, text, start, self.min_join_gain)
            })
            .map(|start| {
                let span = start..end;
                let (range, _) = stage.with_comma(text, span.clone());
                let evidence = Evidence::of(stage, text, &span, &range);
                (start, range, evidence)
            })
            .collect();
        // The start where a split word rejoins best (the name's start when it does as well), else
        // the name's start.
        let best_gain = candidates
            .iter()
            .map(|(_, _, e)| e.join_gain)
            .fold(f64::NEG_INFINITY, f64::max);
        let chosen = if best_gain >= self.min_join_gain {
            candidates
                .into_iter()
                .filter(|(_, _, e)| e.join_gain >= best_gain - 0.5)
                .min_by_key(|(start, _, _)| (*start != name_start, usize::MAX - *start))
        } else {
            candidates
                .into_iter()
                .find(|(start, _, _)| *start == name_start)
        };
        chosen.map(|(_, range, evidence)| Candidate {
            range,
            evidence,
            branded,
            extended_right: end > cue.end,
        })
    }

    /// Where the span ends: at the cue, or at a comma a few Han characters after it.
    pub(super) fn right_end(&self, stage: &Spam, text: &str, cue_end: usize) -> usize {
        let mut end = cue_end;
        for c in text[cue_end..].chars().take(self.max_extend_chars + 1) {
            if stage.is_comma(c) {
                return end;
            }
            if !is_han(c) && !c.is_alphanumeric() {
                break;
            }
            end += c.len_utf8();
        }
        cue_end
    }

    /// Candidate starts: the cue start and up to `max_extend_chars` Han characters before it.
    pub(super) fn left_starts(&self, text: &str, cue_start: usize) -> Vec<usize> {
        let mut starts = vec![cue_start];
        let mut at = cue_start;
        // Invisible characters inside the phrase (网\u{200B}络) are stepped over, not counted.
        for c in text[..cue_start].chars().rev() {
            at -= c.len_utf8();
            if is_invisible(c) {
                continue;
            }
            if starts.len() > self.max_extend_chars
                || !(is_han(c) || is_fullwidth_alnum(c) || c.is_ascii_alphanumeric())
            {
                break;
            }
            starts.push(at);
        }
        starts
    }

    /// The start after extending left over name parts (亚洲, 线上) and a brand code.
    pub(super) fn name_start(&self, stage: &Spam, text: &str, cue_start: usize) -> usize {
        let mut start = cue_start;
        loop {
            let window_start = text[..start]
                .char_indices()
                .rev()
                .nth(self.max_extend_chars.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            let window = &text[window_start..start];
            let folded = stage.folder.fold(window);
            let suffix = self
                .name_parts
                .automaton
                .find_overlapping_iter(&folded.text)
                .filter(|m| m.end() == folded.text.len())
                .map(|m| folded.original_range(m.start()..m.end(), window).start)
                .min();
            match suffix {
                Some(s) if window_start + s < start => start = window_start + s,
                _ => break,
            }
        }
        stage.with_brand_code(text, start..start).start
    }
}
