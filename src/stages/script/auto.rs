//! `auto`: the page's own script and region, and the minority characters brought into them.

use std::collections::{HashMap, HashSet};
use std::iter::once;
use std::ops::Range;

use crate::text::chars::is_han;
use crate::types::BlockKind;

use super::classes::CharClasses;
use super::convert::{Changed, NeighbourValues};
use super::scan::{Census, Scan, merged_windows};
use super::{CharChange, Region, RoundTrip, Script};

impl Script {
    /// Count the script and region markers of a text's main text.
    pub fn census(&self, text: &str) -> Census {
        self.scan(text, &[], &[]).census
    }

    pub(super) fn scan(&self, text: &str, kinds: &[BlockKind], garbled: &[Range<usize>]) -> Scan {
        Scan::new(&self.classes, text, kinds, garbled, self.prose_min_han)
    }

    /// `auto`: the residue rate of a text and the changes made (none below the gate).
    pub fn auto(&self, text: &str) -> (f64, Vec<CharChange>) {
        let scan = self.scan(text, &[], &[]);
        let changes = self.auto_candidates(text, &scan, false).unwrap_or_default();
        let han = scan.own().han;
        let residue = changes.len() as f64 * 1000.0 / han.max(1) as f64;
        if self.passes_gate(changes.len(), han) {
            (residue, changes)
        } else {
            (residue, Vec::new())
        }
    }

    /// The changes `auto` makes (none below the gate).
    pub(super) fn auto_changes(&self, text: &str, scan: &Scan) -> Vec<CharChange> {
        match self.auto_candidates(text, scan, true) {
            Some(changes) if self.passes_gate(changes.len(), scan.own().han) => changes,
            _ => Vec::new(),
        }
    }

    /// Whether `changes` on a page of `han` Han characters reach the residue gate.
    pub(super) fn passes_gate(&self, changes: usize, han: usize) -> bool {
        han > 0
            && changes >= self.min_changes
            && changes as f64 * 1000.0 / han as f64 >= self.min_residue
    }

    /// Whether `auto` may change the suspect or changeable character at byte `at` (an upper bound on
    /// [`Script::to_traditional`]): a suspect changes only by its character entry or inside a
    /// phrase, and a phrase needs a neighbour that [`Entries::changing_neighbours`] lists.
    pub(super) fn may_change(&self, text: &str, at: usize, region: Region) -> bool {
        let Some(c) = text[at..].chars().next() else {
            return false;
        };
        if self.classes.changes_alone(c) {
            return true;
        }
        let folded = |c: char| is_han(c).then(|| self.classes.simplify(c));
        let s = self.classes.simplify(c);
        let before = text[..at].chars().next_back().and_then(folded);
        let after = text[at + c.len_utf8()..].chars().next().and_then(folded);
        let pairs = [
            before.map(|b| (b, s, Changed::Second)),
            after.map(|a| (s, a, Changed::First)),
        ];
        let glyphs = self.glyph_map(region);
        pairs
            .into_iter()
            .flatten()
            .flat_map(|(first, second, changed)| self.phrase_neighbours.get(first, second, changed))
            .any(|(to, target)| {
                AUTO_REGIONS[target] == region
                    && may_become(&self.classes, &self.acceptable, glyphs, c, to)
            })
    }

    /// Every change `auto` would make if the page passed the gate. With `give_up`, a traditional
    /// page stops (`None`) as soon as its changes so far and the suspects left that may change
    /// cannot reach the gate: genuine traditional text is left after a fraction of the work.
    pub(super) fn auto_candidates(
        &self,
        text: &str,
        scan: &Scan,
        give_up: bool,
    ) -> Option<Vec<CharChange>> {
        let (census, own) = (&scan.census, scan.own());
        if own.han == 0 {
            return Some(Vec::new());
        }
        if census.is_traditional() {
            let mut live: Vec<usize> = Vec::new();
            if give_up {
                let candidates = own.suspects.iter().chain(&own.changeable);
                let region = census.region();
                live.extend(candidates.filter(|&&at| self.may_change(text, at, region)));
                live.sort_unstable();
            }
            let out_of_reach = |changes: usize, live_left: usize| {
                give_up && !self.passes_gate(changes + live_left, own.han)
            };
            if out_of_reach(0, live.len()) {
                return None;
            }
            let mut done = 0;
            let windows = merged_windows(text, own.suspects.iter().copied(), &own.pieces);
            let round_trip = RoundTrip {
                region: census.region(),
                acceptable_too: false,
                traditional_too: true,
            };
            self.to_traditional(text, windows, round_trip, |window, changes| {
                done += live[done..].partition_point(|&at| at < window.end);
                out_of_reach(changes, live.len() - done)
            })
        } else {
            let traditional = own.pieces.iter().flat_map(|piece| {
                text[piece.clone()]
                    .char_indices()
                    .filter(|&(_, c)| self.classes.is_traditional(c))
                    .map(move |(at, _)| piece.start + at)
            });
            Some(self.to_simplified(text, merged_windows(text, traditional, &own.pieces)))
        }
    }
}

/// The regions `auto` converts to (the targets of [`Script::phrase_neighbours`], in order).
pub(super) const AUTO_REGIONS: [Region; 2] = [Region::Tw, Region::Hk];

/// Whether `auto` in a region with these `glyphs` may change `from` to `to`: a traditional-only
/// character only to another one that is not its regional glyph, and never to an acceptable form.
pub(super) fn may_become(
    classes: &CharClasses,
    acceptable: &HashSet<(char, char)>,
    glyphs: &HashMap<char, char>,
    from: char,
    to: char,
) -> bool {
    let allowed = !classes.is_traditional(from)
        || (classes.is_traditional(to) && glyphs.get(&from) != Some(&to));
    to != from && allowed && !acceptable.contains(&(from, to))
}

/// The characters a phrase of `neighbours` may change in `auto` (`glyphs`: the maps of
/// [`AUTO_REGIONS`], in order).
pub(super) fn changeable_chars(
    classes: &CharClasses,
    neighbours: &NeighbourValues,
    acceptable: &HashSet<(char, char)>,
    glyphs: [&HashMap<char, char>; 2],
) -> Vec<char> {
    let traditional_of = classes.traditional_of();
    let mut changes: Vec<(char, char, usize)> = neighbours.changes().collect();
    changes.sort_unstable();
    changes.dedup();
    let mut changeable = Vec::new();
    for (key, to, target) in changes {
        let forms = traditional_of.get(&key).map_or(&[][..], Vec::as_slice);
        let may = |from: char| may_become(classes, acceptable, glyphs[target], from, to);
        changeable.extend(
            once(key)
                .chain(forms.iter().copied())
                .filter(|&from| may(from)),
        );
    }
    changeable
}

/// Whether a phrase (a character range) cuts across the words of the model's segmentation: some
/// word overlaps it without either holding the other. A phrase that starts and ends on word
/// boundaries (不|舍 in 不舍一文錢, where the model knows no word 不舍) or lies inside one word
/// stands; 加注 in 更加|注重 does not.
pub(super) fn straddles(phrase: &Range<usize>, words: &[Range<usize>]) -> bool {
    words.iter().any(|w| {
        let overlaps = w.start < phrase.end && phrase.start < w.end;
        let nested = (w.start <= phrase.start && phrase.end <= w.end)
            || (phrase.start <= w.start && w.end <= phrase.end);
        overlaps && !nested
    })
}
