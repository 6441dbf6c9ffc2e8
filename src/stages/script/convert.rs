//! Dictionary conversion between scripts: OpenCC-format tables matched phrase-first with a
//! leftmost-longest double-array Aho-Corasick automaton (daachorse), as OpenCC's maximum forward
//! matching does.
//!
//! Every conversion here is character-aligned: an entry whose value has a different number of
//! characters than its key is left out when the table is built, so the output of a conversion has
//! as many characters as its input and the stage can compare them position by position.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};

use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::text::image::{ImageError, Reader, Writer};
use crate::text::opencc;

/// One step of a conversion: a set of `key → value` entries matched leftmost-longest.
pub struct Dictionary {
    automaton: Option<Arc<Automaton>>,
    values: Values,
}

/// The automata of the conversion tables: pattern values are indices into [`Values`].
pub type Automaton = CharwiseDoubleArrayAhoCorasick<u32>;

/// The values of a dictionary's entries, in one string: a table of 50k phrases read from an image
/// is then two copies, not 50k allocations.
#[derive(Default)]
pub struct Values {
    text: String,
    ends: Vec<u32>,
}

impl Values {
    fn get(&self, index: u32) -> &str {
        let end_of = |i: Option<u32>| {
            i.and_then(|i| self.ends.get(i as usize))
                .map_or(0, |&e| e as usize)
        };
        let (start, end) = (end_of(index.checked_sub(1)), end_of(Some(index)));
        self.text.get(start..end).unwrap_or_default()
    }

    fn write(&self, w: &mut Writer) {
        w.str(&self.text);
        w.u32s(&self.ends);
    }

    fn read(r: &mut Reader) -> Result<Self, ImageError> {
        let text = r.str()?.to_string();
        let ends = r.u32s()?;
        let bounded = ends.windows(2).all(|w| w[0] <= w[1])
            && ends.last().is_none_or(|&e| e as usize <= text.len())
            && ends.iter().all(|&e| text.is_char_boundary(e as usize));
        if !bounded {
            return Err(ImageError("dictionary values out of bounds"));
        }
        Ok(Values { text, ends })
    }
}

impl<S: AsRef<str>> FromIterator<S> for Values {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut values = Values::default();
        for value in iter {
            values.text.push_str(value.as_ref());
            values.ends.push(values.text.len() as u32);
        }
        values
    }
}

/// Which character of an adjacent pair a phrase changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Changed {
    First = 0,
    Second = 1,
}

/// Adjacent character pairs of phrase keys and the values phrases give the changed one, with the
/// index of the target they are written for; looked up for every suspect of a page, so keys and
/// values are packed integers in one flat table.
#[derive(Default)]
pub struct NeighbourValues {
    /// Packed pair → range of `values`.
    index: FxHashMap<u64, (u32, u32)>,
    /// Packed (value, target), grouped by pair.
    values: Vec<u32>,
}

impl NeighbourValues {
    fn from_pairs(mut pairs: Vec<(u64, u32)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        let mut index = FxHashMap::default();
        for (at, &(pair, _)) in pairs.iter().enumerate() {
            let (_, len) = index.entry(pair).or_insert((at as u32, 0));
            *len += 1;
        }
        let values = pairs.into_iter().map(|(_, value)| value).collect();
        NeighbourValues { index, values }
    }

    /// The values phrases give the `changed` character of the pair `(first, second)`, with their
    /// target indices.
    pub fn get(
        &self,
        first: char,
        second: char,
        changed: Changed,
    ) -> impl Iterator<Item = (char, usize)> + '_ {
        let (start, len) = self
            .index
            .get(&pack_pair(first, second, changed))
            .copied()
            .unwrap_or((0, 0));
        self.values[start as usize..(start + len) as usize]
            .iter()
            .filter_map(|&v| unpack_value(v))
    }

    /// The table in an image: its pairs in order of their packed keys, then the values.
    pub fn write(&self, w: &mut Writer) {
        let mut index: Vec<(u64, (u32, u32))> = self.index.iter().map(|(&k, &v)| (k, v)).collect();
        index.sort_unstable();
        w.len(index.len());
        for (pair, (start, len)) in index {
            w.u64(pair);
            w.u32(start);
            w.u32(len);
        }
        w.u32s(&self.values);
    }

    pub fn read(r: &mut Reader) -> Result<Self, ImageError> {
        let pairs = r.len()?;
        let mut index = FxHashMap::default();
        let bound = pairs.min(r.remaining() / 16);
        index.reserve(bound);
        let mut entries = Vec::with_capacity(bound);
        for _ in 0..pairs {
            entries.push((r.u64()?, (r.u32()?, r.u32()?)));
        }
        let values = r.u32s()?;
        for (pair, (start, len)) in entries {
            if start as usize + len as usize > values.len() {
                return Err(ImageError("neighbour values out of bounds"));
            }
            index.insert(pair, (start, len));
        }
        Ok(NeighbourValues { index, values })
    }

    /// Every changed character with the values it may take (repeated per pair).
    pub fn changes(&self) -> impl Iterator<Item = (char, char, usize)> + '_ {
        self.index.iter().flat_map(|(&pair, &(start, len))| {
            let changed = unpack_changed(pair);
            self.values[start as usize..(start + len) as usize]
                .iter()
                .filter_map(move |&v| Some((changed?, unpack_value(v)?.0, unpack_value(v)?.1)))
        })
    }
}

