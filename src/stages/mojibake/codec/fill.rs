//! Filling unknown and rejected bytes with the values the language model prefers, alone or
//! jointly.

use super::whole::{Guess, WholeCharacters, width};
use super::{Bytes, Charset, Tables, UNKNOWN, decode, encode_with, rejects};

/// Fill each unknown byte with the non-ASCII value whose decoding `score` prefers in its
/// neighbourhood (`left`/`right` are context the bytes sit between). Left to right first, then once
/// more with every other unknown filled, so neighbouring unknowns agree (`一樣`, not `不樓`).
pub fn resolve_unknowns(
    bytes: &mut Bytes,
    charset: Charset,
    score: &dyn Fn(&str) -> f64,
    left: &str,
    right: &str,
) {
    let unknown = std::mem::take(&mut bytes.unknown);
    let any: Vec<u8> = (0x80..=0xFE).collect();
    let window = Window {
        charset,
        score,
        left,
        right,
    };
    fill_greedily(&mut bytes.bytes, &unknown, |_| &any, &window);
}

/// Fill the unknown bytes of text that a decoder for `read_as` wrote as U+FFFD, one per byte it
/// rejected: a value is possible only where that decoder rejects it, given the bytes after it
/// (UTF-8 read as GB18030 loses `0x80` before `BC E6`, since `0x83 0xE6` would have made a
/// character). Unknowns a few bytes apart (one character of `really`) are filled jointly, every
/// combination of their possible values scored together in a window; larger groups fall back to one
/// at a time, except a group with a whole lost character, whose candidates are the characters
/// `whole` knows whose bytes fit there, shortlisted by the n-gram model. Then each group's few best combinations are compared once more in a wider window
/// (about a clause), so that what lies beyond the first (the script, a word further on) decides.
/// A whole lost character is filled only when its best filling reads better than the next by
/// `guess.margin` over that clause: the bytes tell nothing of it. Its n-gram scorings are charged
/// by `guess.charge`, which scores `-inf` once it refuses.
pub fn resolve_rejected(
    bytes: &mut Bytes,
    read_as: Charset,
    really: Charset,
    score: &dyn Fn(&str) -> f64,
    (left, right): (&str, &str),
    (whole, guess): (&WholeCharacters, Guess),
) {
    let unknown = std::mem::take(&mut bytes.unknown);
    let window = Window {
        charset: really,
        score,
        left,
        right,
    };
    // A whole lost character is guessed by the stage's score and the n-gram model's together.
    let with_ngrams = |t: &str| match (guess.charge)(1) {
        true => score(t) + whole.score(t),
        false => f64::NEG_INFINITY,
    };
    let guessing = Window {
        score: &with_ngrams,
        ..window
    };
    let possible: Vec<Vec<u8>> = unknown
        .iter()
        .map(|&at| rejected_values(read_as, &bytes.bytes[at + 1..]))
        .collect();
    let mut shortlists = Vec::new();
    for group in joint_groups(&unknown) {
        let positions = &unknown[group.clone()];
        let choices = &possible[group];
        if combinations(choices) <= MAX_COMBINATIONS {
            let ranked = fill_jointly(&mut bytes.bytes, positions, choices, read_as, &window);
            shortlists.push((positions, ranked));
        } else if !guesses_whole_character(positions, really) {
            fill_greedily(&mut bytes.bytes, positions, |i| &choices[i], &window);
        } else {
            let slots = character_slots(&bytes.bytes, positions, choices, really, (whole, guess));
            let ranked = fill_slots(&mut bytes.bytes, positions, &slots, read_as, &guessing);
            shortlists.push((positions, ranked));
        }
    }
    for (positions, ranked) in shortlists.iter().filter(|(_, r)| r.len() > 1) {
        let (first, last) = (positions[0], positions[positions.len() - 1]);
        let mut scored: Vec<(f64, &[u8])> = ranked
            .iter()
            .map(|values| {
                set(&mut bytes.bytes, positions, values);
                let judge = if guesses_whole_character(positions, really) {
                    &guessing
                } else {
                    &window
                };
                (
                    judge.score_wide(&bytes.bytes, first, last),
                    values.as_slice(),
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let margin = scored[0].0 - scored[1].0;
        if guesses_whole_character(positions, really) && margin < guess.margin {
            // The bytes cannot tell and the context does not decide: leave the character lost,
            // so the clause is left as it is and flagged rather than given a plausible wrong one.
            positions.iter().for_each(|&at| bytes.bytes[at] = UNKNOWN);
        } else {
            set(&mut bytes.bytes, positions, scored[0].1);
        }
    }
}

/// Whether unknown bytes side by side are as many as a whole character of `really` (two in a
/// double-byte charset, three in UTF-8, where two lost bytes of three still leave the character's
/// structure): what is filled there comes from the context alone.
pub(super) fn guesses_whole_character(positions: &[usize], really: Charset) -> bool {
    let whole = if really == Charset::Utf8 { 3 } else { 2 };
    positions
        .windows(whole)
        .any(|w| w[whole - 1] == w[0] + whole - 1)
}

/// The non-ASCII values a lost byte may have had: those the `read_as` decoder rejects before `next`.
pub(super) fn rejected_values(read_as: Charset, next: &[u8]) -> Vec<u8> {
    (0x80..=0xFE)
        .filter(|&v| rejects(read_as, v, next))
        .collect()
}

/// How many combinations of `choices` there are, saturating (a long run of unknowns has more than
/// any count holds).
pub(super) fn combinations(choices: &[Vec<u8>]) -> usize {
    choices
        .iter()
        .try_fold(1usize, |n, c| n.checked_mul(c.len()))
        .unwrap_or(usize::MAX)
}

pub(super) fn set(bytes: &mut [u8], positions: &[usize], values: &[u8]) {
    for (&at, &value) in positions.iter().zip(values) {
        bytes[at] = value;
    }
}

/// Fill the unknown bytes of an outer layer (`read_as`, `really`) of a chain whose output was
/// garbled again by `inner`. Its output is itself garbled text, which no model can judge, so each
/// possible filling is judged by the inner layer: re-encoded by `inner.0`, its bytes must still make
/// well-formed `inner.1` (the original UTF-8 structure, lost bytes counting as wildcards), and among
/// the fillings that do, the model picks the best inner decoding, its own lost bytes filled. Double
/// UTF-8 read as GB18030 loses the `BD` of an inner U+FFFD (`EF BF BD`) before an ASCII byte.
pub(super) fn resolve_outer(
    bytes: &mut Bytes,
    (read_as, really): (Charset, Charset),
    inner: (Charset, Charset),
    tables: &Tables,
    score: &dyn Fn(&str) -> f64,
    guess: Guess,
) {
    let unknown = std::mem::take(&mut bytes.unknown);
    if !really.is_multibyte() {
        return;
    }
    for group in joint_groups(&unknown) {
        let positions = &unknown[group];
        let choices: Vec<Vec<u8>> = positions
            .iter()
            .map(|&at| rejected_values(read_as, &bytes.bytes[at + 1..]))
            .collect();
        if combinations(&choices) > MAX_COMBINATIONS || choices.iter().any(Vec::is_empty) {
            continue;
        }
        let (Some(&first), Some(&last)) = (positions.first(), positions.last()) else {
            continue;
        };
        let lo = first.saturating_sub(REACH);
        let hi = (last + 1 + REACH).min(bytes.bytes.len());
        let mut plausible: Vec<OuterFilling> = Vec::new();
        let mut index = vec![0usize; positions.len()];
        loop {
            let values: Vec<u8> = index.iter().zip(&choices).map(|(&i, c)| c[i]).collect();
            set(&mut bytes.bytes, positions, &values);
            let consistent = positions
                .iter()
                .all(|&at| rejects(read_as, bytes.bytes[at], &bytes.bytes[at + 1..]));
            let output = decode(&bytes.bytes[lo..hi], really);
            let encoded = encode_with(&output, inner.0, &tables.plain_big5);
            if let Some(encoded) = encoded.filter(|_| consistent) {
                let flaws = if inner.1 == Charset::Utf8 {
                    utf8_flaws(&encoded.bytes)
                } else {
                    0
                };
                plausible.push(OuterFilling {
                    flaws,
                    values,
                    inner: encoded,
                });
            }
            if !next_combination(&mut index, &choices) {
                break;
            }
        }
        // A filling that leaves the inner bytes malformed is no undoing: keep the cleanest, and none
        // where even those are malformed (the hypothesis is wrong there; the bytes stay unknown).
        let fewest = plausible.iter().map(|p| p.flaws).min();
        plausible.retain(|p| Some(p.flaws) == fewest && p.flaws <= MAX_INNER_FLAWS);
        if plausible.len() > SHORTLIST {
            // Rank by the inner decoding with its lost bytes left out, then fill only the best few.
            let mut ranked: Vec<(f64, OuterFilling)> = plausible
                .into_iter()
                .map(|p| {
                    let text = decode(&p.inner.bytes, inner.1).replace('\u{FFFD}', "");
                    (score(&text), p)
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            plausible = ranked.into_iter().take(SHORTLIST).map(|r| r.1).collect();
        }
        let best = match plausible.len() {
            0 | 1 => plausible.pop().map(|p| p.values),
            _ => plausible
                .into_iter()
                .map(|mut p| {
                    resolve_rejected(
                        &mut p.inner,
                        inner.0,
                        inner.1,
                        score,
                        ("", ""),
                        (&tables.whole, guess),
                    );
                    (score(&decode(&p.inner.bytes, inner.1)), p.values)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, values)| values),
        };
        match best {
            Some(values) => set(&mut bytes.bytes, positions, &values),
            None => positions.iter().for_each(|&at| bytes.bytes[at] = UNKNOWN),
        }
    }
}

/// One filling of an outer layer's unknown bytes: its values, the inner layer's bytes it gives and
/// how malformed those are.
pub(super) struct OuterFilling {
    flaws: usize,
    values: Vec<u8>,
    inner: Bytes,
}

/// Violations of UTF-8 structure in `bytes`, [`UNKNOWN`] matching anything; a sequence cut by either
/// end of the slice is not a violation.
pub(super) fn utf8_flaws(bytes: &[u8]) -> usize {
    let is_continuation = |b: u8| b == UNKNOWN || (0x80..=0xBF).contains(&b);
    let mut flaws = 0;
    // Skip the continuation bytes of a character the slice starts inside.
    let mut i = bytes
        .iter()
        .take(3)
        .take_while(|&&b| is_continuation(b))
        .count();
    while i < bytes.len() {
        let expected = match bytes[i] {
            UNKNOWN | 0x00..=0x7F => 0,
            0xC2..=0xDF => 1,
            0xE0..=0xEF => 2,
            0xF0..=0xF4 => 3,
            _ => {
                flaws += 1;
                0
            }
        };
        let run = bytes[i + 1..]
            .iter()
            .take(expected)
            .take_while(|&&b| is_continuation(b))
            .count();
        if run < expected && i + 1 + run < bytes.len() {
            flaws += 1;
        }
        i += 1 + run;
    }
    flaws
}

/// Unknowns at most this many bytes apart are filled together (they may share a character).
pub(super) const JOINT_SPAN: usize = 3;
/// The most value combinations one group of unknowns is scored with.
pub(super) const MAX_COMBINATIONS: usize = 1024;
/// Malformed inner sequences an outer filling may leave in its window (where the window cuts a
/// character); more means the hypothesis is wrong there.
pub(super) const MAX_INNER_FLAWS: usize = 1;
/// Combinations of a group compared again in the whole text.
pub(super) const SHORTLIST: usize = 4;
/// The most candidates for one whole lost character that the stage's model scores (the n-gram
/// model ranks them all first).
pub(super) const CHARACTER_SHORTLIST: usize = 32;
/// Bytes decoded either side of an unknown when scoring a value for it.
pub(super) const REACH: usize = 15;
/// Bytes decoded either side of a group when its shortlist is compared again: about a clause.
pub(super) const WIDE_REACH: usize = 60;

/// Index ranges of `unknown` (sorted positions) whose neighbours are at most [`JOINT_SPAN`] apart.
pub(super) fn joint_groups(unknown: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=unknown.len() {
        if i == unknown.len() || unknown[i] - unknown[i - 1] > JOINT_SPAN {
            groups.push(start..i);
            start = i;
        }
    }
    groups
}

/// How a candidate filling is scored: decoded in `charset` around the filled bytes, with the
/// context the bytes sit between where the window reaches their ends.
pub(super) struct Window<'a> {
    charset: Charset,
    score: &'a dyn Fn(&str) -> f64,
    left: &'a str,
    right: &'a str,
}

impl Window<'_> {
    pub(super) fn score(&self, bytes: &[u8], first: usize, last: usize) -> f64 {
        self.score_reaching(bytes, first, last, REACH)
    }

    /// [`Self::score`] over [`WIDE_REACH`] bytes either side.
    pub(super) fn score_wide(&self, bytes: &[u8], first: usize, last: usize) -> f64 {
        self.score_reaching(bytes, first, last, WIDE_REACH)
    }

    pub(super) fn score_reaching(
        &self,
        bytes: &[u8],
        first: usize,
        last: usize,
        reach: usize,
    ) -> f64 {
        let lo = first.saturating_sub(reach);
        let hi = (last + 1 + reach).min(bytes.len());
        let window = decode(&bytes[lo..hi], self.charset);
        let mut scored = String::with_capacity(self.left.len() + window.len() + self.right.len());
        if lo == 0 {
            scored.push_str(self.left);
        }
        scored.push_str(&window);
        if hi == bytes.len() {
            scored.push_str(self.right);
        }
        (self.score)(&scored)
    }
}

/// Fill `positions` one at a time, left to right, then once more with every other one filled.
pub(super) fn fill_greedily<'c>(
    bytes: &mut [u8],
    positions: &[usize],
    choices: impl Fn(usize) -> &'c [u8],
    window: &Window,
) {
    let passes = if positions.len() > 1 { 2 } else { 1 };
    for _ in 0..passes {
        for (i, &at) in positions.iter().enumerate() {
            let mut best: Option<(f64, u8)> = None;
            for &value in choices(i) {
                bytes[at] = value;
                let value_score = window.score(bytes, at, at);
                if best.is_none_or(|(s, _)| value_score > s) {
                    best = Some((value_score, value));
                }
            }
            bytes[at] = best.map_or(UNKNOWN, |(_, v)| v);
        }
    }
}

/// Try every combination of `choices` at `positions` that the `read_as` decoder would still have
/// rejected byte by byte (a choice checked alone may have had an unknown after it), fill in the
/// best scored and return the [`SHORTLIST`] best, best first.
pub(super) fn fill_jointly(
    bytes: &mut [u8],
    positions: &[usize],
    choices: &[Vec<u8>],
    read_as: Charset,
    window: &Window,
) -> Vec<Vec<u8>> {
    let slots: Vec<Vec<Vec<u8>>> = choices
        .iter()
        .map(|c| c.iter().map(|&v| vec![v]).collect())
        .collect();
    fill_slots(bytes, positions, &slots, read_as, window)
}

/// [`fill_jointly`] over slots: each slot fills the next few positions with one of its values (a
/// byte, or the bytes of a whole character).
fn fill_slots(
    bytes: &mut [u8],
    positions: &[usize],
    slots: &[Vec<Vec<u8>>],
    read_as: Charset,
    window: &Window,
) -> Vec<Vec<u8>> {
    let (Some(&first), Some(&last)) = (positions.first(), positions.last()) else {
        return Vec::new();
    };
    let mut scored: Vec<(f64, Vec<u8>)> = Vec::new();
    let mut index = vec![0usize; slots.len()];
    if slots.iter().all(|c| !c.is_empty()) {
        loop {
            let values: Vec<u8> = index
                .iter()
                .zip(slots)
                .flat_map(|(&i, slot)| slot[i].iter().copied())
                .collect();
            set(bytes, positions, &values);
            let consistent = positions
                .iter()
                .all(|&at| rejects(read_as, bytes[at], &bytes[at + 1..]));
            if consistent {
                scored.push((window.score(bytes, first, last), values));
            }
            if !next_combination(&mut index, slots) {
                break;
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(SHORTLIST);
    match scored.first() {
        Some((_, values)) => set(bytes, positions, values),
        None => positions.iter().for_each(|&at| bytes[at] = UNKNOWN),
    }
    scored.into_iter().map(|(_, values)| values).collect()
}

/// The slots of a group of unknowns too large to fill byte by byte that holds a whole lost
/// character: each run of unknowns side by side as long as one or more characters of `really` is
/// one slot of the readings `whole` ranks best there, each other unknown a slot of its possible
/// values, the readings cut so that the combinations stay within [`MAX_COMBINATIONS`] (none when
/// the single bytes alone exceed it: the group is then left unknown).
fn character_slots(
    bytes: &[u8],
    positions: &[usize],
    choices: &[Vec<u8>],
    really: Charset,
    (whole, guess): (&WholeCharacters, Guess),
) -> Vec<Vec<Vec<u8>>> {
    let w = width(really);
    // (first index, unknowns covered, whole characters)
    let mut runs = Vec::new();
    let mut i = 0;
    while i < positions.len() {
        let side_by_side = positions[i..]
            .iter()
            .enumerate()
            .take_while(|&(k, &at)| at == positions[i] + k)
            .count();
        let characters = side_by_side / w;
        let len = if characters > 0 { characters * w } else { 1 };
        runs.push((i, len, characters));
        i += len;
    }
    let singles: Vec<Vec<u8>> = runs
        .iter()
        .filter(|r| r.2 == 0)
        .map(|r| choices[r.0].clone())
        .collect();
    let slots = runs.iter().filter(|r| r.2 > 0).count() as u32;
    let room = MAX_COMBINATIONS / combinations(&singles).max(1);
    // The longest shortlist per slot whose power stays within the room left.
    let keep = (1..=CHARACTER_SHORTLIST)
        .take_while(|k| k.checked_pow(slots).is_some_and(|n| n <= room))
        .last()
        .unwrap_or(0);
    runs.iter()
        .map(|&(i, len, characters)| {
            if characters == 0 {
                choices[i].iter().map(|&v| vec![v]).collect()
            } else {
                let place = (bytes, positions[i], characters);
                let choices = &choices[i..i + len];
                whole.ranked(really, place, choices, (REACH, keep), guess.charge)
            }
        })
        .collect()
}

/// Advance a mixed-radix counter over `choices`; false once every combination has been seen.
pub(super) fn next_combination<T>(index: &mut [usize], choices: &[Vec<T>]) -> bool {
    for (i, slot) in index.iter_mut().enumerate().rev() {
        *slot += 1;
        if *slot < choices[i].len() {
            return true;
        }
        *slot = 0;
    }
    false
}
