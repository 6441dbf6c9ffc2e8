//! Synonym-spun text ("伪原创"): content farms swap words for near-synonyms with a thesaurus, often
//! across word boundaries (朋友圈 → 朋侪圈, 微信|用户 → 微信誉户). Substitutes come in two tiers:
//! damage (`X`: non-words such as 朋侪, 东西化) and real words (`W`: 本身, 重要, 付出).
//!
//! The table is written in simplified; each substitute is matched in every mix of its characters'
//! simplified and traditional forms (朋侪, 朋儕), straight on the page text: folding the whole page
//! first would cost more than the rest of the stage on clean text. Every candidate reversal must make its context more probable
//! under the language model: damage by any margin (this guards 可以是 against the 以是 → 所以 pair),
//! real words by a clear margin. On a page not flagged as spun only damage that is not a common
//! dictionary word is reversed (朋侪, not the literary 若是 or 今朝). A page is flagged when it carries enough
//! distinct damage markers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::stages::script::classes::CharClasses;
use crate::text::lm::LanguageModel;
use crate::text::table;
use crate::types::StageName;

pub const DAMAGE_RULE: &str = "script.spin-damage";
pub const WORD_RULE: &str = "script.spin-word";
pub const SPUN_FLAG: &str = "script.spun";

/// Characters of context on each side that the language model compares.
const CONTEXT: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Damage,
    Word,
}

struct Pair {
    spun: Box<str>,
    original: Box<str>,
    tier: Tier,
}

/// At most this many spellings of one substitute are matched (every mix of simplified and
/// traditional forms up to this count, else the simplified one and the fully traditional ones).
const MAX_SPELLINGS: usize = 64;

pub struct SpinDetector {
    automaton: CharwiseDoubleArrayAhoCorasick<u32>,
    pairs: Vec<Pair>,
    /// A reversal must raise the context's log-probability by this much (per tier).
    damage_margin: f64,
    word_margin: f64,
    /// Damage that is a dictionary word at least this probable (若是, 今朝) is reversed only on
    /// spun pages.
    common_word_logp: f64,
    /// A page is spun with at least this many damage markers, and this many per 1000 Han characters.
    flag_min_markers: usize,
    flag_per_1000: f64,
    /// The rule set's word model, which compares the two readings.
    model: Arc<LanguageModel>,
}

/// A substitute found on the page, with what it replaces and how much the model prefers that.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub range: std::ops::Range<usize>,
    pub spun: String,
    pub original: String,
    pub damage: bool,
    /// The substitute is a common dictionary word (若是, 今朝): literary text may use it as written.
    pub is_word: bool,
    pub gain: f64,
}

/// The parameters of `script.spin-damage`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DamageParams {
    /// The spin pairs (`spun<TAB>original<TAB>tier` lines; this rule takes tier `X`).
    pairs: String,
    /// A reversal must raise the context's log-probability by more than this.
    margin: f64,
    /// Damage that is a dictionary word at least this probable (若是, 今朝) is reversed only on
    /// spun pages.
    common_word_logp: f64,
    /// A page is spun with at least this many damage markers …
    flag_min_markers: usize,
    /// … and this many per 1000 Han characters.
    flag_per_1000: f64,
}

/// The parameters of `script.spin-word`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WordParams {
    /// The spin pairs (this rule takes tier `W`: substitutes that are real words).
    pairs: String,
    /// A reversal must raise the context's log-probability by more than this.
    margin: f64,
}