fn pack_pair(first: char, second: char, changed: Changed) -> u64 {
    (u64::from(first) << 22) | (u64::from(second) << 1) | changed as u64
}

/// The changed character of a packed pair.
fn unpack_changed(pair: u64) -> Option<char> {
    let shift = if pair & 1 == Changed::First as u64 {
        22
    } else {
        1
    };
    char::from_u32(((pair >> shift) & 0x1F_FFFF) as u32)
}

fn pack_value(c: char, target: usize) -> u32 {
    (u32::from(c) << 1) | target as u32
}

fn unpack_value(v: u32) -> Option<(char, usize)> {
    Some((char::from_u32(v >> 1)?, (v & 1) as usize))
}

/// Entries collected from table files before the automaton is built; the first file to define a
/// key wins, so override files go first.
#[derive(Default)]
pub struct Entries {
    map: HashMap<String, String>,
    order: Vec<String>,
}

impl Entries {
    /// Add the entries of an OpenCC-format table (`key<TAB>value [alternatives]`, `#` comments);
    /// the first value of a line is the conversion. Keys already present keep their value.
    pub fn add_table(&mut self, rules: &RuleSet, path: &str) -> Result<(), RuleError> {
        for (key, value) in parse_table(rules.data_str(path)?) {
            self.insert(key.to_string(), value.to_string());
        }
        Ok(())
    }

    pub fn insert(&mut self, key: String, value: String) {
        if key.is_empty() || key.chars().count() != value.chars().count() {
            return;
        }
        if let Entry::Vacant(slot) = self.map.entry(key.clone()) {
            slot.insert(value);
            self.order.push(key);
        }
    }

    /// For each adjacent character pair of a phrase key, the values a phrase gives the character
    /// it changes in each target (the value in the target's `glyphs`, with the target's index):
    /// 关系 → 關係 gives `(关, 系, Second) → [(係, 0), (係, 1)]`. A character can change inside
    /// a phrase only next to a neighbour listed here.
    pub fn changing_neighbours(&self, targets: &[&HashMap<char, char>]) -> NeighbourValues {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        for (key, value) in &self.map {
            let key: Vec<char> = key.chars().collect();
            if key.len() < 2 {
                continue;
            }
            for (i, (&k, v)) in key.iter().zip(value.chars()).enumerate() {
                for (target, glyphs) in targets.iter().enumerate() {
                    let form = *glyphs.get(&v).unwrap_or(&v);
                    if form == k {
                        continue;
                    }
                    let value = pack_value(form, target);
                    if let Some(&before) = i.checked_sub(1).and_then(|j| key.get(j)) {
                        pairs.push((pack_pair(before, k, Changed::Second), value));
                    }
                    if let Some(&after) = key.get(i + 1) {
                        pairs.push((pack_pair(k, after, Changed::First), value));
                    }
                }
            }
        }
        NeighbourValues::from_pairs(pairs)
    }

