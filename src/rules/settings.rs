//! Stage settings (`[settings.<stage>]` tables): one typed struct per stage. Each struct's `Default` is
//! the one place a default lives, its doc comments are what `sluice rules` prints, and unknown keys are
//! errors (`deny_unknown_fields`), so a misspelled setting fails loading with its file and line.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::schema::field_docs;
use crate::types::StageName;

/// The settings of one stage.
pub trait StageSettings: DeserializeOwned + Serialize + JsonSchema + Default {
    const STAGE: StageName;
}

/// `[settings.decode]`: charset detection and input limits.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DecodeSettings {
    /// KiB of input the statistical detector (chardetng) reads.
    pub detector_sample_kib: usize,
    /// How much better a detected charset must score than a declared or transport one to override it.
    pub override_margin: f64,
    /// The largest input accepted, in MiB; larger documents are refused.
    pub max_input_mib: usize,
    /// Seconds one document may take before the stages left are skipped (and flagged): the backstop
    /// for a pathological document, not a limit a real page meets.
    pub time_budget_seconds: f64,
    /// Seconds added to the time budget for each MiB of input.
    pub time_budget_seconds_per_mib: f64,
}

impl Default for DecodeSettings {
    fn default() -> Self {
        DecodeSettings {
            detector_sample_kib: 4,
            override_margin: 0.25,
            max_input_mib: 64,
            time_budget_seconds: 10.0,
            time_budget_seconds_per_mib: 2.0,
        }
    }
}

/// `[settings.html]`: main-content scoring and the nesting limit. Lengths are scoring units (Han
/// characters and ASCII words), not bytes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HtmlSettings {
    /// A block shorter than this is never prose.
    pub min_prose_units: u32,
    /// A block this long is prose even without Chinese punctuation.
    pub long_units: u32,
    /// A block with more link text than this share is chrome.
    pub max_link_ratio: f64,
    /// Cost of a chrome unit against a prose unit.
    pub chrome_weight: f64,
    /// Cost of a link unit against a prose unit.
    pub link_weight: f64,
    /// An ancestor of the best element holding this many times its prose is chosen instead (an
    /// article made of lists and tables can score below a small prose box inside it) …
    pub widen_prose_ratio: f64,
    /// … when at least this share of the ancestor's own units is prose.
    pub widen_min_prose_share: f64,
    /// No removal heuristic may remove an element holding more than this share of the page's prose;
    /// the rule is not applied there, and flagged.
    pub protect_prose_share: f64,
    /// Markup nested deeper than this (as html5ever would nest it) is refused.
    pub max_depth: usize,
}

impl Default for HtmlSettings {
    fn default() -> Self {
        HtmlSettings {
            min_prose_units: 8,
            long_units: 40,
            max_link_ratio: 0.5,
            chrome_weight: 0.5,
            link_weight: 1.0,
            widen_prose_ratio: 4.0,
            widen_min_prose_share: 0.2,
            protect_prose_share: 0.5,
            max_depth: 2000,
        }
    }
}

/// `[settings.markup]`: the stage has no settings; any key is an error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MarkupSettings {}

/// `[settings.mojibake]`: suspects, the repair search's scoring and its budget.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MojibakeSettings {
    /// A Han character rarer than this (log share of the jieba dictionary's word frequency carried by
    /// words containing it) is a strong suspect.
    pub min_char_logp: f32,
    /// Suspects at most this many characters apart form one run.
    pub cluster_gap: usize,
    /// Added per character to log-probabilities so candidates of different lengths compare fairly.
    pub char_bonus: f64,
    /// Weight of the character bigram model next to the word model.
    pub bigram_weight: f64,
    /// Cost of a Han character in neither GB2312 nor Big5 level 1 (obscure variants such as 厤).
    pub glyph_cost: f64,
    /// Cost per character of the minority script when a candidate mixes traditional and simplified.
    pub script_mix_cost: f64,
    /// Byte slips are looked for only on lines where at most this share of non-ASCII characters is
    /// suspect.
    pub max_slip_density: f64,
    /// The longest run one slip hypothesis covers, in characters.
    pub max_run_chars: usize,
    /// Byte-slip searches per document; later suspect runs are flagged, not searched.
    pub max_slip_attempts: usize,
    /// The searches' budget per document: language-model scorings per KiB of text. Lines met once it
    /// is spent are flagged, not searched; a search it stops is dropped.
    pub scorings_per_kib: usize,
    /// … and at least this many scorings (one garbled sentence of the dev cases takes up to about
    /// 60,000, the n-gram scorings counted).
    pub min_scorings: usize,
    /// Character n-gram scorings that cost one scoring of the budget (an n-gram lookup is that much
    /// cheaper than a language-model scoring).
    pub ngram_scorings_per_scoring: usize,
    /// A suspect run is not searched when its suspects read as written text: each a rare Han
    /// character in a dictionary word with its neighbours, or an ASCII character whose two character
    /// bigram transitions average at least this log-probability (`A股`, `T恤`).
    pub ordinary_transition: f64,
}