impl SpinDetector {
    /// The detector, or `None` when the rule set has no spin rules.
    pub fn from_rules(rules: &RuleSet, classes: &CharClasses) -> Result<Option<Self>, RuleError> {
        let (Some(damage), Some(word)) = (rules.get(DAMAGE_RULE), rules.get(WORD_RULE)) else {
            return Ok(None);
        };
        let damage_params: DamageParams = damage.parameters()?;
        let word_params: WordParams = word.parameters()?;
        let mut patterns: HashMap<String, u32> = HashMap::new();
        let mut pairs: Vec<Pair> = Vec::new();
        for (rule, tier, path) in [
            (damage, Tier::Damage, &damage_params.pairs),
            (word, Tier::Word, &word_params.pairs),
        ] {
            let table = rules.data_str(path).map_err(|e| rule.error(e))?;
            for (spun, original) in tier_entries(path, table, tier)? {
                if patterns.contains_key(&spun) {
                    continue;
                }
                let index = pairs.len() as u32;
                for spelling in spellings(&spun, classes) {
                    patterns.entry(spelling).or_insert(index);
                }
                pairs.push(Pair {
                    spun: spun.into_boxed_str(),
                    original: original.into_boxed_str(),
                    tier,
                });
            }
        }
        let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build_with_values(patterns)
            .map_err(|e| damage.error(e))?;
        Ok(Some(SpinDetector {
            automaton,
            pairs,
            damage_margin: damage_params.margin,
            word_margin: word_params.margin,
            common_word_logp: damage_params.common_word_logp,
            flag_min_markers: damage_params.flag_min_markers,
            flag_per_1000: damage_params.flag_per_1000,
            model: rules.resources()?.model,
        }))
    }

    /// Every substitute on the page whose reversal the model prefers (damage and words alike), and
    /// whether the page is spun.
    /// Every substitute on the page whose reversal the model prefers, and whether the page is
    /// spun (`han`: its number of Han characters). Real-word substitutes are scored only on spun
    /// pages: the model is the expensive part, and common words match everywhere.
    pub fn findings(&self, text: &str, han: usize) -> (Vec<Finding>, bool) {
        let matches: Vec<(usize, std::ops::Range<usize>)> = self
            .automaton
            .leftmost_find_iter(text)
            .map(|m| (m.value() as usize, m.start()..m.end()))
            .collect();
        let scored = |tier: Tier| {
            matches
                .iter()
                .filter(move |(pair, _)| self.pairs[*pair].tier == tier)
                .filter_map(|(pair, range)| self.finding(text, &self.pairs[*pair], range.clone()))
        };
        let mut findings: Vec<Finding> = scored(Tier::Damage).collect();
        let distinct: HashSet<&str> = findings.iter().map(|f| f.spun.as_str()).collect();
        let spun = distinct.len() >= self.flag_min_markers
            && findings.len() as f64 * 1000.0 / han.max(1) as f64 >= self.flag_per_1000;
        if spun {
            findings.extend(scored(Tier::Word));
        }
        (findings, spun)
    }

    /// The finding for one match, when the model prefers the original by the tier's margin.
    fn finding(&self, text: &str, pair: &Pair, range: std::ops::Range<usize>) -> Option<Finding> {
        let model = &self.model;
        let before = context_before(text, range.start);
        let after = context_after(text, range.end);
        let gain = model.score(&format!("{before}{}{after}", pair.original))
            - model.score(&format!("{before}{}{after}", &text[range.clone()]));
        let damage = pair.tier == Tier::Damage;
        let margin = if damage {
            self.damage_margin
        } else {
            self.word_margin
        };
        (gain > margin).then(|| Finding {
            is_word: model
                .word_logp(&pair.spun)
                .is_some_and(|lp| f64::from(lp) >= self.common_word_logp),
            range,
            spun: pair.spun.to_string(),
            original: pair.original.to_string(),
            damage,
            gain,
        })
    }

    /// The reversals to make on `doc` (flagging it when spun); `in_script` writes a simplified
    /// original in the page's script.
    pub fn reversals(
        &self,
        doc: &mut Document,
        han: usize,
        in_script: &dyn Fn(&str) -> String,
    ) -> Vec<Change> {
        let (findings, spun) = self.findings(&doc.text, han);
        if spun {
            let markers = findings.iter().filter(|f| f.damage).count();
            doc.flag(
                StageName::Script,
                SPUN_FLAG,
                format!("synonym-spun page: {markers} spin damage markers"),
                None,
            );
        }
        findings
            .into_iter()
            .filter(|f| spun || (f.damage && !f.is_word))
            .map(|f| {
                let rule = if f.damage { DAMAGE_RULE } else { WORD_RULE };
                let reason = format!(
                    "spin substitute {} for {} (model gain {:.1})",
                    f.spun, f.original, f.gain
                );
                Change::replace(f.range, in_script(&f.original), rule, reason)
            })
            .collect()
    }
}

