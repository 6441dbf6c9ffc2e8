//! The word lists: loading, the homoglyph table, leftmost-longest matching.

use std::ops::Range;

use daachorse::{CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::text::table::{self, single_char};

use super::evidence::{char_after, char_before, is_fullwidth_alnum};
use super::kinds::Paths;
use super::{Hit, RING, Spam, WordList};

impl Spam {
    /// Load the word list files of parameter `key`. A line is `word` or `word<TAB>category`; without
    /// a category the file's stem is the category. Words shorter than `min_chars` are an error:
    /// short generic words hit ordinary text (成人 in 成人教育).
    pub(super) fn word_list(
        &self,
        rule: &Rule,
        rules: &RuleSet,
        (key, paths): (&str, &Paths),
        min_chars: usize,
        overlapping: bool,
    ) -> Result<WordList, RuleError> {
        let paths = match paths {
            Paths::One(one) => std::slice::from_ref(one),
            Paths::Many(many) => many.as_slice(),
        };
        let mut entries: Vec<(String, String)> = Vec::new();
        for path in paths {
            let text = rules
                .data_str(path)
                .map_err(|e| rule.error(format!("parameter `{key}`: {e}")))?;
            let stem = path
                .rsplit('/')
                .next()
                .unwrap_or(path)
                .trim_end_matches(".txt")
                .trim_start_matches("phrases-");
            for entry in table::entries(path, text) {
                let line = entry.text.trim_end();
                let (word, category) = line.split_once('\t').unwrap_or((line, stem));
                let folded = self.folder.fold(word.trim()).text;
                if folded.chars().count() > RING {
                    return Err(entry.error(format!("`{word}` is longer than {RING} characters")));
                }
                if folded.chars().count() < min_chars {
                    return Err(
                        entry.error(format!("`{word}` is shorter than {min_chars} characters"))
                    );
                }
                if !entries.iter().any(|(w, _)| *w == folded) {
                    entries.push((folded, category.trim().to_string()));
                }
            }
        }
        let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(if overlapping {
                MatchKind::Standard
            } else {
                MatchKind::LeftmostLongest
            })
            .build_with_values(
                entries
                    .iter()
                    .enumerate()
                    .map(|(i, (w, _))| (w.as_str(), i as u32)),
            )
            .map_err(|e| rule.error(format!("parameter `{key}`: {e}")))?;
        Ok(WordList { automaton, entries })
    }
}

pub(super) fn check_homoglyphs(path: &str, table: &str) -> Result<(), RuleError> {
    for entry in table::entries(path, table) {
        let ok = entry.text.split_once('\t').is_some_and(|(from, to)| {
            match (single_char(from), single_char(to)) {
                (Some(a), Some(b)) => a.len_utf8() == b.len_utf8(),
                _ => false,
            }
        });
        if !ok {
            return Err(entry.error(
                "expected `variant<TAB>folded`, one character each of the same UTF-8 length",
            ));
        }
    }
    Ok(())
}

/// A match that starts or ends with a Latin letter inside a longer Latin word (`av` in `java`).
pub(super) fn inside_latin_word(text: &str, range: &Range<usize>) -> bool {
    let latin = |c: char| c.is_ascii_alphanumeric() || is_fullwidth_alnum(c);
    let first = char_after(text, range.start).is_some_and(latin);
    let last = char_before(text, range.end).is_some_and(latin);
    (first && char_before(text, range.start).is_some_and(latin))
        || (last && char_after(text, range.end).is_some_and(latin))
}

/// Keep the leftmost-longest of overlapping matches, as a leftmost-longest automaton would.
pub(super) fn leftmost_longest<'a>(
    matches: &mut [(Range<usize>, usize)],
    list: &'a WordList,
) -> Vec<Hit<'a>> {
    matches.sort_by_key(|(r, _)| (r.start, usize::MAX - r.end));
    let mut kept = Vec::new();
    let mut cursor = 0;
    for (range, i) in matches.iter() {
        if range.start >= cursor {
            cursor = range.end;
            let (word, category) = &list.entries[*i];
            kept.push((range.clone(), word.as_str(), category.as_str()));
        }
    }
    kept
}

impl WordList {
    pub(super) fn contains_any(&self, folded: &str) -> bool {
        self.automaton.leftmost_find_iter(folded).next().is_some()
    }
}