impl Default for MojibakeSettings {
    fn default() -> Self {
        MojibakeSettings {
            min_char_logp: -12.5,
            cluster_gap: 3,
            char_bonus: 10.0,
            bigram_weight: 1.0,
            glyph_cost: 8.0,
            script_mix_cost: 3.0,
            max_slip_density: 0.3,
            max_run_chars: 16,
            max_slip_attempts: 6,
            scorings_per_kib: 5000,
            min_scorings: 60_000,
            ngram_scorings_per_scoring: 16,
            ordinary_transition: -5.0,
        }
    }
}

/// `[settings.pinyin]`: the stage has no settings; any key is an error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PinyinSettings {}

/// `[settings.spam]`: the removal cap and what every rule shares.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SpamSettings {
    /// Above this share of a document's characters (whitespace not counted) the stage removes
    /// nothing and flags `spam.cap`.
    pub max_delete_share: f64,
    /// Removals of at most this many characters are not capped by the share (short documents),
    /// unless they would remove every character: a document is never emptied.
    pub cap_free_chars: usize,
    /// Above this many cue words in one document the context rule is skipped and flagged.
    pub max_context_cues: usize,
    /// The commas an injector appends to its phrase; removed with it.
    pub commas: String,
    /// Look-alike glyphs folded before matching (a data file of `variant<TAB>folded` lines).
    pub homoglyphs: String,
}

impl Default for SpamSettings {
    fn default() -> Self {
        SpamSettings {
            max_delete_share: 0.4,
            cap_free_chars: 60,
            max_context_cues: 2000,
            commas: ",，".to_string(),
            homoglyphs: "spam/homoglyphs.txt".to_string(),
        }
    }
}

/// `[settings.script]`: the conversion mode and when `auto` converts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScriptSettings {
    /// `auto` brings minority characters into the page's own script and region; `hans`, `hant`, `tw`,
    /// `hk` convert with OpenCC's configurations, `hansp`, `twp`, `hkp` with regional vocabulary too;
    /// `t2tw`, `t2hk`, `tw2t`, `hk2t` change regional variant glyphs only; `keep` changes nothing.
    /// `--script MODE` overrides it.
    pub mode: String,
    /// `auto` converts a page only when a conservative conversion changes at least this many
    /// characters per 1000 Han characters …
    pub min_residue: f64,
    /// … and at least this many characters (one change in a short text is no evidence).
    pub min_changes: usize,
    /// A line votes on the page's script when it is prose: at least this many Han characters and a
    /// clause mark.
    pub prose_min_han: usize,
}

impl Default for ScriptSettings {
    fn default() -> Self {
        ScriptSettings {
            mode: "auto".to_string(),
            min_residue: 6.0,
            min_changes: 3,
            prose_min_han: 8,
        }
    }
}

/// `[settings.boilerplate]`: what every boilerplate rule shares.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BoilerplateSettings {
    /// Rules look only at lines of at most this many characters (a rule may set its own).
    pub max_line_chars: usize,
}

impl Default for BoilerplateSettings {
    fn default() -> Self {
        BoilerplateSettings { max_line_chars: 80 }
    }
}

/// Which copy of a cluster of near-duplicates is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeepPolicy {
    /// The copy with the most clean text; ties go to the earliest input.
    Longest,
    /// The earliest input.
    First,
}