/// The spellings of a simplified substitute on pages of any script: every mix of each character's
/// simplified and traditional forms, or, when there are too many, the simplified spelling and the
/// ones with every character in its first, second, … traditional form.
fn spellings(spun: &str, classes: &CharClasses) -> Vec<String> {
    let options: Vec<Vec<char>> = spun
        .chars()
        .map(|c| {
            std::iter::once(c)
                .chain(classes.traditional_forms(c).iter().copied())
                .collect()
        })
        .collect();
    let count = options
        .iter()
        .try_fold(1usize, |n, o| n.checked_mul(o.len()))
        .unwrap_or(usize::MAX);
    if count <= MAX_SPELLINGS {
        options.iter().fold(vec![String::new()], |prefixes, chars| {
            prefixes
                .iter()
                .flat_map(|p| chars.iter().map(move |&c| format!("{p}{c}")))
                .collect()
        })
    } else {
        let widest = options.iter().map(Vec::len).max().unwrap_or(1);
        (0..widest)
            .map(|i| options.iter().map(|o| o[i.min(o.len() - 1)]).collect())
            .collect()
    }
}

/// The pairs of the given tier (`X` damage, `W` words) in the table `file`.
fn tier_entries(file: &str, table: &str, tier: Tier) -> Result<Vec<(String, String)>, RuleError> {
    let wanted = match tier {
        Tier::Damage => "X",
        Tier::Word => "W",
    };
    let mut entries = Vec::new();
    for entry in table::entries(file, table) {
        let fields: Vec<&str> = entry.text.split('\t').collect();
        let [spun, original, t, ..] = fields[..] else {
            return Err(entry.malformed("spun<TAB>original<TAB>tier[<TAB>note]"));
        };
        if t.trim() == wanted && !spun.is_empty() && !original.is_empty() {
            entries.push((spun.trim().to_lowercase(), original.trim().to_string()));
        }
    }
    Ok(entries)
}

fn context_before(text: &str, at: usize) -> &str {
    let start = text[..at]
        .char_indices()
        .rev()
        .take(CONTEXT)
        .take_while(|&(_, c)| c != '\n')
        .last()
        .map_or(at, |(i, _)| i);
    &text[start..at]
}

fn context_after(text: &str, at: usize) -> &str {
    let end = text[at..]
        .char_indices()
        .take(CONTEXT)
        .take_while(|&(_, c)| c != '\n')
        .last()
        .map_or(at, |(i, c)| at + i + c.len_utf8());
    &text[at..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::script::tests::script;

    fn reversed(text: &str) -> (String, bool) {
        let mut doc = Document::from_text(text);
        crate::stages::Stage::run(script(), &mut doc);
        let spun = doc.report.flags.iter().any(|f| f.rule == SPUN_FLAG);
        (doc.text, spun)
    }

    #[test]
    fn damage_is_matched_in_either_script_and_reversed_in_the_page_script() {
        assert_eq!(reversed("發到朋儕圈裡").0, "發到朋友圈裡");
        assert_eq!(reversed("发到朋侪圈里").0, "发到朋友圈里");
    }

    #[test]
    fn the_model_guards_word_boundaries_and_literary_words() {
        for text in ["這可以是一個辦法。", "若是天意,今朝有酒今朝醉。"] {
            let (out, spun) = reversed(text);
            assert_eq!(out, text);
            assert!(!spun);
        }
    }

    #[test]
    fn real_word_substitutes_wait_for_a_spun_page() {
        assert_eq!(reversed("這個處所不錯。").0, "這個處所不錯。");
        let (out, spun) = reversed("朋侪圈说东西化若何?以是这个处所不错。");
        assert!(spun);
        assert_eq!(out, "朋友圈说工具化如何?所以这个地方不错。");
    }

    #[test]
    fn spellings_mix_scripts() {
        let s = script();
        let all = spellings("朋侪", &s.classes);
        assert!(all.contains(&"朋侪".to_string()) && all.contains(&"朋儕".to_string()));
        assert!(spellings("东西化", &s.classes).contains(&"東西化".to_string()));
    }
}
