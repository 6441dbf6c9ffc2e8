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

use daachorse::CharwiseDoubleArrayAhoCorasick;
use unicode_normalization::UnicodeNormalization;

use super::convert::{leftmost_longest, parse_table};
use crate::error::RuleError;
use crate::rules::RuleSet;

/// A span of a page being converted, and where each of its characters came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traced {
    text: String,
    /// The byte range of the page that `text` stands for.
    span: Range<usize>,
    /// Per character, the byte range of the page it came from; `None` while the text is aligned
    /// with the span (character `i` stands for the span's character `i`), as it stays until an
    /// entry changes the length: most conversions never pay for the ranges.
    origins: Option<Vec<Range<usize>>>,
}

impl Traced {
    /// `page[span]` with single characters replaced (`(byte offset, new character)`, ascending).
    pub fn with_changes(page: &str, span: Range<usize>, changes: &[(usize, char)]) -> Self {
        let mut text = String::with_capacity(span.len());
        let mut copied = span.start;
        for &(at, to) in changes.iter().filter(|(at, _)| span.contains(at)) {
            let Some(from) = page[at..].chars().next() else {
                continue;
            };
            text.push_str(&page[copied..at]);
            text.push(to);
            copied = at + from.len_utf8();
        }
        text.push_str(&page[copied..span.end]);
        Traced {
            text,
            span,
            origins: None,
        }
    }

    /// Give every character its range of the page (the text is still aligned with its span).
    fn trace(&mut self, page: &str) {
        if self.origins.is_none() {
            let start = self.span.start;
            let chars = page[self.span.clone()].char_indices();
            let ranges = chars.map(|(at, c)| start + at..start + at + c.len_utf8());
            self.origins = Some(ranges.collect());
        }
    }

    /// CJK compatibility ideographs as their unified forms (豈 U+F900 → 豈 U+8C48); each is one
    /// character for one, so the text stays aligned.
    fn normalize_compatibility_ideographs(self) -> Self {
        if !has_compatibility_ideograph(&self.text) {
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

    /// The replacements that turn `page` into this text: one per run of adjacent changed
    /// characters (关系 → 關係); characters from one length-changing entry change together.
    pub fn replacements(&self, page: &str) -> Vec<(Range<usize>, String)> {
        let mut out: Vec<(Range<usize>, String)> = Vec::new();
        let mut push = |from: Range<usize>, after: &str| match out.last_mut() {
            Some((range, text)) if range.end == from.start => {
                range.end = from.end;
                text.push_str(after);
            }
            _ => out.push((from, after.to_string())),
        };
        match &self.origins {
            None => {
                // Character by character, by their UTF-8 bytes: no decoding.
                let (after, before) = (self.text.as_bytes(), page.as_bytes());
                let (mut at, mut from) = (0, self.span.start);
                while at < after.len() && from < self.span.end {
                    let (a, b) = (utf8_width(after[at]), utf8_width(before[from]));
                    let same = a == b && (0..a).all(|i| after[at + i] == before[from + i]);
                    if !same {
                        push(from..from + b, &self.text[at..at + a]);
                    }
                    (at, from) = (at + a, from + b);
                }
            }
            Some(origins) => {
                for (from, to) in tied_units(&self.text, origins) {
                    if page[from.clone()] != self.text[to.clone()] {
                        push(from, &self.text[to]);
                    }
                }
            }
        }
        out
    }
}

/// The length of the UTF-8 sequence that starts with `lead` (1 for a byte that cannot start one:
/// the callers only pass character starts).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Runs of characters whose page ranges overlap (the output of one length-changing entry), each
/// with its page range and its byte range in `text`.
fn tied_units<'a>(
    text: &'a str,
    origins: &'a [Range<usize>],
) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + 'a {
    let mut chars = text.char_indices().zip(origins).peekable();
    std::iter::from_fn(move || {
        let ((at, c), origin) = chars.next()?;
        let (mut from, mut to) = (origin.clone(), at..at + c.len_utf8());
        while let Some(((at, c), origin)) = chars.next_if(|(_, o)| o.start < from.end) {
            from.end = from.end.max(origin.end);
            to.end = at + c.len_utf8();
        }
        Some((from, to))
    })
}

