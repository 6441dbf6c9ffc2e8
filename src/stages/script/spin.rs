//! Synonym-spun text ("伪原创"): content farms swap words for near-synonyms with a thesaurus, often
//! across word boundaries (朋友圈 → 朋侪圈, 微信|用户 → 微信誉户). Substitutes come in two tiers:
//! damage (`X`: non-words such as 朋侪, 东西化) and real words (`W`: 本身, 重要, 付出).
//!
//! Matching runs on the folded (simplified, width- and case-folded) view, so traditional and
//! simplified pages share one table. Every candidate reversal must make its context more probable
//! under the language model: damage by any margin (this guards 可以是 against the 以是 → 所以 pair),
//! real words by a clear margin. On a page not flagged as spun only damage that is not a dictionary
//! word is reversed (朋侪, not the literary 若是 or 今朝). A page is flagged when it carries enough
//! distinct damage markers.

use std::collections::HashSet;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::StageName;
use crate::text::chars::is_han;
use crate::text::fold::Folder;
use crate::text::lm;

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
    original: Box<str>,
    tier: Tier,
}

pub struct SpinDetector {
    automaton: CharwiseDoubleArrayAhoCorasick<u32>,
    pairs: Vec<Pair>,
    folder: Folder,
    /// A reversal must raise the context's log-probability by this much (per tier).
    damage_margin: f64,
    word_margin: f64,
    /// A page is spun with at least this many damage markers, and this many per 1000 Han characters.
    flag_min_markers: usize,
    flag_per_1000: f64,
}

/// A substitute found on the page, with what it replaces and how much the model prefers that.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub range: std::ops::Range<usize>,
    pub spun: String,
    pub original: String,
    pub damage: bool,
    /// The substitute is a dictionary word (若是, 今朝): literary text may use it as written.
    pub is_word: bool,
    pub gain: f64,
}

impl SpinDetector {
    /// The detector, or `None` when the rule set has no spin rules.
    pub fn from_rules(rules: &RuleSet) -> Result<Option<Self>, RuleError> {
        let (Some(damage), Some(word)) = (rules.get(DAMAGE_RULE), rules.get(WORD_RULE)) else {
            return Ok(None);
        };
        damage.expect_keys(&["pairs", "margin", "flag_min_markers", "flag_per_1000"])?;
        word.expect_keys(&["pairs", "margin"])?;
        let mut patterns: Vec<(String, u32)> = Vec::new();
        let mut pairs: Vec<Pair> = Vec::new();
        for (rule, tier) in [(damage, Tier::Damage), (word, Tier::Word)] {
            let path: String = rule.param("pairs")?;
            let table = rules.data_str(&path).map_err(|e| rule.error(e))?;
            for (spun, original) in tier_entries(table, tier, rule)? {
                if patterns.iter().any(|(p, _)| *p == spun) {
                    continue;
                }
                patterns.push((spun, pairs.len() as u32));
                pairs.push(Pair {
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
            folder: rules.folder()?,
            damage_margin: damage.param("margin")?,
            word_margin: word.param("margin")?,
            flag_min_markers: damage.param("flag_min_markers")?,
            flag_per_1000: damage.param("flag_per_1000")?,
        }))
    }

    /// Every substitute on the page whose reversal the model prefers (damage and words alike), and
    /// whether the page is spun.
    pub fn findings(&self, text: &str) -> (Vec<Finding>, bool) {
        let folded = self.folder.fold(text);
        let model = lm::model();
        let mut findings = Vec::new();
        for m in self.automaton.leftmost_find_iter(&folded.text) {
            let pair = &self.pairs[m.value() as usize];
            let spun = &folded.text[m.start()..m.end()];
            let before = context_before(&folded.text, m.start());
            let after = context_after(&folded.text, m.end());
            let gain = model.score(&format!("{before}{}{after}", pair.original))
                - model.score(&format!("{before}{spun}{after}"));
            let damage = pair.tier == Tier::Damage;
            let margin = if damage {
                self.damage_margin
            } else {
                self.word_margin
            };
            if gain > margin {
                findings.push(Finding {
                    is_word: model.word_logp(spun).is_some(),
                    range: folded.original_range(m.start()..m.end(), text),
                    spun: spun.to_string(),
                    original: pair.original.to_string(),
                    damage,
                    gain,
                });
            }
        }
        let damage: Vec<&Finding> = findings.iter().filter(|f| f.damage).collect();
        let distinct: HashSet<&str> = damage.iter().map(|f| f.spun.as_str()).collect();
        let han = text.chars().filter(|&c| is_han(c)).count().max(1);
        let spun = distinct.len() >= self.flag_min_markers
            && damage.len() as f64 * 1000.0 / han as f64 >= self.flag_per_1000;
        (findings, spun)
    }

    /// The reversals to make on `doc` (flagging it when spun); `in_script` writes a simplified
    /// original in the page's script.
    pub fn reversals(&self, doc: &mut Document, in_script: &dyn Fn(&str) -> String) -> Vec<Change> {
        let (findings, spun) = self.findings(&doc.text);
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

/// `spun<TAB>original<TAB>tier` lines of the given tier (`X` damage, `W` words); `#` comments.
fn tier_entries(table: &str, tier: Tier, rule: &Rule) -> Result<Vec<(String, String)>, RuleError> {
    let wanted = match tier {
        Tier::Damage => "X",
        Tier::Word => "W",
    };
    let mut entries = Vec::new();
    for line in table.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [spun, original, t, ..] = fields[..] else {
            return Err(rule.error(format!("spin pair line without a tier: `{line}`")));
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