/// `[settings.dedup]`: near-duplicate documents across a run (LSH over MinHash signatures).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DedupSettings {
    /// LSH bands over the 256 MinHash slots of the character 5-grams of the folded text (bands × rows
    /// at most 256).
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// A candidate pair is linked when its estimated Jaccard similarity (over all 256 slots) reaches
    /// this.
    pub jaccard: f64,
    /// Which copy of a cluster stays: `longest` (most clean text, ties to the earliest input) or
    /// `first`.
    pub keep: KeepPolicy,
    /// Streaming (JSON Lines): how many documents the first-seen index remembers, oldest forgotten
    /// first.
    pub stream_bound: usize,
    /// Each member of an LSH bucket is compared with at most this many earlier members.
    pub max_bucket_compare: usize,
}

impl Default for DedupSettings {
    fn default() -> Self {
        DedupSettings {
            bands: 32,
            rows: 4,
            jaccard: 0.5,
            keep: KeepPolicy::Longest,
            stream_bound: 100_000,
            max_bucket_compare: 32,
        }
    }
}

macro_rules! stage_settings {
    ($($ty:ty => $stage:ident),* $(,)?) => {
        $(impl StageSettings for $ty {
            const STAGE: StageName = StageName::$stage;
        })*

        /// Check every stage's settings (so a typo fails however few stages a run uses).
        pub(super) fn check_all(rules: &super::RuleSet) -> Result<(), crate::error::RuleError> {
            $(rules.settings::<$ty>()?;)*
            Ok(())
        }

        /// Each setting of a stage: name, value in effect, documentation.
        pub fn describe(
            rules: &super::RuleSet,
            stage: StageName,
        ) -> Result<Vec<Described>, crate::error::RuleError> {
            match stage {
                $(StageName::$stage => describe_as::<$ty>(rules),)*
            }
        }
    };
}

stage_settings! {
    DecodeSettings => Decode,
    HtmlSettings => Html,
    MarkupSettings => Markup,
    MojibakeSettings => Mojibake,
    PinyinSettings => Pinyin,
    SpamSettings => Spam,
    ScriptSettings => Script,
    BoilerplateSettings => Boilerplate,
    DedupSettings => Dedup,
}

/// One documented field of a settings struct or a rule kind's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// The setting's or parameter's name.
    pub name: String,
    /// The value in effect, as TOML.
    pub value: Option<String>,
    /// Its documentation, from the type's doc comment.
    pub doc: String,
}

fn describe_as<S: StageSettings>(
    rules: &super::RuleSet,
) -> Result<Vec<Described>, crate::error::RuleError> {
    let values = toml::Table::try_from(rules.settings::<S>()?).unwrap_or_default();
    Ok(field_docs::<S>()
        .into_iter()
        .map(|(name, doc)| Described {
            value: values.get(&name).map(ToString::to_string),
            name,
            doc,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_documented() {
        let rules = super::super::RuleSet::defaults().unwrap();
        for stage in StageName::ALL {
            for field in describe(&rules, stage).unwrap() {
                assert!(!field.doc.is_empty(), "{stage}.{} has no doc", field.name);
                assert!(field.value.is_some(), "{stage}.{} has no value", field.name);
            }
        }
    }

    #[test]
    fn the_default_rules_set_what_the_defaults_say() {
        // The files may restate a default, but must not contradict it: `Default` is what runs when a
        // file leaves a setting out.
        fn holds<S: StageSettings + PartialEq + std::fmt::Debug>(rules: &super::super::RuleSet) {
            assert_eq!(rules.settings::<S>().unwrap(), S::default(), "{}", S::STAGE);
        }
        let rules = super::super::RuleSet::defaults().unwrap();
        holds::<DecodeSettings>(&rules);
        holds::<HtmlSettings>(&rules);
        holds::<MarkupSettings>(&rules);
        holds::<MojibakeSettings>(&rules);
        holds::<PinyinSettings>(&rules);
        holds::<SpamSettings>(&rules);
        holds::<ScriptSettings>(&rules);
        holds::<BoilerplateSettings>(&rules);
        holds::<DedupSettings>(&rules);
    }
}
