//! `scrape-token` and `obfuscated-phrase`: anti-scraping tokens and the words they wrap.

use std::ops::Range;

use crate::text::chars::is_han;

use super::evidence::{char_after, char_before};
use super::{Found, Spam, TokenGroup, TokenRule};

impl Spam {
    /// Whether a short text contains a listed phrase or a cue word (on its folded form).
    pub(super) fn has_weak_cue(&self, original: &str) -> bool {
        let folded = self.folder.fold_text(original);
        self.context
            .as_ref()
            .is_some_and(|c| c.weak_cues.contains_any(&folded))
    }

    pub(super) fn is_spam_words(&self, original: &str) -> bool {
        let folded = self.folder.fold_text(original);
        self.listed
            .as_ref()
            .is_some_and(|l| l.phrases.contains_any(&folded))
            || self
                .context
                .as_ref()
                .is_some_and(|c| c.cues.contains_any(&folded))
    }
}

// ---------------------------------------------------------------------------------------------
// Anti-scraping tokens

impl TokenRule {
    pub(super) fn find(&self, stage: &Spam, text: &str, found: &mut Found) {
        for group in self.groups(text) {
            if stage.is_spam_words(&group.words) {
                let (range, comma) = stage.with_comma(text, group.outer.clone());
                let reason = format!(
                    "spam words `{}` wrapped in anti-scraping tokens{}",
                    group.words,
                    if comma {
                        ", with the injector's comma"
                    } else {
                        ""
                    }
                );
                found.remove(range, &self.phrase_id, reason);
            } else {
                for range in group.noise {
                    let reason = format!("anti-scraping token around `{}`", group.words);
                    found.remove(range, &self.id, reason);
                }
            }
        }
    }

    /// Tokens with matching delimiters, grouped when only a few Han characters separate them.
    pub(super) fn tokens(&self, text: &str) -> Vec<Range<usize>> {
        self.token
            .find_iter(text)
            .filter(|m| {
                let s = m.as_str();
                s.chars().next() == s.chars().next_back()
            })
            .map(|m| m.range())
            .collect()
    }

    pub(super) fn groups(&self, text: &str) -> Vec<TokenGroup> {
        let tokens = self.tokens(text);
        let mut groups = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let mut j = i;
            while j + 1 < tokens.len() && self.is_piece(&text[tokens[j].end..tokens[j + 1].start]) {
                j += 1;
            }
            if let Some(group) = self.group(text, &tokens[i..=j]) {
                groups.push(group);
            }
            i = j + 1;
        }
        groups
    }

    pub(super) fn is_piece(&self, s: &str) -> bool {
        let n = s.chars().count();
        n >= 1 && n <= self.max_piece_chars && s.chars().all(is_han)
    }

    /// The group around consecutive tokens: a piece of words before the first and after the last,
    /// ended by a wrapper character (the same on both sides) or, without wrappers, one character.
    pub(super) fn group(&self, text: &str, tokens: &[Range<usize>]) -> Option<TokenGroup> {
        let first = tokens.first()?.clone();
        let last = tokens.last()?.clone();
        let lead: Vec<char> = text[..first.start]
            .chars()
            .rev()
            .take_while(|c| is_han(*c))
            .take(self.max_piece_chars + 1)
            .collect();
        let trail: Vec<char> = text[last.end..]
            .chars()
            .take_while(|c| is_han(*c))
            .take(self.max_piece_chars + 1)
            .collect();
        if lead.is_empty() || trail.is_empty() {
            return None;
        }
        let utf8_len = |chars: &[char]| chars.iter().map(|c| c.len_utf8()).sum::<usize>();
        // The byte span of the tokens with `lead_len` characters before and `trail_len` after.
        let span = |lead_len: usize, trail_len: usize| {
            (
                first.start - utf8_len(&lead[..lead_len]),
                last.end + utf8_len(&trail[..trail_len]),
            )
        };
        let wrapped = |lead_len: usize, trail_len: usize| -> Option<char> {
            let (start, end) = span(lead_len, trail_len);
            let (b, a) = (char_before(text, start)?, char_after(text, end)?);
            (b == a && self.wrappers.contains(&b)).then_some(b)
        };
        // Prefer the piece lengths that meet a wrapper on both sides; else one character each.
        let (lead_len, trail_len, wrapper) = (1..=lead.len().min(self.max_piece_chars))
            .flat_map(|l| (1..=trail.len().min(self.max_piece_chars)).map(move |t| (l, t)))
            .find_map(|(l, t)| wrapped(l, t).map(|w| (l, t, Some(w))))
            .unwrap_or((1, 1, None));
        let (start, end) = span(lead_len, trail_len);
        let mut noise: Vec<Range<usize>> = tokens.to_vec();
        let mut outer = start..end;
        if let Some(w) = wrapper {
            let wl = w.len_utf8();
            noise.insert(0, start - wl..start);
            noise.push(end..end + wl);
            outer = start - wl..end + wl;
        }
        let mut words = String::new();
        let mut cursor = start;
        for t in tokens {
            words.push_str(&text[cursor..t.start]);
            cursor = t.end;
        }
        words.push_str(&text[cursor..end]);
        Some(TokenGroup {
            outer,
            noise,
            words,
        })
    }
}
