//! OpenCC's conversion as its configurations define it, for the explicit modes.
//!
//! An OpenCC configuration (`data/config/*.json`) first cuts the text into segments by maximum
//! forward matching on a segmentation dictionary (characters no entry covers are gathered into one
//! segment), then runs a chain of conversion steps on each segment alone: no entry of a later step
//! can match across a segment boundary, which is what keeps `TWPhrases` (支持 → 支援) out of 支持者.
//! Each step is a dictionary group matched longest-first at each position; in OpenCC's
//! `short_circuit` groups the first dictionary that matches at a position wins, even over a longer
//! match of a later one. Before any of it, CJK compatibility ideographs become their unified forms
//! (OpenCC's `CJK_Compatibility_Ideographs` table is exactly their canonical decomposition).
//!
//! Unlike the character-aligned conversion of `auto` ([`super::convert`]), entries may change the
//! length of the text (方便面 → 泡麵), so every character carries the byte range of the input it
//! came from, and the changes come out as replacements of input ranges.
//!
//! Written here because no crate implements OpenCC's segmentation and group semantics over
//! daachorse; the matching itself is daachorse's leftmost-longest automaton.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use unicode_normalization::UnicodeNormalization;

use super::convert::parse_table;
use crate::error::RuleError;
use crate::rules::RuleSet;

/// A text being converted: its characters, each with the byte range of the original it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traced {
    text: String,
    origins: Vec<Range<usize>>,
}

impl Traced {
    /// `text[span]` as it is, its characters keeping their own byte ranges in `text`.
    pub fn new(text: &str, span: Range<usize>) -> Self {
        Self::with_changes(text, span, &[])
    }

    /// `text[span]` with single characters replaced (`(byte offset, new character)`, ascending);
    /// every character keeps the byte range of the one it stands for.
    pub fn with_changes(text: &str, span: Range<usize>, changes: &[(usize, char)]) -> Self {
        let mut traced = Traced {
            text: String::with_capacity(span.len()),
            origins: Vec::with_capacity(span.len() / 2),
        };
        let mut changes = changes.iter().peekable();
        for (at, c) in text[span.clone()].char_indices() {
            let at = span.start + at;
            let c = match changes.next_if(|&&(change_at, _)| change_at == at) {
                Some(&(_, to)) => to,
                None => c,
            };
            traced.push(c, at..at + text[at..].chars().next().map_or(0, char::len_utf8));
        }
        traced
    }

    fn push(&mut self, c: char, origin: Range<usize>) {
        self.text.push(c);
        self.origins.push(origin);
    }

    /// CJK compatibility ideographs as their unified forms (豈 U+F900 → 豈 U+8C48).
    fn normalize_compatibility_ideographs(self) -> Self {
        if !self.text.chars().any(is_compatibility_ideograph) {
            return self;
        }
        let text = self
            .text
            .chars()
            .map(|c| match is_compatibility_ideograph(c) {
                // A singleton canonical decomposition: exactly one character comes out.
                true => std::iter::once(c).nfc().next().unwrap_or(c),
                false => c,
            })
            .collect();
        Traced { text, ..self }
    }

