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

mod auto;
mod build;
mod target;

use build::build_converters;
pub use build::derive_image;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::rules::settings::ScriptSettings;
use crate::stages::Stage;
use crate::text::lm::LanguageModel;
use crate::types::StageName;

use classes::CharClasses;
use convert::{Converter, Dictionary, Entries, NeighbourValues};
use explicit::{ConvertParams, Explicit, Modes};
pub use scan::Census;
use scan::garbled_runs;
use spin::SpinDetector;

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
    /// OpenCC's standard traditional glyphs.
    Standard,
    /// Taiwan's glyphs.
    Tw,
    /// Hong Kong's glyphs.
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

/// The `script` stage: characters brought into the page's script and region, or converted to a
/// configured target; spun pages flagged and their substitutions reversed.
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
    /// The rule set's word model, which tells where a phrase straddles two words.
    model: Arc<LanguageModel>,
}

impl Script {
    /// The stage with the `script` rules and the `[settings.script]` of `rules`.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let rule = rules
            .get(CONVERT_RULE)
            .ok_or_else(|| RuleError::new("rules", 0, format!("missing rule {CONVERT_RULE}")))?;
        let params: ConvertParams = rule.parameters()?;
        let built = build_converters(rules, rule, &params)?;
        let modes = Modes::new(rule, params)?;
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
            model: rules.resources()?.model,
        })
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

/// What the traditional converters are built from.
enum TraditionalSource {
    /// The tables of the rule set.
    Tables {
        /// Simplified → traditional phrases and characters (the first step of every target).
        phrases: Entries,
        /// The second steps: standard traditional input to Taiwan or Hong Kong glyphs.
        tw_step: Dictionary,
        hk_step: Dictionary,
    },
    /// The converters' part of the bundled image of the default tables.
    Image(&'static [u8]),
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
    use std::iter::once;

    use super::auto::straddles;
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
        let corpora = std::fs::read_dir("fixtures/seeds")
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
