//! `listed-phrase`: a listed phrase with injection evidence.

use std::collections::{HashMap, HashSet};

use super::{Evidence, Found, Hit, ListedRule, Spam};

impl ListedRule {
    pub(super) fn find(&self, stage: &Spam, text: &str, hits: &[Hit], found: &mut Found) {
        let mut candidates = Vec::new();
        for (original, word, category) in hits {
            let span = stage.with_brand_code(text, original.clone());
            if found.overlaps(&span) {
                continue;
            }
            let (range, _) = stage.with_comma(text, span.clone());
            let evidence = Evidence::of(stage, text, &span, &range);
            candidates.push((word, category, range, evidence));
        }
        if candidates.is_empty() {
            return;
        }
        // A phrase that also occurs with no sign of injection, or whose first word the page uses
        // elsewhere (玛卡 in an article on maca), is the page's own topic: then only occurrences with
        // strong evidence go.
        let fluent: HashSet<&str> = candidates
            .iter()
            .filter(|(_, _, _, e)| !e.comma && e.join_gain < self.min_join_gain)
            .map(|(w, _, _, _)| **w)
            .collect();
        let head = |word: &str| -> String { word.chars().take(2).collect() };
        let mut in_phrases: HashMap<String, usize> = HashMap::new();
        for (word, _, _, _) in &candidates {
            *in_phrases.entry(head(word)).or_default() += 1;
        }
        let folded_text = stage.folder.fold_text(text);
        let elsewhere: HashSet<String> = in_phrases
            .into_iter()
            .filter(|(h, n)| folded_text.matches(h.as_str()).count() > *n)
            .map(|(h, _)| h)
            .collect();
        let head_elsewhere = |word: &str| elsewhere.contains(&head(word));
        for (word, category, range, evidence) in &candidates {
            let strong = evidence.stray_comma || evidence.join_gain >= self.min_join_gain;
            let supported = fluent.contains(*word) || head_elsewhere(word);
            let keep = if supported {
                !strong
            } else {
                !strong && !evidence.comma
            };
            if keep {
                continue;
            }
            let reason = format!(
                "listed phrase `{word}` ({category}); {}",
                evidence.describe()
            );
            found.remove(range.clone(), &self.id, reason);
        }
    }
}
