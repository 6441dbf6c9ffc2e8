//! The explicit modes (`hans`, `hant`, `tw`, `twp`, `hk`, `hkp`, `hansp`, and the glyph modes `t2tw`, `t2hk`, `tw2t`, `hk2t`): each converts a page with
//! OpenCC's configurations, chosen by what the page is written in. The rules declare them
//! (`modes` of `script.convert`): the target script, and the chains of OpenCC configurations
//! (`chains`) for a simplified page and for a traditional page in standard, Taiwan or Hong Kong
//! glyphs (a Hong Kong page goes to Taiwan glyphs through `hk2t` then `t2tw`).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use daachorse::CharwiseDoubleArrayAhoCorasick;
use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::classes::{CharClasses, single_char_entries};
use super::convert::{leftmost_longest, parse_table};
use super::opencc::{Chain, ChainBuilder, ChainSpec};
use super::{Census, Region};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};

/// What a mode writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Simplified,
    Traditional(Region),
}

/// A mode as the rules write it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeSpec {
    /// `hans`, `hant`, `tw` or `hk`.
    target: String,
    simplified: Vec<String>,
    standard: Vec<String>,
    tw: Vec<String>,
    hk: Vec<String>,
    /// OpenCC's glyph configurations (`t2tw`, `tw2t`, `t2hk`, `hk2t`): the chains alone, which
    /// change regional variant glyphs and leave a page's simplified leftovers as they are.
    #[serde(default)]
    glyphs_only: bool,
}

/// An explicit mode, built: its target and the chains for each kind of page.
pub struct Explicit {
    pub target: Target,
    pub evidence: RegionEvidence,
    /// See [`ModeSpec::glyphs_only`].
    pub glyphs_only: bool,
    simplified: Vec<Arc<Chain>>,
    standard: Vec<Arc<Chain>>,
    tw: Vec<Arc<Chain>>,
    hk: Vec<Arc<Chain>>,
}

impl Explicit {
    /// The chains for a simplified page (`None`) or a traditional page of a region.
    pub fn chains(&self, source: Option<Region>) -> impl Iterator<Item = &Chain> {
        let chains = match source {
            None => &self.simplified,
            Some(Region::Standard) => &self.standard,
            Some(Region::Tw) => &self.tw,
            Some(Region::Hk) => &self.hk,
        };
        chains.iter().map(Arc::as_ref)
    }
}

/// The parameters of `script.convert`: the conversion tables (data files of the rule set) and the
/// explicit modes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    /// OpenCC's simplified→traditional tables, phrases first.
    pub s2t: Vec<String>,
    /// OpenCC's traditional→simplified tables.
    pub t2s: Vec<String>,
    /// The regional variants brought to standard traditional before `t2s`.
    pub t2s_variants: Vec<String>,
    /// Taiwan's and Hong Kong's variant glyph tables.
    pub tw_variants: String,
    pub hk_variants: String,
    /// Pairs where both forms are acceptable (平台/平臺).
    pub acceptable: String,
    /// Named dictionaries (lists of tables) the chains use.
    pub dictionaries: HashMap<String, Vec<String>>,
    /// Named conversion chains (OpenCC's configurations).
    pub chains: HashMap<String, ChainSpec>,
    /// The explicit modes: target and chains for each source script.
    pub modes: HashMap<String, ModeSpec>,
    /// The dictionaries whose keys are each region's own vocabulary.
    region_vocabulary: RegionVocabulary,
}

/// The explicit modes the rules declare, checked: each names a known target and known chains.
pub struct Modes {
    params: ConvertParams,
}

impl Modes {
    pub fn new(rule: &Rule, params: ConvertParams) -> Result<Self, RuleError> {
        let modes = Modes { params };
        let params = &modes.params;
        let vocabulary = &params.region_vocabulary;
        for d in [&vocabulary.tw, &vocabulary.hk] {
            if !params.dictionaries.contains_key(d) {
                return Err(rule.error(format!("region_vocabulary: unknown dictionary `{d}`")));
            }
        }
        for (name, spec) in &params.modes {
            parse_target(&spec.target).ok_or_else(|| {
                rule.error(format!(
                    "mode `{name}`: unknown target `{}` (hans, hant, tw, hk)",
                    spec.target
                ))
            })?;
            let named = [&spec.simplified, &spec.standard, &spec.tw, &spec.hk];
            if let Some(chain) = named
                .into_iter()
                .flatten()
                .find(|c| !params.chains.contains_key(*c))
            {
                return Err(rule.error(format!("mode `{name}`: unknown chain `{chain}`")));
            }
        }
        for (name, chain) in &params.chains {
            let dictionaries = chain.steps.iter().flatten().chain(&chain.segmentation);
            if let Some(d) = dictionaries
                .into_iter()
                .find(|d| !params.dictionaries.contains_key(*d))
            {
                return Err(rule.error(format!("chain `{name}`: unknown dictionary `{d}`")));
            }
        }
        Ok(modes)
    }

