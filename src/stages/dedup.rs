//! `dedup` inside a document: paragraphs that repeat earlier text of the same page, and the short
//! lines that sit between such repeats (a second copy of a whole article, doubled chrome).
//!
//! A paragraph is a repeat when most of its character 5-grams (on the folded view, white space
//! ignored) already occurred earlier in the document: containment rather than equality, because a
//! repeat is often a part of an earlier paragraph, or carries a different lead-in. The first
//! occurrence always stays. Corpus-level near-duplicates are in [`crate::corpus`].

use std::ops::Range;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use schemars::JsonSchema;
use serde::Deserialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::corpus::{SHINGLE_CHARS, shingles};
use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::Stage;
use crate::text::fold::{Folded, Folder};
use crate::types::{BlockKind, StageName};

pub struct Dedup {
    folder: Arc<Folder>,
    paragraph: Option<ParagraphRule>,
    /// The rule id of the extension over short lines between repeats, when that rule is present.
    between: Option<String>,
    /// The rule id of the extension over the short lines around a run of repeats.
    around: Option<String>,
}

/// `dedup.repeated-paragraph`: containment of a paragraph's 5-grams in everything above it.
struct ParagraphRule {
    id: String,
    /// Paragraphs with fewer letters, digits and Han characters than this are never tested: short
    /// lines such as `0` or a bullet legitimately repeat.
    min_chars: usize,
    /// Lines up to this long that do not end like a sentence are headings (a title repeated as a
    /// heading or in a related-articles list is not a repeated paragraph).
    heading_max_chars: usize,
    containment: f64,
    /// An unrepeated lead-in or tail of a repeated paragraph is kept when it is a whole sentence of
    /// at least this many letters, digits or Han characters.
    min_kept_chars: usize,
    sentence_ends: Vec<char>,
    full_stops: Vec<char>,
}

impl Dedup {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let mut paragraph = None;
        let mut between = None;
        let mut around = None;
        for rule in rules.for_stage(StageName::Dedup) {
            match rule.parameters::<DedupKind>()? {
                DedupKind::RepeatedParagraph(params) => {
                    paragraph = Some(ParagraphRule::compile(rule, params)?)
                }
                DedupKind::BetweenRepeats {} => between = Some(rule.id.clone()),
                DedupKind::AroundRepeats {} => around = Some(rule.id.clone()),
            }
        }
        Ok(Dedup {
            folder: rules.folder()?,
            paragraph,
            between,
            around,
        })
    }
}

/// The kinds of dedup rule and their parameters (`kind = "…"` in a `[[rule]]` of the stage).
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DedupKind {
    /// A paragraph most of whose character 5-grams occurred earlier in the document.
    RepeatedParagraph(ParagraphParams),
    /// Short lines between two removed repeats (the id the stage reports them under).
    BetweenRepeats {},
    /// Short lines around removed repeats (the id the stage reports them under).
    AroundRepeats {},
}

/// The parameters of `repeated-paragraph`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParagraphParams {
    /// Lines with fewer letters, digits or Han characters are never removed.
    min_chars: usize,
    /// A line of at most this many characters that neither ends with one of `sentence_ends` nor
    /// holds one of `full_stops` is a heading, never removed.
    heading_max_chars: usize,
    /// The share of a paragraph's 5-grams that must have occurred above, in (0, 1].
    containment: f64,
    /// An unrepeated lead-in or tail that is a whole sentence of at least this many letters stays.
    min_kept_chars: usize,
    /// Characters that end a sentence.
    sentence_ends: String,
    /// Full stops: a short line holding one is a paragraph, not a heading.
    full_stops: String,
}

impl ParagraphRule {
    fn compile(rule: &Rule, params: ParagraphParams) -> Result<Self, RuleError> {
        if !(params.containment > 0.0 && params.containment <= 1.0) {
            return Err(rule.error("`containment` must be in (0, 1]"));
        }
        Ok(ParagraphRule {
            id: rule.id.clone(),
            min_chars: params.min_chars.max(1),
            heading_max_chars: params.heading_max_chars,
            containment: params.containment,
            min_kept_chars: params.min_kept_chars,
            sentence_ends: params.sentence_ends.chars().collect(),
            full_stops: params.full_stops.chars().collect(),
        })
    }
}

