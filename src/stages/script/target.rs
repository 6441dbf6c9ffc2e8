//! The explicit modes: OpenCC's chains for the page's script, leftovers and the masked round
//! trip.

use std::collections::HashMap;
use std::ops::Range;

use crate::document::Change;

use super::auto::straddles;
use super::convert::Converter;
use super::explicit::{Explicit, Target};
use super::opencc::{self, Traced};
use super::scan::{Census, Regions, Scan, merge, merged_windows, push_outside};
use super::{CONVERT_RULE, CharChange, Mode, Region, RoundTrip, Script};

impl Script {
    /// An explicit mode: the edits of OpenCC's chains for what the page is written in, outside
    /// the garbled runs and the spin reversals (which write their own text). A traditional page
    /// going to a traditional target first has its simplified leftovers brought to standard
    /// traditional by the masked round trip (OpenCC's `t2tw` would leave them), so the chains see
    /// the uniform traditional text they are made for.
    pub(super) fn explicit_edits(
        &self,
        text: &str,
        scan: &Scan,
        explicit: &Explicit,
        garbled: &[Range<usize>],
        reversals: &[Change],
    ) -> Vec<Change> {
        let all = &scan.all;
        let mut readable = Vec::new();
        push_outside(0..text.len(), garbled, &mut readable);
        let source = explicit.evidence.source(text, &readable, &scan.census);
        let leftovers: Vec<(usize, char)> = match (source, explicit.target) {
            (Some(region), Target::Traditional(_)) if !explicit.glyphs_only => self
                .leftovers(text, all, |c| explicit.evidence.is_own_glyph(c, region))
                .iter()
                .map(|c| (c.range.start, c.to))
                .collect(),
            _ => Vec::new(),
        };
        let reversed = reversals.iter().map(|r| r.range.clone());
        let untouchable = merge(garbled.iter().cloned().chain(reversed).collect());
        let mut spans = Vec::new();
        push_outside(0..text.len(), &untouchable, &mut spans);
        let mut edits = Vec::new();
        for span in spans {
            let traced = Traced::with_changes(text, span, &leftovers);
            let converted = opencc::convert(explicit.chains(source), text, traced);
            for (range, to) in converted.replacements(text) {
                let reason = format!("{} → {to}", &text[range.clone()]);
                edits.push(Change::replace(range, to, CONVERT_RULE, reason));
            }
        }
        edits
    }

    /// The simplified leftovers of a traditional text and their standard traditional forms: the
    /// masked round trip of every suspect but the page's own regional glyphs, acceptable pairs
    /// included (the target was asked for), traditional characters left as written (as OpenCC
    /// leaves them).
    pub(super) fn leftovers(
        &self,
        text: &str,
        regions: &Regions,
        own_glyph: impl Fn(char) -> bool,
    ) -> Vec<CharChange> {
        let suspects = regions
            .suspects
            .iter()
            .copied()
            .filter(|&at| text[at..].chars().next().is_some_and(|c| !own_glyph(c)));
        let windows = merged_windows(text, suspects, &regions.pieces);
        let round_trip = RoundTrip {
            region: Region::Standard,
            acceptable_too: true,
            traditional_too: false,
        };
        let mut changes = self
            .to_traditional(text, windows, round_trip, |_, _| false)
            .unwrap_or_default();
        changes.retain(|c| !own_glyph(c.from));
        changes
    }

    /// The converted text of a whole string in the stage's traditional or simplified target (for
    /// spin reversals written in the page's script).
    pub(super) fn in_page_script(&self, census: &Census, simplified: &str) -> String {
        let region = match &self.mode {
            Mode::Keep | Mode::Auto => census.is_traditional().then(|| census.region()),
            Mode::Explicit(explicit) => match explicit.target {
                Target::Simplified => None,
                Target::Traditional(region) => Some(region),
            },
        };
        let Some(converter) = region.and_then(|r| self.traditional_converter(r)) else {
            return simplified.to_string();
        };
        let converted = converter.convert(simplified);
        simplified
            .chars()
            .zip(converted.chars())
            .map(|(s, t)| {
                if self.acceptable.contains(&(s, t)) {
                    s
                } else {
                    t
                }
            })
            .collect()
    }

    pub(super) fn glyph_map(&self, region: Region) -> &HashMap<char, char> {
        match region {
            Region::Standard => &self.no_glyphs,
            Region::Tw => &self.tw_glyphs,
            Region::Hk => &self.hk_glyphs,
        }
    }

    /// The converter to a traditional target. The shared 50k-phrase automaton is compiled on
    /// first use: it is most of the stage's start-up, and `auto` on pages that need no conversion
    /// (and `hans`, `keep`) never uses it.
    pub(super) fn traditional_converter(&self, region: Region) -> Option<&Converter> {
        let converters = self.traditional.get_or_init(|| {
            let source = self
                .traditional_source
                .lock()
                .map_err(|_| "a thread panicked while building the phrase tables".to_string())?
                .take()
                .ok_or_else(|| "the phrase tables were taken".to_string())?;
            source
                .build(&self.tw_glyphs, &self.hk_glyphs)
                .map_err(|e| e.to_string())
        });
        let [hant, tw, hk] = converters.as_ref().ok()?;
        Some(match region {
            Region::Standard => hant,
            Region::Tw => tw,
            Region::Hk => hk,
        })
    }