    /// The names of the declared modes, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.params.modes.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Build mode `name`'s chains (their dictionaries are read from `rules`) and the evidence of
    /// a traditional page's region.
    pub fn build(
        &self,
        name: &str,
        rules: &RuleSet,
        rule: &Rule,
        classes: &CharClasses,
    ) -> Result<Option<Explicit>, RuleError> {
        let Some(spec) = self.params.modes.get(name) else {
            return Ok(None);
        };
        let mut builder = ChainBuilder::new(rules, &self.params.dictionaries);
        let mut built: HashMap<String, Arc<Chain>> = HashMap::new();
        let mut chains = |names: &[String]| -> Result<Vec<Arc<Chain>>, RuleError> {
            names
                .iter()
                .map(|n| {
                    if let Some(chain) = built.get(n) {
                        return Ok(Arc::clone(chain));
                    }
                    let spec = self
                        .params
                        .chains
                        .get(n)
                        .ok_or_else(|| rule.error(format!("unknown chain `{n}`")))?;
                    let chain = builder.build(n, spec).map_err(|e| rule.error(e))?;
                    let chain = Arc::new(chain);
                    built.insert(n.clone(), Arc::clone(&chain));
                    Ok(chain)
                })
                .collect()
        };
        let evidence = RegionEvidence::build(rules, rule, &self.params, classes)?;
        let target = parse_target(&spec.target)
            .ok_or_else(|| rule.error(format!("mode `{name}`: unknown target")))?;
        Ok(Some(Explicit {
            target,
            evidence,
            glyphs_only: spec.glyphs_only,
            simplified: chains(&spec.simplified)?,
            standard: chains(&spec.standard)?,
            tw: chains(&spec.tw)?,
            hk: chains(&spec.hk)?,
        }))
    }
}

fn parse_target(name: &str) -> Option<Target> {
    Some(match name {
        "hans" => Target::Simplified,
        "hant" => Target::Traditional(Region::Standard),
        "tw" => Target::Traditional(Region::Tw),
        "hk" => Target::Traditional(Region::Hk),
        _ => return None,
    })
}

/// The dictionaries whose keys are a region's own vocabulary (Taiwan's 軟體, Hong Kong's 軟件).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionVocabulary {
    tw: String,
    hk: String,
}

/// What tells the region of a traditional page: glyphs only one region writes (Taiwan's 為, 裡;
/// Hong Kong's 衞, 綫, among every form OpenCC's variant tables give) that neither simplified text
/// nor OpenCC's standard conversion writes (才 and 么 are Taiwan glyphs and simplified characters
/// alike, 著 is standard in 著名), the standard forms Taiwan replaces (爲, 裏), and vocabulary
/// found in one region's phrase table only.
pub struct RegionEvidence {
    /// What each character of the Basic Multilingual Plane says ([`Marks`] bits), indexed by
    /// code point: one lookup per character of a page.
    marks: Vec<u8>,
    /// The same for characters outside it.
    astral_marks: FxHashMap<char, u8>,
    /// Regional vocabulary; the value is the region (0: Taiwan, 1: Hong Kong).
    vocabulary: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
}

/// Bits of [`RegionEvidence::marks`].
struct Marks;

impl Marks {
    /// Written only in Taiwan, or only in Hong Kong: evidence of the region.
    const TW_EVIDENCE: u8 = 1;
    const HK_EVIDENCE: u8 = 2;
    /// A standard form that Taiwan writes otherwise (爲, 裏).
    const TW_STANDARD: u8 = 4;
    /// A glyph the region writes for another standard character: on a page of that region it is
    /// the page's own (Taiwan's 么 for 幺), not a simplified leftover.
    const TW_GLYPH: u8 = 8;
    const HK_GLYPH: u8 = 16;
    /// A regional glyph that the census counts as simplified (么).
    const SIMPLIFIED: u8 = 32;
}