/// One line of the input: its byte range (without the newline) and its shingle characters (folded,
/// no white space) with the folded byte offset of each.
struct Line {
    range: Range<usize>,
    chars: Vec<char>,
    offsets: Vec<usize>,
}

/// What the scan decided for a line.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Keep,
    /// A repeat: remove `chars[first..=last]`, the whole line when `whole`. `source` is the
    /// earlier line most of its repeated 5-grams first occurred in.
    Repeat {
        first: usize,
        last: usize,
        whole: bool,
        containment: f64,
        source: usize,
    },
    /// A short or heading line whose text occurred as a line above: removed only between whole
    /// repeats.
    ShortSeen,
    /// A short or heading line next to a run of whole repeats that repeats, line for line, the
    /// line next to the run's source.
    AroundRepeats,
}

impl Stage for Dedup {
    fn name(&self) -> StageName {
        StageName::Dedup
    }

    fn run(&self, doc: &mut Document) {
        let Some(rule) = &self.paragraph else {
            return;
        };
        let folded = self.folder.fold(&doc.text);
        let lines = split_lines(&doc.text, &folded.text);
        let (mut verdicts, keys) = scan(rule, &lines, doc);
        if self.between.is_some() {
            extend_between_repeats(&lines, &mut verdicts);
        }
        if self.around.is_some() {
            extend_around_repeats(&keys, &mut verdicts);
        }
        let changes = self.changes(rule, doc, &folded, &lines, &verdicts);
        doc.apply(StageName::Dedup, changes);
    }
}

impl Dedup {
    fn changes(
        &self,
        rule: &ParagraphRule,
        doc: &Document,
        folded: &Folded,
        lines: &[Line],
        verdicts: &[Verdict],
    ) -> Vec<Change> {
        let text = &doc.text;
        let mut changes = Vec::new();
        // Blank lines between two removed lines go with the later one, so a removed block leaves no
        // run of empty lines behind.
        let mut block_end: Option<usize> = None;
        for (line, verdict) in lines.iter().zip(verdicts) {
            let whole_range = || {
                let start = block_end.unwrap_or(line.range.start);
                let end = (line.range.end + 1).min(text.len());
                start..end
            };
            match verdict {
                Verdict::Keep if line.chars.is_empty() => continue,
                Verdict::Keep => {}
                Verdict::Repeat {
                    whole: true,
                    containment,
                    ..
                } => {
                    changes.push(Change::remove(
                        whole_range(),
                        &rule.id,
                        repeat_reason(*containment),
                    ));
                    block_end = Some((line.range.end + 1).min(text.len()));
                    continue;
                }
                Verdict::Repeat {
                    first,
                    last,
                    containment,
                    ..
                } => {
                    let range = partial_range(folded, text, line, *first, *last);
                    changes.push(Change::remove(
                        range,
                        &rule.id,
                        format!(
                            "{}; the unrepeated sentence next to it stays",
                            repeat_reason(*containment)
                        ),
                    ));
                }
                Verdict::AroundRepeats => {
                    if let Some(id) = &self.around {
                        changes.push(Change::remove(
                            whole_range(),
                            id,
                            "short line or heading next to removed repeats, as it stood next to their first occurrence",
                        ));
                        block_end = Some((line.range.end + 1).min(text.len()));
                        continue;
                    }
                }
                Verdict::ShortSeen => {
                    if let Some(id) = &self.between {
                        changes.push(Change::remove(
                            whole_range(),
                            id,
                            "short line or heading that occurred above, between removed repeats",
                        ));
                        block_end = Some((line.range.end + 1).min(text.len()));
                        continue;
                    }
                }
            }
            block_end = None;
        }
        changes
    }
}

fn repeat_reason(containment: f64) -> String {
    format!(
        "repeats earlier text of the page: {:.0}% of its 5-grams occur above",
        containment * 100.0
    )
}

