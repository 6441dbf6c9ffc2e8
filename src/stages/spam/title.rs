//! `title-hijack`: a first line of spam keyword groups.

use std::ops::Range;

use crate::text::chars::{SENTENCE_ENDS, is_han};
use crate::text::lines::{line_ranges, with_newline};

use super::{Found, Spam, TitleRule, WordList};

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

/// The first line of keyword groups ([`first_line_of_groups`]), folded: both title rules judge it.
pub(super) struct TitleLine {
    /// The line without its line break, in bytes of the text.
    pub(super) range: Range<usize>,
    pub(super) groups: usize,
    /// The line through the stage's folding.
    pub(super) folded: String,
}

/// The title line of one text, found and folded once for the rules that read it with the same
/// separators and group count (the default rules' two title rules do).
pub(super) struct TitleLines<'a> {
    stage: &'a Spam,
    text: &'a str,
    last: Option<(&'a [char], usize, Option<TitleLine>)>,
}

impl<'a> TitleLines<'a> {
    pub(super) fn new(stage: &'a Spam, text: &'a str) -> Self {
        TitleLines {
            stage,
            text,
            last: None,
        }
    }

    /// The line a rule with these `separators` and `min_groups` judges.
    pub(super) fn get(&mut self, separators: &'a [char], min_groups: usize) -> Option<&TitleLine> {
        let known = matches!(&self.last, Some((s, m, _)) if *s == separators && *m == min_groups);
        if !known {
            let line =
                first_line_of_groups(self.text, separators, min_groups).map(|(range, groups)| {
                    let mut folded = String::with_capacity(range.len());
                    self.stage
                        .fold_chars(&self.text[range.clone()], |_, _, f| folded.push(f));
                    TitleLine {
                        range,
                        groups,
                        folded,
                    }
                });
            self.last = Some((separators, min_groups, line));
        }
        self.last.as_ref().and_then(|(_, _, line)| line.as_ref())
    }
}

impl TitleRule {
    pub(super) fn find<'a>(&'a self, lines: &mut TitleLines<'a>, text: &str, found: &mut Found) {
        let Some(line) = lines.get(&self.separators, self.min_groups) else {
            return;
        };
        let (coverage, specific) = coverage(&self.words, &line.folded);
        if coverage >= self.min_coverage && specific >= self.min_specific_words {
            let reason = format!(
                "first line of {} keyword groups, {:.0}% of its letters are hijacked-title \
                 words, {specific} of them specific",
                line.groups,
                coverage * 100.0
            );
            found.remove(with_newline(text, line.range.clone()), &self.id, reason);
        }
    }
}

/// The share of letters (Han, Latin, digits) of `folded` covered by words of the list, and the
/// number of matches of words not marked `generic`, from one pass of the automaton.
pub(super) fn coverage(words: &WordList, folded: &str) -> (f64, usize) {
    let is_letter = |c: char| is_han(c) || c.is_alphanumeric();
    let total = folded.chars().filter(|c| is_letter(*c)).count();
    let mut specific = 0;
    let mut covered: Vec<Range<usize>> = Vec::new();
    for m in words.automaton.find_overlapping_iter(folded) {
        if words.entries[m.value() as usize].1 != "generic" {
            specific += 1;
        }
        match covered.last_mut() {
            Some(last) if m.start() <= last.end => last.end = last.end.max(m.end()),
            _ => covered.push(m.start()..m.end()),
        }
    }
    if total == 0 {
        return (0.0, specific);
    }
    let covered: usize = covered
        .iter()
        .map(|r| folded[r.clone()].chars().filter(|c| is_letter(*c)).count())
        .sum();
    (covered as f64 / total as f64, specific)
}