    /// The replacements that turn `original` into this text: one per run of characters that share
    /// input (a length-changing entry ties its characters together), where the run differs.
    pub fn replacements(&self, original: &str) -> Vec<(Range<usize>, String)> {
        let mut out = Vec::new();
        let mut run: Option<(Range<usize>, String)> = None;
        for (c, origin) in self.text.chars().zip(&self.origins) {
            match &mut run {
                Some((range, text)) if origin.start < range.end => {
                    range.end = range.end.max(origin.end);
                    text.push(c);
                }
                _ => {
                    out.extend(run.take().filter(|(r, t)| original[r.clone()] != *t));
                    run = Some((origin.clone(), c.to_string()));
                }
            }
        }
        out.extend(run.filter(|(r, t)| original[r.clone()] != *t));
        out
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

fn is_compatibility_ideograph(c: char) -> bool {
    matches!(c as u32, 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// One entry of a step: its value, its key's and value's lengths in characters, and whether it
/// comes from the step's first tier (the tier a segmentation may reuse).
struct Entry {
    value: Box<str>,
    key_chars: usize,
    value_chars: usize,
    first_tier: bool,
}

/// A conversion step: tiers of dictionaries, matched longest-first at each position, an earlier
/// tier winning wherever it matches (OpenCC's `short_circuit` group of `union` groups).
pub struct Step {
    automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    entries: Vec<Entry>,
    /// Whether every key after the first tier is a single character: then the first tier's
    /// matches on this automaton are exactly those of the first tier alone (a longer later key
    /// could hide a first-tier key starting inside it).
    later_tiers_single: bool,
}

impl Step {
    /// A step from tiers of `(key, value)` entries. Within a tier the first entry of a key wins;
    /// a key of a later tier that has a key of an earlier tier as a prefix (or equal) is dropped,
    /// since the earlier tier always matches where it would: leftmost-longest matching over what
    /// remains is then OpenCC's first-matching-tier rule.
    pub fn new(tiers: Vec<Vec<(String, String)>>) -> Result<Self, RuleError> {
        let mut earlier: HashSet<String> = HashSet::new();
        let mut patterns: Vec<(String, u32)> = Vec::new();
        let mut entries = Vec::new();
        let mut later_tiers_single = true;
        for (tier, pairs) in tiers.into_iter().enumerate() {
            let mut in_tier: HashMap<String, ()> = HashMap::new();
            for (key, value) in pairs {
                let shadowed = key
                    .char_indices()
                    .map(|(i, c)| &key[..i + c.len_utf8()])
                    .any(|prefix| earlier.contains(prefix));
                if key.is_empty() || value.is_empty() || shadowed || in_tier.contains_key(&key) {
                    continue;
                }
                let key_chars = key.chars().count();
                later_tiers_single &= tier == 0 || key_chars == 1;
                patterns.push((key.clone(), entries.len() as u32));
                entries.push(Entry {
                    value_chars: value.chars().count(),
                    value: value.into(),
                    key_chars,
                    first_tier: tier == 0,
                });
                in_tier.insert(key, ());
            }
            earlier.extend(in_tier.into_keys());
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                CharwiseDoubleArrayAhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build_with_values(patterns)
                    .map_err(|e| RuleError::new("script tables", 0, e.to_string()))?,
            )
        };
        Ok(Step {
            automaton,
            entries,
            later_tiers_single,
        })
    }

    /// Byte ranges of `text`'s segments by OpenCC's maximum forward matching on this step's first
    /// tier: each match is a segment, and the characters between matches are one segment.
    fn segments(&self, text: &str) -> Vec<Range<usize>> {
        let mut segments = Vec::new();
        let mut pending = 0;
        if let Some(automaton) = &self.automaton {
            for m in automaton.leftmost_find_iter(text) {
                if !self.entries[m.value() as usize].first_tier {
                    continue;
                }
                if pending < m.start() {
                    segments.push(pending..m.start());
                }
                segments.push(m.start()..m.end());
                pending = m.end();
            }
        }
        if pending < text.len() {
            segments.push(pending..text.len());
        }
        segments
    }

    /// Convert one segment (`text`, with one origin per character) onto the end of `out`.
    fn convert_segment(&self, text: &str, origins: &[Range<usize>], out: &mut Traced) {
        let mut copied = 0;
        let mut chars = 0;
        if let Some(automaton) = &self.automaton {
            for m in automaton.leftmost_find_iter(text) {
                chars += copy_unmatched(&text[copied..m.start()], &origins[chars..], out);
                let entry = &self.entries[m.value() as usize];
                let from = &origins[chars..chars + entry.key_chars];
                if entry.value_chars == entry.key_chars {
                    for (c, origin) in entry.value.chars().zip(from) {
                        out.push(c, origin.clone());
                    }
                } else {
                    let whole = from[0].start..from[entry.key_chars - 1].end;
                    for c in entry.value.chars() {
                        out.push(c, whole.clone());
                    }
                }
                chars += entry.key_chars;
                copied = m.end();
            }
        }
        copy_unmatched(&text[copied..], &origins[chars..], out);
    }

    fn matches_anything(&self, text: &str) -> bool {
        self.automaton
            .as_ref()
            .is_some_and(|a| a.leftmost_find_iter(text).next().is_some())
    }
}

/// Copy characters no entry matched, with their origins; returns how many there were.
fn copy_unmatched(text: &str, origins: &[Range<usize>], out: &mut Traced) -> usize {
    let mut count = 0;
    for (c, origin) in text.chars().zip(origins) {
        out.push(c, origin.clone());
        count += 1;
    }
    count
}

/// One OpenCC configuration: the segmentation and the conversion steps.
pub struct Chain {
    /// Segments are the matches of this step's first tier (none: the text is one segment).
    segmentation: Option<Arc<Step>>,
    steps: Vec<Arc<Step>>,
}

impl Chain {
    /// Convert a traced text (compatibility ideographs already normalised).
    fn apply(&self, traced: Traced) -> Traced {
        let mut segments = match &self.segmentation {
            Some(step) => step.segments(&traced.text),
            None => vec![0..traced.text.len()],
        };
        let mut current = traced;
        for step in &self.steps {
            if !step.matches_anything(&current.text) {
                continue;
            }
            let mut next = Traced {
                text: String::with_capacity(current.text.len() + current.text.len() / 8),
                origins: Vec::with_capacity(current.origins.len()),
            };
            let mut next_segments = Vec::with_capacity(segments.len());
            let mut chars = 0;
            for segment in &segments {
                let text = &current.text[segment.clone()];
                let count = text.chars().count();
                let start = next.text.len();
                step.convert_segment(text, &current.origins[chars..chars + count], &mut next);
                next_segments.push(start..next.text.len());
                chars += count;
            }
            current = next;
            segments = next_segments;
        }
        current
    }
}

/// Chains applied one after another (`hk2t` then `t2tw` for a Hong Kong page to Taiwan glyphs),
/// after the normalisation of compatibility ideographs.
pub fn convert<'a>(chains: impl IntoIterator<Item = &'a Chain>, traced: Traced) -> Traced {
    chains
        .into_iter()
        .fold(traced.normalize_compatibility_ideographs(), |t, chain| {
            chain.apply(t)
        })
}

/// A chain as the rules write it: dictionary names for the segmentation and for each step's tiers.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ChainSpec {
    #[serde(default)]
    pub segmentation: Option<String>,
    pub steps: Vec<Vec<String>>,
}

/// Builds chains from named dictionaries (each a list of table files read in order), sharing
/// every step between the chains that use it: the simplified→traditional phrase step is a 50k-key
/// automaton, built once.
pub struct ChainBuilder<'a> {
    rules: &'a RuleSet,
    dictionaries: &'a HashMap<String, Vec<String>>,
    steps: HashMap<Vec<String>, Arc<Step>>,
}

