//! `stuffing-line`: a line that is only a list of spam phrases.

use crate::text::lines::{line_ranges, with_newline};

use super::{Found, Spam, StuffingRule};
use crate::text::chars::SENTENCE_ENDS;

// ---------------------------------------------------------------------------------------------
// Keyword stuffing lines

impl StuffingRule {
    pub(super) fn find(&self, stage: &Spam, text: &str, found: &mut Found) {
        for line in line_ranges(text) {
            let line_text = &text[line.clone()];
            let ends_sentence = line_text.trim_end().ends_with(SENTENCE_ENDS);
            if ends_sentence || !self.has_only_short_items(line_text) {
                continue;
            }
            let items: Vec<&str> = line_text
                .split(|c: char| self.separators.contains(&c))
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .collect();
            if items.len() < self.min_items {
                continue;
            }
            // Each item is a listed phrase or cue word, else promotional by the phrase model,
            // else one with a weak cue word (推荐, 借款), which adds to the share once the line has
            // enough strong items.
            let (mut listed, mut scored, mut weak) = (0, 0, 0);
            for item in &items {
                if stage.is_spam_words(item) {
                    listed += 1;
                } else if self.sounds_promotional(stage, item) {
                    scored += 1;
                } else if stage.has_weak_cue(item) {
                    weak += 1;
                }
            }
            let spam = listed + scored;
            let share = (spam + weak) as f64 / items.len() as f64;
            if spam >= self.min_items && share >= self.min_spam_share {
                let reason = format!(
                    "line of {} short items, {listed} of them listed spam phrases or cue words, \
                     {scored} promotional by the phrase model, {weak} with weak cue words",
                    items.len()
                );
                found.remove(with_newline(text, line), &self.id, reason);
            }
        }
    }

    /// Whether the phrase model finds an item promotional (at least `min_promo_cover` of its sound
    /// bigrams).
    fn sounds_promotional(&self, stage: &Spam, item: &str) -> bool {
        self.min_promo_cover
            .is_some_and(|min| stage.promo_cover(item).is_some_and(|cover| cover >= min))
    }

    /// One pass that gives up at the first long item: a paragraph fails within a few characters.
    pub(super) fn has_only_short_items(&self, line: &str) -> bool {
        let mut run = 0;
        for c in line.chars() {
            if self.separators.contains(&c) {
                run = 0;
            } else {
                run += 1;
                if run > self.max_item_chars {
                    return false;
                }
            }
        }
        true
    }
}