/// The original byte range of a partial repeat: from its first repeated character (or the line
/// start) to its last (or the line end).
fn partial_range(
    folded: &Folded,
    text: &str,
    line: &Line,
    first: usize,
    last: usize,
) -> Range<usize> {
    let start = if first == 0 {
        line.range.start
    } else {
        folded
            .original_range(line.offsets[first]..line.offsets[first], text)
            .start
    };
    let end = if last + 1 == line.chars.len() {
        line.range.end
    } else {
        let from = line.offsets[last];
        folded
            .original_range(from..from + line.chars[last].len_utf8(), text)
            .end
    };
    start..end.max(start)
}

/// The lines of the text, with their shingle characters taken from the folded view (folding keeps
/// newlines, so the folded text has the same lines).
fn split_lines(text: &str, folded: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut folded_start = 0;
    let mut folded_lines = folded.split('\n');
    for original in text.split('\n') {
        let folded_line = folded_lines.next().unwrap_or("");
        let (chars, offsets) = folded_line
            .char_indices()
            .filter(|(_, c)| !c.is_whitespace())
            .map(|(i, c)| (c, folded_start + i))
            .unzip();
        lines.push(Line {
            range: start..start + original.len(),
            chars,
            offsets,
        });
        start += original.len() + 1;
        folded_start += folded_line.len() + 1;
    }
    lines
}

/// Decide each line against everything above it. Also returns each line's key (the hash of its
/// shingle characters; 0 for a blank line).
fn scan(rule: &ParagraphRule, lines: &[Line], doc: &Document) -> (Vec<Verdict>, Vec<u64>) {
    // Each 5-gram with the first line it occurred in.
    // The keys are hashes already, so a plain hasher does; sized for every line's grams.
    let grams_total = lines.iter().map(|line| line.chars.len()).sum();
    let mut seen_grams: FxHashMap<u64, usize> =
        FxHashMap::with_capacity_and_hasher(grams_total, Default::default());
    let mut seen_lines: FxHashSet<u64> = FxHashSet::default();
    let mut keys = Vec::with_capacity(lines.len());
    let verdicts = lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let key = if line.chars.is_empty() {
                0
            } else {
                line_key(&line.chars)
            };
            keys.push(key);
            let grams: Vec<u64> = shingles(&line.chars).collect();
            let verdict = if is_paragraph(rule, &line.chars, doc.kind_of_line(index)) {
                let hits: Vec<Option<usize>> =
                    grams.iter().map(|g| seen_grams.get(g).copied()).collect();
                repeat_verdict(rule, &line.chars, &hits)
            } else if !line.chars.is_empty() && !seen_lines.insert(key) {
                Verdict::ShortSeen
            } else {
                Verdict::Keep
            };
            for gram in grams {
                seen_grams.entry(gram).or_insert(index);
            }
            verdict
        })
        .collect();
    (verdicts, keys)
}

/// A line tested for containment: with enough letters, digits or Han characters (a line of
/// underscores is a form field, not a paragraph), and not a heading (typed as one, or short, not
/// ending like a sentence and without a full stop inside: a hard-wrapped line that ends
/// mid-sentence usually has one, a `地点：…` field does not).
fn is_paragraph(rule: &ParagraphRule, chars: &[char], kind: BlockKind) -> bool {
    let heading_like = chars.len() <= rule.heading_max_chars
        && !chars.last().is_some_and(|c| rule.sentence_ends.contains(c))
        && !chars.iter().any(|c| rule.full_stops.contains(c));
    chars.iter().filter(|c| c.is_alphanumeric()).count() >= rule.min_chars
        && !heading_like
        && !matches!(kind, BlockKind::Title | BlockKind::Heading)
}

fn line_key(chars: &[char]) -> u64 {
    xxh3_64(chars.iter().collect::<String>().as_bytes())
}