    /// Changes that bring `text` (in the given windows) into traditional script: a masked round
    /// trip through simplified (see [`RoundTrip`]). A character that a phrase matching the text as
    /// written keeps (丑 in 幺麼小丑) stays: the fold would lose that phrase (幺么小丑 → 幺麼小醜).
    /// After each window `give_up(window, changes so far)` may stop the work (`None`).
    pub(super) fn to_traditional(
        &self,
        text: &str,
        windows: impl IntoIterator<Item = Range<usize>>,
        options: RoundTrip,
        mut give_up: impl FnMut(&Range<usize>, usize) -> bool,
    ) -> Option<Vec<CharChange>> {
        let Some(converter) = self.traditional_converter(options.region) else {
            return Some(Vec::new());
        };
        let mut changes = Vec::new();
        let glyphs_of = self.glyph_map(options.region);
        let mut folded = String::new();
        let mut round_trip = String::new();
        let mut spans = Vec::new();
        let mut as_written = String::new();
        let mut written_spans = Vec::new();
        for window in windows {
            let original = &text[window.clone()];
            // A character-level fold is enough: it only gives the phrases around the suspect
            // characters, which are not traditional-only and so fold to themselves.
            folded.clear();
            folded.extend(original.chars().map(|c| self.classes.simplify(c)));
            round_trip.clear();
            converter.convert_simplified_into(&folded, &mut round_trip, &mut spans);
            let trips = round_trip.chars().zip(spans.iter());
            let mut words: Option<Vec<Range<usize>>> = None;
            let mut kept_by_phrase: Option<Vec<bool>> = None;
            for (index, ((offset, from), (trip, span))) in
                original.char_indices().zip(trips).enumerate()
            {
                let phrase = span.len() > 1;
                let to = if trip == from {
                    continue;
                } else if !self.classes.is_traditional(from) {
                    if phrase && trip != from {
                        // A phrase may straddle two words (更加|注重 holds 加注 → 加註): then the
                        // character takes the conversion of its own word.
                        let words = words.get_or_insert_with(|| self.model.words(&folded));
                        if straddles(span, words) {
                            self.convert_in_word(converter, &folded, words, index)
                                .unwrap_or(trip)
                        } else {
                            trip
                        }
                    } else {
                        trip
                    }
                } else if options.traditional_too
                    && phrase
                    && trip != from
                    && self.classes.is_traditional(trip)
                    && glyphs_of.get(&from) != Some(&trip)
                {
                    // A half-converted word: another traditional character that a phrase asks
                    // for (盡管 → 儘管, 沖擊 → 衝擊), not a glyph variant (爲/為). Character
                    // defaults never replace a traditional character (捨, 乾, 鬆 stay).
                    trip
                } else {
                    continue;
                };
                let allowed = options.acceptable_too || !self.acceptable.contains(&(from, to));
                if to == from || !allowed {
                    continue;
                }
                let kept = kept_by_phrase.get_or_insert_with(|| {
                    as_written.clear();
                    converter.convert_simplified_into(
                        original,
                        &mut as_written,
                        &mut written_spans,
                    );
                    let written = as_written.chars().zip(original.chars()).zip(&written_spans);
                    written
                        .map(|((w, o), span)| span.len() > 1 && w == o)
                        .collect()
                });
                if !kept[index] {
                    changes.push(CharChange::at(window.start + offset, from, to));
                }
            }
            if give_up(&window, changes.len()) {
                return None;
            }
        }
        Some(changes)
    }

    /// The conversion of character `index` of the simplified `folded` text when its word (by the
    /// language model's segmentation) is converted alone.
    pub(super) fn convert_in_word(
        &self,
        converter: &Converter,
        folded: &str,
        words: &[Range<usize>],
        index: usize,
    ) -> Option<char> {
        let word = words.iter().find(|w| w.contains(&index))?;
        let text: String = folded.chars().skip(word.start).take(word.len()).collect();
        let (mut out, mut spans) = (String::new(), Vec::new());
        converter.convert_simplified_into(&text, &mut out, &mut spans);
        out.chars().nth(index - word.start)
    }

    /// Changes that bring the traditional characters of `text` (in the windows) into simplified.
    pub(super) fn to_simplified(
        &self,
        text: &str,
        windows: impl IntoIterator<Item = Range<usize>>,
    ) -> Vec<CharChange> {
        let mut changes = Vec::new();
        for window in windows {
            let original = &text[window.clone()];
            let converted = self.to_hans.convert(original);
            for ((offset, from), to) in original.char_indices().zip(converted.chars()) {
                if to != from {
                    changes.push(CharChange::at(window.start + offset, from, to));
                }
            }
        }
        changes
    }
}