impl RegionEvidence {
    fn build(
        rules: &RuleSet,
        rule: &Rule,
        params: &ConvertParams,
        classes: &CharClasses,
    ) -> Result<Self, RuleError> {
        let variants = |path: &str| -> Result<Vec<(char, Vec<char>)>, RuleError> {
            Ok(single_char_entries(rules.data_str(path)?).collect())
        };
        let tw_table = variants(&params.tw_variants)?;
        let hk_table = variants(&params.hk_variants)?;
        let glyphs_of = |table: &[(char, Vec<char>)]| -> HashSet<char> {
            table
                .iter()
                .flat_map(|(key, values)| values.iter().filter(move |&v| v != key).copied())
                .collect()
        };
        let (tw_glyphs, hk_glyphs) = (glyphs_of(&tw_table), glyphs_of(&hk_table));
        // What simplified text (the keys) and OpenCC's standard conversion (the values) write.
        let mut common: HashSet<char> = HashSet::new();
        for file in &params.s2t {
            for (key, value) in parse_table(rules.data_str(file)?) {
                common.extend(key.chars().chain(value.chars()));
            }
        }
        let mut marks = vec![0u8; 0x10000];
        let mut astral_marks: FxHashMap<char, u8> = FxHashMap::default();
        let mut mark = |c: char, bit: u8| match marks.get_mut(c as usize) {
            Some(bits) => *bits |= bit,
            None => *astral_marks.entry(c).or_default() |= bit,
        };
        for (own, other, glyph, evidence) in [
            (&tw_glyphs, &hk_glyphs, Marks::TW_GLYPH, Marks::TW_EVIDENCE),
            (&hk_glyphs, &tw_glyphs, Marks::HK_GLYPH, Marks::HK_EVIDENCE),
        ] {
            for &c in own {
                mark(c, glyph);
                if !other.contains(&c) && !common.contains(&c) {
                    mark(c, evidence);
                }
                if classes.is_simplified(c) {
                    mark(c, Marks::SIMPLIFIED);
                }
            }
        }
        for (standard, values) in &tw_table {
            if !values.contains(standard) && classes.is_traditional(*standard) {
                mark(*standard, Marks::TW_STANDARD);
            }
        }
        let vocabulary = &params.region_vocabulary;
        let keys = |name: &str| -> Result<HashSet<String>, RuleError> {
            let mut keys = HashSet::new();
            for file in params.dictionaries.get(name).into_iter().flatten() {
                keys.extend(parse_table(rules.data_str(file)?).map(|(k, _)| k.to_string()));
            }
            Ok(keys)
        };
        let (tw_words, hk_words) = (keys(&vocabulary.tw)?, keys(&vocabulary.hk)?);
        let patterns: Vec<(&String, u32)> = tw_words
            .difference(&hk_words)
            .map(|w| (w, 0))
            .chain(hk_words.difference(&tw_words).map(|w| (w, 1)))
            .collect();
        let vocabulary =
            leftmost_longest(patterns, "region vocabulary").map_err(|e| rule.error(e))?;
        Ok(RegionEvidence {
            marks,
            astral_marks,
            vocabulary,
        })
    }

    /// What a page (its text in `pieces`, its main text's census) is written in: `None` for
    /// simplified, else the region of its traditional glyphs: Hong Kong when its evidence beats
    /// Taiwan's, OpenCC standard when standard forms outnumber Taiwan's evidence, else Taiwan.
    /// Unlike `auto`, a page is traditional only when its traditional characters outnumber its
    /// simplified ones that are no regional glyph (Taiwan writes 么 for 幺): a tie goes to the
    /// simplified chains, which leave traditional characters as written (彆強 stays).
    pub fn source(&self, text: &str, pieces: &[Range<usize>], census: &Census) -> Option<Region> {
        let mut counts = [0usize; 6];
        for piece in pieces {
            for bits in text[piece.clone()].chars().map(|c| self.marks_of(c)) {
                if bits != 0 {
                    for (i, count) in counts.iter_mut().enumerate() {
                        *count += usize::from(bits & (1 << i) != 0);
                    }
                }
            }
        }
        // Vocabulary is the weaker, costlier evidence: consulted when no glyph tells a region.
        let silent = counts[0] == 0 && counts[1] == 0;
        if let Some(vocabulary) = self.vocabulary.as_ref().filter(|_| silent) {
            for piece in pieces {
                for m in vocabulary.leftmost_find_iter(&text[piece.clone()]) {
                    counts[m.value() as usize] += 1;
                }
            }
        }
        let count = |bit: u8| counts[bit.trailing_zeros() as usize];
        let simplified = census.simplified.saturating_sub(count(Marks::SIMPLIFIED));
        if census.traditional <= simplified {
            return None;
        }
        let (tw, hk) = (count(Marks::TW_EVIDENCE), count(Marks::HK_EVIDENCE));
        Some(if hk > tw {
            Region::Hk
        } else if count(Marks::TW_STANDARD) > tw {
            Region::Standard
        } else {
            Region::Tw
        })
    }

    /// Whether `c` is a glyph the page's own region writes (not a leftover to convert).
    pub fn is_own_glyph(&self, c: char, region: Region) -> bool {
        let bit = match region {
            Region::Standard => return false,
            Region::Tw => Marks::TW_GLYPH,
            Region::Hk => Marks::HK_GLYPH,
        };
        self.marks_of(c) & bit != 0
    }

    fn marks_of(&self, c: char) -> u8 {
        match self.marks.get(c as usize) {
            Some(&bits) => bits,
            None => self.astral_marks.get(&c).copied().unwrap_or(0),
        }
    }
}