/// A long line is a repeat when the share of its 5-grams seen above reaches the threshold. The
/// repeated part runs from the first seen 5-gram to the end of the last one; what lies outside it
/// stays only when it is a whole sentence of its own (`精力消費時代到來。` before a repeated lead).
fn repeat_verdict(rule: &ParagraphRule, chars: &[char], hits: &[Option<usize>]) -> Verdict {
    let seen = hits.iter().flatten().count();
    let containment = seen as f64 / hits.len().max(1) as f64;
    if seen == 0 || containment < rule.containment {
        return Verdict::Keep;
    }
    let first_hit = hits.iter().position(Option::is_some).unwrap_or(0);
    let last_hit = hits.iter().rposition(Option::is_some).unwrap_or(0);
    let covered_end = (last_hit + SHINGLE_CHARS - 1).min(chars.len() - 1);
    let is_sentence =
        |part: &[char]| part.iter().filter(|c| c.is_alphanumeric()).count() >= rule.min_kept_chars;
    let keep_prefix = first_hit > 0
        && is_sentence(&chars[..first_hit])
        && rule.sentence_ends.contains(&chars[first_hit - 1]);
    let keep_suffix = covered_end + 1 < chars.len()
        && is_sentence(&chars[covered_end + 1..])
        && rule.sentence_ends.contains(&chars[covered_end]);
    Verdict::Repeat {
        first: if keep_prefix { first_hit } else { 0 },
        last: if keep_suffix {
            covered_end
        } else {
            chars.len() - 1
        },
        whole: !keep_prefix && !keep_suffix,
        containment,
        source: most_common(hits.iter().flatten().copied()),
    }
}

/// The most frequent value (the smallest among ties; 0 for none).
fn most_common(values: impl Iterator<Item = usize>) -> usize {
    let mut counts: FxHashMap<usize, usize> = FxHashMap::default();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(v, n)| (n, std::cmp::Reverse(v)))
        .map_or(0, |(v, _)| v)
}

/// Short lines that occurred above and sit between two wholly removed repeats, with nothing but
/// such lines and blank lines in between, belong to the repeated block: mark them for removal.
fn extend_between_repeats(lines: &[Line], verdicts: &mut [Verdict]) {
    let is_whole_repeat = |v: &Verdict| matches!(v, Verdict::Repeat { whole: true, .. });
    let mut previous_repeat: Option<usize> = None;
    for index in 0..verdicts.len() {
        if !is_whole_repeat(&verdicts[index]) {
            continue;
        }
        if let Some(prev) = previous_repeat {
            let gap = prev + 1..index;
            let only_short_seen_or_blank = gap
                .clone()
                .all(|i| verdicts[i] == Verdict::ShortSeen || lines[i].chars.is_empty());
            if !only_short_seen_or_blank {
                for verdict in &mut verdicts[gap] {
                    if *verdict == Verdict::ShortSeen {
                        *verdict = Verdict::Keep;
                    }
                }
            }
        }
        previous_repeat = Some(index);
    }
    // Short seen lines outside any pair of repeats stay.
    let last_repeat = previous_repeat;
    let first_repeat = verdicts.iter().position(is_whole_repeat);
    for (index, verdict) in verdicts.iter_mut().enumerate() {
        let inside =
            matches!((first_repeat, last_repeat), (Some(f), Some(l)) if f < index && index < l);
        if *verdict == Verdict::ShortSeen && !inside {
            *verdict = Verdict::Keep;
        }
    }
}

