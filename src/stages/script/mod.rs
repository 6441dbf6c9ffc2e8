//! `script`: bring minority-script characters into the page's own script and region (`auto`), or
//! convert to a configured target with OpenCC's configurations (`hans`, `hant`, `tw`, `twp`, `hk`,
//! `hkp`, `hansp`); and flag synonym-spun pages and reverse their spin substitutions (see
//! [`spin`]).
//!
//! Naive character-by-character simplified→traditional conversion leaves legal but wrong characters
//! (什么, 于, 关系 for 關係). They are found with a masked round trip: a window around each character
//! that could be simplified is folded to simplified and converted back phrase by phrase, and only
//! characters that are not traditional-only may change, so genuine characters (捨, 乾, 鬆) that a
//! round trip would damage are never touched. In `auto` a page is converted only when such changes
//! are frequent enough (the residue rate), because genuine traditional text has a few of them too;
//! the page's script is decided by its main text ([`scan`]), and lines in the other script and
//! garbled runs are left alone.

pub mod classes;
pub mod convert;
pub mod explicit;
pub mod opencc;
pub mod scan;
pub mod spin;

use std::collections::{HashMap, HashSet};
use std::iter::once;
use std::ops::Range;
use std::sync::{Mutex, OnceLock};

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::settings::ScriptSettings;
use crate::rules::{Rule, RuleSet};
use crate::stages::Stage;
use crate::text::chars::is_han;
use crate::types::BlockKind;
use crate::types::StageName;

use classes::CharClasses;
use convert::{Changed, Converter, Dictionary, Entries, NeighbourValues, char_map, parse_table};
use explicit::{Explicit, Modes, Target};
use opencc::Traced;
pub use scan::Census;
use scan::{Regions, Scan, garbled_runs, merge, merged_windows, push_outside};
use spin::SpinDetector;

use crate::text::lm;

const CONVERT_RULE: &str = "script.convert";

/// What the stage does to a page's script.
enum Mode {
    Auto,
    Keep,
    Explicit(Box<Explicit>),
}

/// A traditional target: OpenCC standard glyphs, or a region's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    Standard,
    Tw,
    Hk,
}

/// One character change proposed by a conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharChange {
    pub range: Range<usize>,
    pub from: char,
    pub to: char,
}

impl CharChange {
    /// `from` at byte `start` becomes `to`.
    fn at(start: usize, from: char, to: char) -> Self {
        CharChange {
            range: start..start + from.len_utf8(),
            from,
            to,
        }
    }
}

pub struct Script {
    mode: Mode,
    /// `auto` converts a page only at this many changes per 1000 Han characters, and at least
    /// `min_changes` of them.
    min_residue: f64,
    min_changes: usize,
    /// A line is prose (it votes on the page's script) with at least this many Han characters and
    /// a clause mark.
    prose_min_han: usize,
    pub(crate) classes: CharClasses,
    to_hans: Converter,
    /// The phrase tables of the traditional targets, until [`Script::traditional_converter`]
    /// first needs them.
    traditional_source: Mutex<Option<TraditionalSource>>,
    /// Standard, Taiwan and Hong Kong converters, built on first use (the error, if that failed:
    /// every document from then on is flagged with it).
    traditional: OnceLock<Result<[Converter; 3], String>>,
    /// Regional glyphs of standard traditional characters (爲 → 為), per target.
    no_glyphs: HashMap<char, char>,
    tw_glyphs: HashMap<char, char>,
    hk_glyphs: HashMap<char, char>,
    /// `(as written, conversion)` pairs where both forms are acceptable (平台/平臺).
    acceptable: HashSet<(char, char)>,
    /// Adjacent (simplified) character pairs inside phrases and the values the phrases give: a
    /// suspect with no such neighbour cannot change unless its character entry converts it.
    phrase_neighbours: NeighbourValues,
    spin: Option<SpinDetector>,
}