    /// The value of `key`, if an entry defines it.
    pub fn value_of(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    pub fn build(self) -> Result<Dictionary, RuleError> {
        let [dictionary] = self.build_shared([&HashMap::new()])?;
        Ok(dictionary)
    }

    /// Dictionaries that share one automaton (the keys) and differ in their values: each target
    /// rewrites the values character by character (standard, Taiwan and Hong Kong glyphs), so the
    /// 50k-entry phrase table is compiled once.
    pub fn build_shared<const N: usize>(
        self,
        targets: [&HashMap<char, char>; N],
    ) -> Result<[Dictionary; N], RuleError> {
        let Entries { mut map, order } = self;
        let mut values = Vec::with_capacity(order.len());
        let mut patterns = Vec::with_capacity(order.len());
        for key in order {
            let Some(value) = map.remove(&key) else {
                continue;
            };
            // Identity entries stay: they stop a shorter entry from matching inside them.
            patterns.push((key, values.len() as u32));
            values.push(value);
        }
        let automaton = leftmost_longest(patterns, "script tables")?.map(Arc::new);
        Ok(targets.map(|glyphs| Dictionary {
            automaton: automaton.clone(),
            values: values
                .iter()
                .map(|v| {
                    v.chars()
                        .map(|c| *glyphs.get(&c).unwrap_or(&c))
                        .collect::<String>()
                })
                .collect(),
        }))
    }
}

/// A leftmost-longest automaton over `(key, value)` patterns (OpenCC's maximum forward matching);
/// `None` for no patterns, which daachorse refuses. Errors name `what` was being built.
pub fn leftmost_longest<P: AsRef<str>>(
    patterns: Vec<(P, u32)>,
    what: &str,
) -> Result<Option<CharwiseDoubleArrayAhoCorasick<u32>>, RuleError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    CharwiseDoubleArrayAhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build_with_values(patterns)
        .map(Some)
        .map_err(|e| RuleError::new(what, 0, e.to_string()))
}

/// `(key, first value)` pairs of an OpenCC-format table.
pub fn parse_table(text: &str) -> impl Iterator<Item = (&str, &str)> {
    opencc::entries(text).filter_map(|(key, mut values)| {
        let value = values.next()?.trim();
        (!value.is_empty()).then_some((key.trim(), value))
    })
}

impl Dictionary {
    /// Convert `text`, writing the result to `out` (same character count as `text`).
    pub fn convert_into(&self, text: &str, out: &mut String) {
        let Some(automaton) = &self.automaton else {
            out.push_str(text);
            return;
        };
        let mut cursor = 0;
        for m in automaton.leftmost_find_iter(text) {
            out.push_str(&text[cursor..m.start()]);
            out.push_str(self.values.get(m.value()));
            cursor = m.end();
        }
        out.push_str(&text[cursor..]);
    }

    /// Like [`Dictionary::convert_into`], and give each character of the output the character
    /// range (in `text`) of the entry it came from: a phrase when it spans two or more characters,
    /// a character entry or an unconverted character otherwise. `spans` is cleared first.
    pub fn convert_with_spans(&self, text: &str, out: &mut String, spans: &mut Vec<Range<usize>>) {
        spans.clear();
        let Some(automaton) = &self.automaton else {
            out.push_str(text);
            push_single_spans(spans, text.chars().count());
            return;
        };
        let mut cursor = 0;
        for m in automaton.leftmost_find_iter(text) {
            let gap = &text[cursor..m.start()];
            out.push_str(gap);
            push_single_spans(spans, gap.chars().count());
            let value = self.values.get(m.value());
            out.push_str(value);
            let start = spans.len();
            let span = start..start + value.chars().count();
            spans.extend(std::iter::repeat_n(span, value.chars().count()));
            cursor = m.end();
        }
        out.push_str(&text[cursor..]);
        push_single_spans(spans, text[cursor..].chars().count());
    }
}

impl Dictionary {
    /// The dictionary in an image: its automaton and its values.
    pub fn write(&self, w: &mut Writer) {
        write_automaton(self.automaton.as_deref(), w);
        self.values.write(w);
    }

    pub fn read(r: &mut Reader) -> Result<Self, ImageError> {
        let automaton = read_automaton(r)?.map(Arc::new);
        Ok(Dictionary {
            automaton,
            values: Values::read(r)?,
        })
    }

    /// Dictionaries that share `self`'s automaton (the phrase tables of the traditional targets),
    /// written once: its values, then each one's.
    pub fn write_shared(dictionaries: &[&Dictionary], w: &mut Writer) {
        write_automaton(dictionaries.first().and_then(|d| d.automaton.as_deref()), w);
        w.len(dictionaries.len());
        for d in dictionaries {
            d.values.write(w);
        }
    }

    pub fn read_shared<const N: usize>(r: &mut Reader) -> Result<[Dictionary; N], ImageError> {
        let automaton = read_automaton(r)?.map(Arc::new);
        if r.len()? != N {
            return Err(ImageError("unexpected number of shared dictionaries"));
        }
        let mut dictionaries = Vec::with_capacity(N);
        for _ in 0..N {
            dictionaries.push(Dictionary {
                automaton: automaton.clone(),
                values: Values::read(r)?,
            });
        }
        dictionaries
            .try_into()
            .map_err(|_| ImageError("unexpected number of shared dictionaries"))
    }
}