/// Around each whole repeat, walk outwards over non-blank lines in step with the lines around its
/// source: as long as a kept line has the same text as its counterpart above (a heading or byline
/// the repeated block carried along, such as the title line of a second copy), mark it. The walk
/// stops at the first difference, and never lets the counterpart enter the repeat's own lines.
fn extend_around_repeats(keys: &[u64], verdicts: &mut [Verdict]) {
    let non_blank = |i: usize| keys[i] != 0;
    let whole_repeats: Vec<(usize, usize)> = verdicts
        .iter()
        .enumerate()
        .filter_map(|(i, v)| match v {
            Verdict::Repeat {
                whole: true,
                source,
                ..
            } => Some((i, *source)),
            _ => None,
        })
        .collect();
    for (index, source) in whole_repeats {
        // Backwards: the copy's lines before `index` against the lines before `source`.
        let mut copy = (0..index).rev().filter(|&i| non_blank(i));
        let mut original = (0..source).rev().filter(|&i| non_blank(i));
        while let (Some(c), Some(o)) = (copy.next(), original.next()) {
            if verdicts[c] != Verdict::Keep || keys[c] != keys[o] {
                break;
            }
            verdicts[c] = Verdict::AroundRepeats;
        }
        // Forwards, with the counterpart kept above the repeat itself.
        let mut copy = (index + 1..keys.len()).filter(|&i| non_blank(i));
        let mut original = (source + 1..index).filter(|&i| non_blank(i));
        while let (Some(c), Some(o)) = (copy.next(), original.next()) {
            if verdicts[c] != Verdict::Keep || keys[c] != keys[o] || o >= c {
                break;
            }
            verdicts[c] = Verdict::AroundRepeats;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> ParagraphRule {
        ParagraphRule {
            id: "dedup.repeated-paragraph".into(),
            min_chars: 10,
            heading_max_chars: 64,
            containment: 0.7,
            min_kept_chars: 4,
            sentence_ends: "。!?;:…”」』".chars().collect(),
            full_stops: "。!?".chars().collect(),
        }
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn headings_fields_and_short_lines_are_not_paragraphs() {
        let r = rule();
        let p = |s: &str| is_paragraph(&r, &chars(s), BlockKind::Paragraph);
        assert!(p("今天天氣很好，我們去公園散步。"));
        assert!(p(
            "张家界的春天，美得让人眩目。长期过著从家门到校门的机械生活"
        ));
        assert!(!p("微商,你應該這樣活下去(上)看透本質"));
        assert!(!p("地点：经济学院第二教学楼202"));
        assert!(!p("__________________"));
        assert!(!p("短句。"));
        assert!(!is_paragraph(
            &r,
            &chars("今天天氣很好，我們去公園散步。"),
            BlockKind::Heading
        ));
    }

    #[test]
    fn an_unrepeated_lead_sentence_stays_and_a_fragment_goes() {
        let r = rule();
        let line =
            chars("精力消費時代到來。無論你信不信中國都進入了中產階級主流化的社會消費者更看重品質");
        let repeated_from = 9;
        let hits: Vec<Option<usize>> = (0..line.len() - SHINGLE_CHARS + 1)
            .map(|i| (i >= repeated_from).then_some(3))
            .collect();
        match repeat_verdict(&r, &line, &hits) {
            Verdict::Repeat {
                first,
                whole,
                source,
                ..
            } => {
                assert_eq!((first, whole, source), (repeated_from, false, 3));
            }
            other => panic!("{other:?}"),
        }
        // Without the full stop the lead-in is a fragment of the repeated sentence: all goes.
        let line =
            chars("精力消費時代到來無論你信不信中國都進入了中產階級主流化的社會消費者更看重品質");
        let hits: Vec<Option<usize>> = (0..line.len() - SHINGLE_CHARS + 1)
            .map(|i| (i >= 8).then_some(3))
            .collect();
        assert!(matches!(
            repeat_verdict(&r, &line, &hits),
            Verdict::Repeat { whole: true, .. }
        ));
    }

    #[test]
    fn the_walk_around_a_repeat_follows_its_source() {
        // title, para, end, | title, para(copy of 1), end
        let keys = [1, 2, 3, 1, 2, 3, 4];
        let repeat = Verdict::Repeat {
            first: 0,
            last: 9,
            whole: true,
            containment: 1.0,
            source: 1,
        };
        let mut verdicts = vec![Verdict::Keep; keys.len()];
        verdicts[4] = repeat.clone();
        extend_around_repeats(&keys, &mut verdicts);
        assert_eq!(verdicts[3], Verdict::AroundRepeats);
        assert_eq!(verdicts[5], Verdict::AroundRepeats);
        assert_eq!(verdicts[6], Verdict::Keep);
        assert_eq!(
            verdicts[0..3],
            [Verdict::Keep, Verdict::Keep, Verdict::Keep]
        );
    }

    #[test]
    fn most_common_prefers_the_earliest_on_ties() {
        assert_eq!(most_common([4, 2, 4, 2, 7].into_iter()), 2);
        assert_eq!(most_common(std::iter::empty()), 0);
    }
}