impl Script {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let rule = rules
            .get(CONVERT_RULE)
            .ok_or_else(|| RuleError::new("rules", 0, format!("missing rule {CONVERT_RULE}")))?;
        let modes = Modes::from_rule(rule)?;
        let built = build_converters(rules, rule)?;
        let settings: ScriptSettings = rules.settings()?;
        let mode_name = &settings.mode;
        let mode = match mode_name.as_str() {
            "auto" => Mode::Auto,
            "keep" => Mode::Keep,
            name => match modes.build(name, rules, rule, &built.classes)? {
                Some(explicit) => Mode::Explicit(Box::new(explicit)),
                None => {
                    return Err(RuleError::new(
                        "settings.script",
                        0,
                        format!(
                            "unknown mode `{mode_name}` (auto, keep, {})",
                            modes.names().join(", ")
                        ),
                    ));
                }
            },
        };
        let ScriptSettings {
            min_residue,
            min_changes,
            prose_min_han,
            ..
        } = settings;
        let spin = SpinDetector::from_rules(rules, &built.classes)?;
        Ok(Script {
            mode,
            min_residue,
            min_changes,
            prose_min_han,
            classes: built.classes,
            to_hans: built.to_hans,
            traditional_source: Mutex::new(Some(built.traditional_source)),
            traditional: OnceLock::new(),
            no_glyphs: HashMap::new(),
            tw_glyphs: built.tw_glyphs,
            hk_glyphs: built.hk_glyphs,
            acceptable: built.acceptable,
            phrase_neighbours: built.phrase_neighbours,
            spin,
        })
    }

    /// Count the script and region markers of a text's main text.
    pub fn census(&self, text: &str) -> Census {
        self.scan(text, &[], &[]).census
    }

    fn scan(&self, text: &str, kinds: &[BlockKind], garbled: &[Range<usize>]) -> Scan {
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
    fn auto_changes(&self, text: &str, scan: &Scan) -> Vec<CharChange> {
        match self.auto_candidates(text, scan, true) {
            Some(changes) if self.passes_gate(changes.len(), scan.own().han) => changes,
            _ => Vec::new(),
        }
    }

    /// Whether `changes` on a page of `han` Han characters reach the residue gate.
    fn passes_gate(&self, changes: usize, han: usize) -> bool {
        han > 0
            && changes >= self.min_changes
            && changes as f64 * 1000.0 / han as f64 >= self.min_residue
    }

    /// Whether `auto` may change the suspect or changeable character at byte `at` (an upper bound on
    /// [`Script::to_traditional`]): a suspect changes only by its character entry or inside a
    /// phrase, and a phrase needs a neighbour that [`Entries::changing_neighbours`] lists.
    fn may_change(&self, text: &str, at: usize, region: Region) -> bool {
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
    fn auto_candidates(&self, text: &str, scan: &Scan, give_up: bool) -> Option<Vec<CharChange>> {
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

    /// An explicit mode: the edits of OpenCC's chains for what the page is written in, outside
    /// the garbled runs and the spin reversals (which write their own text). A traditional page
    /// going to a traditional target first has its simplified leftovers brought to standard
    /// traditional by the masked round trip (OpenCC's `t2tw` would leave them), so the chains see
    /// the uniform traditional text they are made for.
    fn explicit_edits(
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
    fn leftovers(
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
    fn in_page_script(&self, census: &Census, simplified: &str) -> String {
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

    fn glyph_map(&self, region: Region) -> &HashMap<char, char> {
        match region {
            Region::Standard => &self.no_glyphs,
            Region::Tw => &self.tw_glyphs,
            Region::Hk => &self.hk_glyphs,
        }
    }

    /// The converter to a traditional target. The shared 50k-phrase automaton is compiled on
    /// first use: it is most of the stage's start-up, and `auto` on pages that need no conversion
    /// (and `hans`, `keep`) never uses it.
    fn traditional_converter(&self, region: Region) -> Option<&Converter> {
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
    fn to_traditional(
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
                        let words = words.get_or_insert_with(|| lm::model().words(&folded));
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
    fn convert_in_word(
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
    fn to_simplified(
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

/// How a masked round trip treats a window.
#[derive(Debug, Clone, Copy)]
struct RoundTrip {
    /// The glyphs written.
    region: Region,
    /// Whether acceptable pairs (台/臺) change too.
    acceptable_too: bool,
    /// Whether a traditional character changes to another that a phrase asks for (盡管 → 儘管):
    /// `auto` fixes half-converted words; the explicit modes leave traditional text as written,
    /// as OpenCC does (袷衣, 彆強 and 廿二史箚記 are words too).
    traditional_too: bool,
}

/// The regions `auto` converts to (the targets of [`Script::phrase_neighbours`], in order).
const AUTO_REGIONS: [Region; 2] = [Region::Tw, Region::Hk];

/// Whether `auto` in a region with these `glyphs` may change `from` to `to`: a traditional-only
/// character only to another one that is not its regional glyph, and never to an acceptable form.
fn may_become(
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
fn changeable_chars(
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
fn straddles(phrase: &Range<usize>, words: &[Range<usize>]) -> bool {
    words.iter().any(|w| {
        let overlaps = w.start < phrase.end && phrase.start < w.end;
        let nested = (w.start <= phrase.start && phrase.end <= w.end)
            || (phrase.start <= w.start && w.end <= phrase.end);
        overlaps && !nested
    })
}

/// What the traditional converters are built from.
struct TraditionalSource {
    /// Simplified → traditional phrases and characters (the first step of every target).
    phrases: Entries,
    /// The second steps: standard traditional input to Taiwan or Hong Kong glyphs.
    tw_step: Dictionary,
    hk_step: Dictionary,
}

impl TraditionalSource {
    /// The standard, Taiwan and Hong Kong converters, sharing one phrase automaton.
    fn build(
        self,
        tw: &HashMap<char, char>,
        hk: &HashMap<char, char>,
    ) -> Result<[Converter; 3], RuleError> {
        let [hant, tw_phrases, hk_phrases] =
            self.phrases.build_shared([&HashMap::new(), tw, hk])?;
        Ok([
            Converter::new(vec![hant]),
            Converter::new(vec![tw_phrases, self.tw_step]),
            Converter::new(vec![hk_phrases, self.hk_step]),
        ])
    }
}

struct Built {
    classes: CharClasses,
    to_hans: Converter,
    traditional_source: TraditionalSource,
    tw_glyphs: HashMap<char, char>,
    hk_glyphs: HashMap<char, char>,
    acceptable: HashSet<(char, char)>,
    phrase_neighbours: NeighbourValues,
}

/// Build the converters from the table paths named by the `script.convert` rule.
fn build_converters(rules: &RuleSet, rule: &Rule) -> Result<Built, RuleError> {
    rule.expect_keys(&[
        "s2t",
        "t2s",
        "t2s_variants",
        "tw_variants",
        "hk_variants",
        "acceptable",
        "dictionaries",
        "chains",
        "modes",
        "region_vocabulary",
    ])?;
    let paths = |key: &str| rule.param::<Vec<String>>(key);
    let with_context = |e: RuleError| rule.error(e);
    let entries = |files: &[String]| -> Result<Entries, RuleError> {
        let mut entries = Entries::default();
        for file in files {
            entries.add_table(rules, file).map_err(with_context)?;
        }
        Ok(entries)
    };
    let s2t_files = paths("s2t")?;
    let t2s_files = paths("t2s")?;
    let tw_path: String = rule.param("tw_variants")?;
    let hk_path: String = rule.param("hk_variants")?;
    let tw = char_map(rules, &tw_path).map_err(with_context)?;
    let hk = char_map(rules, &hk_path).map_err(with_context)?;
    // Step one converts simplified text straight to each target's glyphs (着 → 著 too, which the
    // standard tables leave alone); step two brings standard traditional input to them.
    let mut simplified = entries(&s2t_files)?;
    for &glyph_key in tw.keys().chain(hk.keys()) {
        simplified.insert(glyph_key.to_string(), glyph_key.to_string());
    }
    let auto_glyphs = AUTO_REGIONS.map(|region| match region {
        Region::Hk => &hk,
        _ => &tw,
    });
    let phrase_neighbours = simplified.changing_neighbours(&auto_glyphs);
    let glyphs = |variants: &HashMap<char, char>| {
        let mut glyphs = Entries::default();
        for (&from, &to) in variants {
            glyphs.insert(from.to_string(), to.to_string());
        }
        glyphs.build()
    };
    let to_hans = Converter::new(vec![
        entries(&paths("t2s_variants")?)?.build()?,
        entries(&t2s_files)?.build()?,
    ]);
    let acceptable_path: String = rule.param("acceptable")?;
    let acceptable: HashSet<(char, char)> =
        parse_table(rules.data_str(&acceptable_path).map_err(with_context)?)
            .filter_map(|(a, b)| Some((a.chars().next()?, b.chars().next()?)))
            .collect();
    let mut classes = CharClasses::build(rules, &s2t_files, &t2s_files, &hk, &tw, &acceptable)
        .map_err(with_context)?;
    let changeable = changeable_chars(&classes, &phrase_neighbours, &acceptable, auto_glyphs);
    classes.mark_changeable(changeable);
    // A lone character converts by its own entry, in each target's glyphs.
    classes.mark_changing_alone(|c| {
        let value = simplified.value_of(c.encode_utf8(&mut [0; 4]));
        let Some(to) = value.and_then(|v| v.chars().next()) else {
            return false;
        };
        [&HashMap::new(), &tw, &hk].iter().any(|glyphs| {
            let to = *glyphs.get(&to).unwrap_or(&to);
            to != c && !acceptable.contains(&(c, to))
        })
    });
    let traditional_source = TraditionalSource {
        phrases: simplified,
        tw_step: glyphs(&tw)?,
        hk_step: glyphs(&hk)?,
    };
    Ok(Built {
        classes,
        to_hans,
        traditional_source,
        tw_glyphs: tw,
        hk_glyphs: hk,
        acceptable,
        phrase_neighbours,
    })
}

impl Stage for Script {
    fn name(&self) -> StageName {
        StageName::Script
    }

    fn run(&self, doc: &mut Document) {
        let garbled = garbled_runs(doc);
        let scan = self.scan(&doc.text, &doc.kinds, &garbled);
        let census = scan.census;
        let reversals = match &self.spin {
            Some(spin) => spin.reversals(doc, scan.all.han, &|s| self.in_page_script(&census, s)),
            None => Vec::new(),
        };
        let mut changes = match &self.mode {
            Mode::Keep => Vec::new(),
            Mode::Auto => {
                conversion_edits(&doc.text, &self.auto_changes(&doc.text, &scan), &reversals)
            }
            Mode::Explicit(explicit) => {
                self.explicit_edits(&doc.text, &scan, explicit, &garbled, &reversals)
            }
        };
        if let Some(Err(why)) = self.traditional.get() {
            doc.flag(
                StageName::Script,
                CONVERT_RULE,
                format!("no conversion to traditional: its converter could not be built: {why}"),
                None,
            );
        }
        changes.extend(reversals);
        // Applying nothing would still copy the text.
        if !changes.is_empty() {
            doc.apply(StageName::Script, changes);
        }
    }
}

/// One edit per run of adjacent converted characters (关系 → 關係), leaving out characters inside
/// a spin reversal (which writes its own replacement in the page's script).
fn conversion_edits(text: &str, conversions: &[CharChange], reversals: &[Change]) -> Vec<Change> {
    let mut sorted: Vec<&Range<usize>> = reversals.iter().map(|r| &r.range).collect();
    sorted.sort_by_key(|r| r.start);
    let reversed = |r: &Range<usize>| {
        let next = sorted.partition_point(|s| s.end <= r.start);
        sorted.get(next).is_some_and(|s| s.start < r.end)
    };
    let mut edits: Vec<Change> = Vec::new();
    for c in conversions.iter().filter(|c| !reversed(&c.range)) {
        match edits.last_mut() {
            Some(last) if last.range.end == c.range.start => {
                last.range.end = c.range.end;
                last.replacement.push(c.to);
            }
            _ => edits.push(Change::replace(
                c.range.clone(),
                c.to.to_string(),
                CONVERT_RULE,
                String::new(),
            )),
        }
    }
    for edit in &mut edits {
        edit.reason = format!("{} → {}", &text[edit.range.clone()], edit.replacement);
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default stage, built once for all tests (building takes a while in debug builds).
    pub(super) fn script() -> &'static Script {
        static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
        SCRIPT.get_or_init(|| Script::from_rules(&RuleSet::defaults().unwrap()).unwrap())
    }

    fn with_mode(mode: &str) -> Script {
        let mut rules = RuleSet::defaults().unwrap();
        rules.override_setting(StageName::Script, "mode", toml::Value::String(mode.into()));
        Script::from_rules(&rules).unwrap()
    }

    fn run(script: &Script, text: &str) -> String {
        let mut doc = Document::from_text(text);
        script.run(&mut doc);
        doc.text
    }

    #[test]
    fn a_converter_that_could_not_be_built_is_flagged_not_silent() {
        let script = with_mode("auto");
        script
            .traditional
            .set(Err("duplicate key".into()))
            .map_err(|_| "already built")
            .unwrap();
        let text = "你了解微營銷是什么嗎?其實你不懂,我們的關系和聯系。";
        let mut doc = Document::from_text(text);
        script.run(&mut doc);
        assert_eq!(doc.text, text);
        let flags: Vec<&str> = doc
            .report
            .flags
            .iter()
            .map(|f| f.message.as_str())
            .collect();
        assert!(
            flags
                .iter()
                .any(|m| m.contains("could not be built: duplicate key")),
            "{flags:?}"
        );
    }

    #[test]
    fn auto_fixes_leftovers_and_half_converted_words() {
        let s = script();
        assert_eq!(
            run(s, "你了解微營銷是什么嗎?我們的關系和聯系,對于這么多人"),
            "你了解微營銷是什麼嗎?我們的關係和聯繫,對於這麼多人"
        );
        assert_eq!(
            run(s, "盡管沖擊很大,這么多人還是留下來了。"),
            "儘管衝擊很大,這麼多人還是留下來了。"
        );
    }

    #[test]
    fn auto_never_touches_genuine_traditional_characters() {
        let s = script();
        let text = "捨不得乾杯,鬆了口氣。什么這么于是後來";
        let out = run(s, text);
        assert!(out.starts_with("捨不得乾杯,鬆了口氣。"), "{out}");
    }

    #[test]
    fn auto_leaves_clean_pages_alone() {
        let s = script();
        for text in [
            "我們的平台很好,了解一下。",
            "这是简体中文的页面,没有问题。",
            "",
        ] {
            assert_eq!(run(s, text), text);
        }
    }

    #[test]
    fn explicit_modes() {
        assert_eq!(run(&with_mode("hans"), "後來皇后來了。"), "后来皇后来了。");
        assert_eq!(run(&with_mode("tw"), "他们的关系很好"), "他們的關係很好");
        assert_eq!(run(&with_mode("hk"), "说话"), "説話");
        assert_eq!(run(&with_mode("keep"), "关系關係"), "关系關係");
    }

    #[test]
    fn unknown_mode_is_an_error() {
        let mut rules = RuleSet::defaults().unwrap();
        rules.override_setting(StageName::Script, "mode", toml::Value::String("x".into()));
        assert!(Script::from_rules(&rules).is_err());
    }

    #[test]
    fn phrases_across_word_boundaries_yield_to_the_words() {
        // Leftovers on a traditional page: 加注 straddles 更加|注重; 不舍 starts and ends on
        // word boundaries (不|舍|一文錢).
        assert_eq!(
            run(&with_mode("tw"), "他們更加注重細節,不舍一文錢。"),
            "他們更加注重細節,不捨一文錢。"
        );
        assert!(straddles(&(1..3), &[0..2, 2..4]));
        assert!(!straddles(&(0..2), &[0..1, 1..2, 2..5]));
        assert!(!straddles(&(1..3), &[0..4, 4..5]));
    }

    #[test]
    fn every_auto_change_is_a_suspect_that_may_change() {
        // The bound that lets `auto` give up early must hold for every change it would make.
        let s = script();
        let mut texts: Vec<String> = [
            "你了解微營銷是什么嗎?我們的關系和聯系,對于這么多人",
            "盡管沖擊很大,這么多人還是留下來了。用開水冲一杯咖啡,碗里的面干了,請系好安全帶",
        ]
        .map(String::from)
        .into();
        let corpora = std::fs::read_dir("../shared/seeds")
            .into_iter()
            .flatten()
            .flatten();
        let gutenberg = "../shared/data/script/genuine_traditional_gutenberg25328.txt";
        let paths = corpora.map(|e| e.path()).chain(once(gutenberg.into()));
        texts.extend(paths.filter_map(|p| std::fs::read_to_string(p).ok()));
        for text in &texts {
            let scan = s.scan(text, &[], &[]);
            if !scan.census.is_traditional() {
                continue;
            }
            for change in s.auto_candidates(text, &scan, false).unwrap_or_default() {
                let at = change.range.start;
                let candidate =
                    scan.own().suspects.contains(&at) || scan.own().changeable.contains(&at);
                assert!(candidate, "{change:?} is neither suspect nor changeable");
                let region = scan.census.region();
                assert!(
                    s.may_change(text, at, region),
                    "{change:?} deemed unchangeable"
                );
            }
        }
    }
}