/// An automaton as daachorse serialises it (an empty blob for none).
fn write_automaton(automaton: Option<&Automaton>, w: &mut Writer) {
    w.bytes(&automaton.map(Automaton::serialize).unwrap_or_default());
}

/// daachorse checks that a serialised automaton stays within its arrays (its safe
/// `deserialize`), so a damaged image cannot make a search read out of bounds.
fn read_automaton(r: &mut Reader) -> Result<Option<Automaton>, ImageError> {
    let bytes = r.bytes()?;
    if bytes.is_empty() {
        return Ok(None);
    }
    let (automaton, rest) =
        Automaton::deserialize(bytes).map_err(|_| ImageError("damaged automaton"))?;
    match rest.is_empty() {
        true => Ok(Some(automaton)),
        false => Err(ImageError("damaged automaton")),
    }
}

/// One span per character for `count` characters that no phrase covers.
fn push_single_spans(spans: &mut Vec<Range<usize>>, count: usize) {
    let start = spans.len();
    spans.extend((start..start + count).map(|i| i..i + 1));
}

/// A chain of dictionaries applied one after another (standard traditional, then regional glyphs).
pub struct Converter {
    steps: Vec<Dictionary>,
}

impl Converter {
    pub fn new(steps: Vec<Dictionary>) -> Self {
        Converter { steps }
    }

    /// The converter's steps, in order.
    pub fn steps(&self) -> &[Dictionary] {
        &self.steps
    }

    pub fn write(&self, w: &mut Writer) {
        w.len(self.steps.len());
        for step in &self.steps {
            step.write(w);
        }
    }

    pub fn read(r: &mut Reader) -> Result<Self, ImageError> {
        let steps = (0..r.len()?)
            .map(|_| Dictionary::read(r))
            .collect::<Result<_, _>>()?;
        Ok(Converter { steps })
    }

    /// Convert text that is already simplified with the first step only: regional converters
    /// carry their glyphs in the first step's values too, and the later steps only matter for
    /// traditional input.
    /// `spans` gets, for each output character, the character range of the entry it came from
    /// (see [`Dictionary::convert_with_spans`]).
    pub fn convert_simplified_into(
        &self,
        text: &str,
        out: &mut String,
        spans: &mut Vec<Range<usize>>,
    ) {
        match self.steps.first() {
            Some(step) => step.convert_with_spans(text, out, spans),
            None => {
                out.push_str(text);
                spans.clear();
                push_single_spans(spans, text.chars().count());
            }
        }
    }

    /// The converted text; it has as many characters as `text`.
    pub fn convert(&self, text: &str) -> String {
        let mut current = text.to_string();
        let mut next = String::with_capacity(text.len());
        for step in &self.steps {
            next.clear();
            step.convert_into(&current, &mut next);
            std::mem::swap(&mut current, &mut next);
        }
        current
    }
}

/// A character-to-character table (regional variants) from an OpenCC-format file.
pub fn char_map(rules: &RuleSet, path: &str) -> Result<HashMap<char, char>, RuleError> {
    Ok(parse_table(rules.data_str(path)?)
        .filter_map(|(key, value)| Some((single_char(key)?, single_char(value)?)))
        .collect())
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary(entries: &[(&str, &str)]) -> Dictionary {
        let mut e = Entries::default();
        for (k, v) in entries {
            e.insert(k.to_string(), v.to_string());
        }
        e.build().unwrap()
    }

    #[test]
    fn longest_phrase_wins_and_first_definition_wins() {
        let d = dictionary(&[("干", "幹"), ("干净", "乾淨"), ("干", "乾"), ("净", "淨")]);
        let c = Converter::new(vec![d]);
        assert_eq!(c.convert("干活干净"), "幹活乾淨");
    }

    #[test]
    fn entries_that_change_length_are_ignored() {
        let d = dictionary(&[("ab", "x"), ("a", "b")]);
        assert_eq!(Converter::new(vec![d]).convert("ab"), "bb");
    }

    #[test]
    fn parses_opencc_lines() {
        let t: Vec<_> = parse_table("# c\n于\t於 于\n后\t後\n").collect();
        assert_eq!(t, [("于", "於"), ("后", "後")]);
    }
}
