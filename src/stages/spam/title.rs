//! `title-hijack`: a first line of spam keyword groups.

use std::ops::Range;

use crate::text::chars::{SENTENCE_ENDS, is_han};
use crate::text::fold::Folder;
use crate::text::lines::{line_ranges, with_newline};

use super::{Found, TitleRule, WordList};

// ---------------------------------------------------------------------------------------------
// Title hijack

/// The line a hijacked title would be, and its number of groups (pieces between `separators` that
/// hold a letter): the first line of at least `min_groups` groups, when every non-empty line before
/// it has fewer and no sentence end. Those lines are chrome a later stage may drop (`1`, `分享到`,
/// `2024-05-23`): the title is judged the same with or without them, as cleaning the output again
/// would judge it.
pub(super) fn first_line_of_groups(
    text: &str,
    separators: &[char],
    min_groups: usize,
) -> Option<(Range<usize>, usize)> {
    for line in line_ranges(text).filter(|r| !text[r.clone()].trim().is_empty()) {
        let line_text = &text[line.clone()];
        let groups = line_text
            .split(|c: char| separators.contains(&c))
            .filter(|g| g.chars().any(char::is_alphabetic))
            .count();
        if groups >= min_groups {
            return Some((line, groups));
        }
        if line_text.contains(SENTENCE_ENDS) {
            return None;
        }
    }
    None
}

impl TitleRule {
    pub(super) fn find(&self, folder: &Folder, text: &str, found: &mut Found) {
        let Some((line, groups)) = first_line_of_groups(text, &self.separators, self.min_groups)
        else {
            return;
        };
        let line_text = &text[line.clone()];
        let folded = folder.fold_text(line_text);
        let coverage = coverage(&self.words, &folded);
        let specific = self
            .words
            .automaton
            .find_overlapping_iter(&folded)
            .filter(|m| self.words.entries[m.value() as usize].1 != "generic")
            .count();
        if coverage >= self.min_coverage && specific >= self.min_specific_words {
            let reason = format!(
                "first line of {groups} keyword groups, {:.0}% of its letters are hijacked-title \
                 words, {specific} of them specific",
                coverage * 100.0
            );
            found.remove(with_newline(text, line), &self.id, reason);
        }
    }
}

/// The share of letters (Han, Latin, digits) of `folded` covered by words of the list.
pub(super) fn coverage(words: &WordList, folded: &str) -> f64 {
    let is_letter = |c: char| is_han(c) || c.is_alphanumeric();
    let total = folded.chars().filter(|c| is_letter(*c)).count();
    if total == 0 {
        return 0.0;
    }
    let covered: usize = words
        .automaton
        .find_overlapping_iter(folded)
        .fold(Vec::<Range<usize>>::new(), |mut acc, m| {
            match acc.last_mut() {
                Some(last) if m.start() <= last.end => last.end = last.end.max(m.end()),
                _ => acc.push(m.start()..m.end()),
            }
            acc
        })
        .iter()
        .map(|r| folded[r.clone()].chars().filter(|c| is_letter(*c)).count())
        .sum();
    covered as f64 / total as f64
}