impl<'a> ChainBuilder<'a> {
    pub fn new(rules: &'a RuleSet, dictionaries: &'a HashMap<String, Vec<String>>) -> Self {
        ChainBuilder {
            rules,
            dictionaries,
            steps: HashMap::new(),
        }
    }

    pub fn build(&mut self, name: &str, spec: &ChainSpec) -> Result<Chain, RuleError> {
        let steps = spec
            .steps
            .iter()
            .map(|tiers| self.step(tiers))
            .collect::<Result<Vec<_>, _>>()?;
        // OpenCC segments with a dictionary that is usually the first tier of the first step; the
        // step's automaton then segments too, when its later tiers are single characters.
        let segmentation = match &spec.segmentation {
            None => None,
            Some(dictionary) => Some(
                match steps.iter().find(|s| {
                    s.later_tiers_single && self.first_tier_of(s).as_deref() == Some(dictionary)
                }) {
                    Some(step) => Arc::clone(step),
                    None => self.step(std::slice::from_ref(dictionary))?,
                },
            ),
        };
        if steps.is_empty() {
            return Err(RuleError::new(
                "script.toml",
                0,
                format!("chain `{name}` has no steps"),
            ));
        }
        Ok(Chain {
            segmentation,
            steps,
        })
    }

    fn first_tier_of(&self, step: &Arc<Step>) -> Option<String> {
        self.steps
            .iter()
            .find(|(_, s)| Arc::ptr_eq(s, step))
            .and_then(|(tiers, _)| tiers.first().cloned())
    }