fn is_compatibility_ideograph(c: char) -> bool {
    matches!(c as u32, 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// Whether `text` holds a compatibility ideograph, found by the lead bytes of their UTF-8 forms
/// (`EF A4`–`EF AB`, `F0 AF A0`–`F0 AF A8`): a byte search, not a decoding of every character.
fn has_compatibility_ideograph(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(0xEF, 0xF0, bytes).any(|at| match bytes[at..] {
        [0xEF, second, ..] => (0xA4..=0xAB).contains(&second),
        [0xF0, 0xAF, third, ..] => (0xA0..=0xA8).contains(&third),
        _ => false,
    })
}

/// One entry of a step: its value, its key's and value's lengths in characters, and whether it
/// comes from the step's first tier (the tier a segmentation may reuse).
struct Entry {
    value: Box<str>,
    /// The value when it is one character (most entries): pushed without a copy loop.
    single: Option<char>,
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
            let mut in_tier: HashSet<String> = HashSet::new();
            for (key, value) in pairs {
                let shadowed = key
                    .char_indices()
                    .map(|(i, c)| &key[..i + c.len_utf8()])
                    .any(|prefix| earlier.contains(prefix));
                if key.is_empty() || value.is_empty() || shadowed || in_tier.contains(&key) {
                    continue;
                }
                let key_chars = key.chars().count();
                later_tiers_single &= tier == 0 || key_chars == 1;
                patterns.push((key.clone(), entries.len() as u32));
                let mut value_chars = value.chars();
                let single = value_chars.next().filter(|_| value_chars.next().is_none());
                entries.push(Entry {
                    single,
                    value_chars: value.chars().count(),
                    value: value.into(),
                    key_chars,
                    first_tier: tier == 0,
                });
                in_tier.insert(key);
            }
            earlier.extend(in_tier);
        }
        let automaton = leftmost_longest(patterns, "script tables")?;
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

    /// Convert `current` segment by segment; the converted text and its segments (with `split`,
    /// also cut at this step's first-tier matches). `None` when an entry changes the length of an
    /// aligned text (trace it, then convert again).
    fn convert(
        &self,
        current: &Traced,
        segments: &[Range<usize>],
        split: bool,
    ) -> Option<(Traced, Vec<Range<usize>>)> {
        let automaton = self.automaton.as_ref()?;
        let mut text = String::with_capacity(current.text.len() + current.text.len() / 8);
        let mut origins = current
            .origins
            .as_ref()
            .map(|o| (o, Vec::with_capacity(o.len())));
        let mut chars = 0;
        let mut next_segments = Vec::with_capacity(segments.len());
        for segment in segments {
            let source = &current.text[segment.clone()];
            let mut start = text.len();
            let mut copied = 0;
            for m in automaton.leftmost_find_iter(source) {
                let gap = &source[copied..m.start()];
                text.push_str(gap);
                let entry = &self.entries[m.value() as usize];
                let own_segment = split && entry.first_tier;
                if own_segment && start < text.len() {
                    next_segments.push(start..text.len());
                }
                match &mut origins {
                    None if entry.value_chars != entry.key_chars => return None,
                    None => {}
                    Some((from, to)) => {
                        let gap_chars = gap.chars().count();
                        to.extend_from_slice(&from[chars..chars + gap_chars]);
                        chars += gap_chars;
                        let key = &from[chars..chars + entry.key_chars];
                        if entry.value_chars == entry.key_chars {
                            to.extend_from_slice(key);
                        } else {
                            let whole = key[0].start..key[entry.key_chars - 1].end;
                            to.extend(std::iter::repeat_n(whole, entry.value_chars));
                        }
                        chars += entry.key_chars;
                    }
                }
                let value_start = text.len();
                match entry.single {
                    Some(c) => text.push(c),
                    None => text.push_str(&entry.value),
                }
                if own_segment {
                    next_segments.push(value_start..text.len());
                    start = text.len();
                }
                copied = m.end();
            }
            let rest = &source[copied..];
            text.push_str(rest);
            if let Some((from, to)) = &mut origins {
                let rest_chars = rest.chars().count();
                to.extend_from_slice(&from[chars..chars + rest_chars]);
                chars += rest_chars;
            }
            if start < text.len() || !split {
                next_segments.push(start..text.len());
            }
        }
        let converted = Traced {
            text,
            span: current.span.clone(),
            origins: origins.map(|(_, to)| to),
        };
        Some((converted, next_segments))
    }
}

/// One OpenCC configuration: the segmentation and the conversion steps.
pub struct Chain {
    segmentation: Segmentation,
    steps: Vec<Arc<Step>>,
}

/// How a chain cuts the text into segments.
enum Segmentation {
    /// The text is one segment.
    Whole,
    /// The matches of a dictionary of its own.
    Own(Arc<Step>),
    /// The matches of the first step's first tier, found while that step converts the whole text
    /// (which is the same as converting segment by segment: its longest matches are the segments).
    FirstStep,
}

impl Chain {
    /// Convert a span of `page` (compatibility ideographs already normalised).
    fn apply(&self, page: &str, mut current: Traced) -> Traced {
        let mut segments = match &self.segmentation {
            Segmentation::Own(step) => step.segments(&current.text),
            Segmentation::Whole | Segmentation::FirstStep => {
                std::iter::once(0..current.text.len()).collect()
            }
        };
        for (index, step) in self.steps.iter().enumerate() {
            let split = index == 0 && matches!(self.segmentation, Segmentation::FirstStep);
            let converted = step.convert(&current, &segments, split).or_else(|| {
                current.trace(page);
                step.convert(&current, &segments, split)
            });
            if let Some((next, next_segments)) = converted {
                current = next;
                segments = next_segments;
            }
        }
        current
    }
}

/// Chains applied one after another (`hk2t` then `t2tw` for a Hong Kong page to Taiwan glyphs),
/// after the normalisation of compatibility ideographs.
pub fn convert<'a>(
    chains: impl IntoIterator<Item = &'a Chain>,
    page: &str,
    traced: Traced,
) -> Traced {
    chains
        .into_iter()
        .fold(traced.normalize_compatibility_ideographs(), |t, chain| {
            chain.apply(page, t)
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
        // OpenCC segments with a dictionary that is often the first tier of the first step: then
        // that step segments while it converts, when its later tiers are single characters.
        let segmentation = match (&spec.segmentation, steps.first()) {
            (None, _) => Segmentation::Whole,
            (Some(dictionary), Some(first))
                if first.later_tiers_single
                    && self.first_tier_of(first).as_deref() == Some(dictionary) =>
            {
                Segmentation::FirstStep
            }
            (Some(dictionary), _) => {
                Segmentation::Own(self.step(std::slice::from_ref(dictionary))?)
            }
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
                let text = self.rules.data_str(file)?;
                crate::text::opencc::check(file, text)?;
                tier.extend(
                    parse_table(text).map(|(key, value)| (key.to_string(), value.to_string())),
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
        let segmentation = match segmentation {
            true => Segmentation::FirstStep,
            false => Segmentation::Whole,
        };
        Chain {
            segmentation,
            steps,
        }
    }

    fn run(chain: &Chain, text: &str) -> (String, Vec<(Range<usize>, String)>) {
        let out = convert(
            [chain],
            text,
            Traced::with_changes(text, 0..text.len(), &[]),
        );
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
        assert_eq!(
            run(&chain(true, vec![first(), second()]), "甲乙丙").0,
            "甲乙丙"
        );
        assert_eq!(
            run(&chain(false, vec![first(), second()]), "甲乙丙").0,
            "甲乙X"
        );
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
        let c = chain(false, vec![vec![tier(&[("关系", "關係"), ("说", "說")])]]);
        let (_, replacements) = run(&c, "a关系的说");
        assert_eq!(
            replacements,
            vec![(1..7, "關係".to_string()), (10..13, "說".to_string())]
        );
        let (_, replacements) = run(&c, "系关系");
        assert_eq!(replacements, vec![(3..9, "關係".to_string())]);
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
        assert_eq!(traced.text, "a麼b");
        assert_eq!(traced.replacements(text), vec![(1..4, "麼".to_string())]);
        // A length change after them: the ranges are traced from the aligned text.
        let c = chain(false, vec![vec![tier(&[("麼b", "X")])]]);
        let out = convert([&c], text, traced);
        assert_eq!(out.replacements(text), vec![(1..5, "X".to_string())]);
    }

    #[test]
    fn a_length_change_in_a_later_step_keeps_the_earlier_changes_apart() {
        let c = chain(
            false,
            vec![
                vec![tier(&[("关", "關"), ("方便面", "方便麵")])],
                vec![tier(&[("方便麵", "泡麵")])],
            ],
        );
        let (out, replacements) = run(&c, "关方便面关");
        assert_eq!(out, "關泡麵關");
        assert_eq!(replacements, vec![(0..15, "關泡麵關".to_string())]);
    }
}