    fn step(&mut self, tiers: &[String]) -> Result<Arc<Step>, RuleError> {
        if let Some(step) = self.steps.get(tiers) {
            return Ok(Arc::clone(step));
        }
        let mut entries = Vec::with_capacity(tiers.len());
        for name in tiers {
            let files = self.dictionaries.get(name).ok_or_else(|| {
                RuleError::new("script.toml", 0, format!("unknown dictionary `{name}`"))
            })?;
            let mut tier = Vec::new();
            for file in files {
                tier.extend(
                    parse_table(self.rules.data_str(file)?)
                        .map(|(key, value)| (key.to_string(), value.to_string())),
                );
            }
            entries.push(tier);
        }
        let step = Arc::new(Step::new(entries)?);
        self.steps.insert(tiers.to_vec(), Arc::clone(&step));
        Ok(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(entries: &[(&str, &str)]) -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn chain(segmentation: bool, steps: Vec<Vec<Vec<(String, String)>>>) -> Chain {
        let steps: Vec<Arc<Step>> = steps
            .into_iter()
            .map(|tiers| Arc::new(Step::new(tiers).unwrap()))
            .collect();
        Chain {
            segmentation: segmentation.then(|| Arc::clone(&steps[0])),
            steps,
        }
    }

    fn run(chain: &Chain, text: &str) -> (String, Vec<(Range<usize>, String)>) {
        let out = convert([chain], Traced::new(text, 0..text.len()));
        (out.text.clone(), out.replacements(text))
    }

    #[test]
    fn an_earlier_tier_wins_over_a_longer_match_of_a_later_one() {
        let step = vec![tier(&[("ab", "X")]), tier(&[("abc", "Y"), ("c", "z")])];
        let c = chain(false, vec![step]);
        assert_eq!(run(&c, "abc").0, "Xz");
    }

    #[test]
    fn later_steps_do_not_match_across_segments() {
        // 甲乙 is a segment and 丙 another, so the second step's 乙丙 cannot match across them.
        let first = || vec![tier(&[("甲乙", "甲乙")]), tier(&[("丙", "丙")])];
        let second = || vec![tier(&[("乙丙", "乙X")])];
        assert_eq!(run(&chain(true, vec![first(), second()]), "甲乙丙").0, "甲乙丙");
        assert_eq!(run(&chain(false, vec![first(), second()]), "甲乙丙").0, "甲乙X");
        // Characters no phrase covers are one segment: the second step matches inside it.
        assert_eq!(run(&chain(true, vec![first(), second()]), "乙丙").0, "乙X");
    }

    #[test]
    fn length_changes_replace_the_whole_input_they_came_from() {
        let c = chain(false, vec![vec![tier(&[("方便面", "泡麵"), ("好", "好")])]]);
        let (out, replacements) = run(&c, "好方便面好");
        assert_eq!(out, "好泡麵好");
        assert_eq!(replacements, vec![(3..12, "泡麵".to_string())]);
    }

    #[test]
    fn equal_length_entries_replace_only_the_characters_that_change() {
        let c = chain(false, vec![vec![tier(&[("关系", "關係")])]]);
        let (_, replacements) = run(&c, "a关系");
        assert_eq!(
            replacements,
            vec![(1..4, "關".to_string()), (4..7, "係".to_string())]
        );
    }

    #[test]
    fn compatibility_ideographs_are_unified_first() {
        let c = chain(false, vec![vec![tier(&[("豈", "岂")])]]);
        let (out, replacements) = run(&c, "\u{F900}");
        assert_eq!(out, "岂");
        assert_eq!(replacements, vec![(0..3, "岂".to_string())]);
    }

    #[test]
    fn changes_made_before_keep_their_origins() {
        let text = "a么b";
        let traced = Traced::with_changes(text, 0..text.len(), &[(1, '麼')]);
        assert_eq!(traced.text(), "a麼b");
        assert_eq!(traced.replacements(text), vec![(1..4, "麼".to_string())]);
    }
}
