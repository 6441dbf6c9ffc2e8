//! `pinyin`: strip `X(pīnyīn)` annotations that a site's annotator glued after characters.
//!
//! An annotation is stripped only when the syllable carries a tone mark and is a real reading of the
//! character before it, and only on pages with enough of them (a per-page gate): an isolated gloss is
//! more likely deliberate and is flagged instead. Pages that show signs of teaching pronunciation (one
//! character glossed with two readings, or a tone drill `媽(mā)麻(má)`) are flagged, never stripped.

mod readings;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::Stage;
use crate::types::StageName;

pub(crate) use readings::Readings;
pub use readings::derive_image;

pub struct Pinyin {
    rule: Option<GlossRule>,
}

struct GlossRule {
    id: String,
    readings: Arc<Readings>,
    min_hits: usize,
    min_chars: usize,
    /// A Han character, an opening bracket, a lower-case pinyin syllable and a closing bracket.
    pattern: Regex,
}

/// One `X(syllable)` whose syllable is a toned reading of X.
struct Gloss {
    han: char,
    syllable: String,
    /// The bracketed annotation, brackets included (what is removed).
    range: Range<usize>,
    /// Where the annotated character starts.
    han_start: usize,
}

impl Pinyin {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let mut compiled = None;
        for rule in rules.for_stage(StageName::Pinyin) {
            if compiled.is_some() {
                return Err(rule.error("the pinyin stage takes one rule"));
            }
            compiled = Some(GlossRule::compile(rule, rules)?);
        }
        Ok(Pinyin { rule: compiled })
    }
}

/// The parameters of the stage's one rule.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlossParams {
    /// The readings table: `char<TAB>reading,reading` lines (a data file of the rule set).
    readings: String,
    /// A page's annotations are removed only when there are at least this many …
    min_hits: usize,
    /// … over at least this many distinct characters; below the gate each is flagged instead.
    min_chars: usize,
}

impl GlossRule {
    fn compile(rule: &Rule, rules: &RuleSet) -> Result<Self, RuleError> {
        let params: GlossParams = rule.parameters()?;
        let readings = Readings::load(rules, &params.readings)
            .map_err(|e| rule.error(format!("readings table: {e}")))?;
        let pattern = Regex::new(r"(\p{Han})[(（]([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ]{1,7})[)）]")
            .map_err(|e| rule.error(e))?;
        Ok(GlossRule {
            id: rule.id.clone(),
            readings,
            min_hits: params.min_hits,
            min_chars: params.min_chars,
            pattern,
        })
    }

    fn glosses(&self, text: &str) -> Vec<Gloss> {
        self.pattern
            .captures_iter(text)
            .filter_map(|caps| {
                let han_match = caps.get(1)?;
                let syllable = caps.get(2)?.as_str();
                let han = han_match.as_str().chars().next()?;
                let end = caps.get(0)?.end();
                let real = has_tone_mark(syllable) && self.readings.has(han, syllable);
                real.then(|| Gloss {
                    han,
                    syllable: syllable.to_string(),
                    range: han_match.end()..end,
                    han_start: han_match.start(),
                })
            })
            .collect()
    }
}

fn has_tone_mark(syllable: &str) -> bool {
    syllable.chars().any(|c| !c.is_ascii() && c != 'ü')
}

/// A syllable without its tone: `mǎ` → `ma`.
fn toneless(syllable: &str) -> String {
    syllable.chars().map(toneless_letter).collect()
}

/// A letter of a syllable without its tone mark: `ǎ` → `a`.
fn toneless_letter(c: char) -> char {
    match c {
        'ā' | 'á' | 'ǎ' | 'à' => 'a',
        'ē' | 'é' | 'ě' | 'è' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' => 'u',
        'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'ü',
        'ń' | 'ň' | 'ǹ' => 'n',
        'ḿ' => 'm',
        other => other,
    }
}

/// Why glosses look deliberate (a pronunciation lesson), if they do.
fn teaching_signal(glosses: &[Gloss]) -> Option<&'static str> {
    let mut seen: HashMap<char, &str> = HashMap::new();
    for g in glosses {
        if seen
            .insert(g.han, &g.syllable)
            .is_some_and(|s| s != g.syllable)
        {
            return Some("one character glossed with two readings (a polyphone lesson)");
        }
    }
    let tone_drill = glosses.windows(2).any(|w| {
        w[0].range.end == w[1].han_start
            && w[0].syllable != w[1].syllable
            && toneless(&w[0].syllable) == toneless(&w[1].syllable)
    });
    tone_drill.then_some("adjacent glosses of one syllable in different tones (a tone drill)")
}

impl Stage for Pinyin {
    fn name(&self) -> StageName {
        StageName::Pinyin
    }

    fn run(&self, doc: &mut Document) {
        let Some(rule) = &self.rule else { return };
        if !doc.text.contains(['(', '（']) {
            return;
        }
        let glosses = rule.glosses(&doc.text);
        if glosses.is_empty() {
            return;
        }
        let distinct: HashSet<char> = glosses.iter().map(|g| g.han).collect();
        let gated = glosses.len() >= rule.min_hits && distinct.len() >= rule.min_chars;
        let reason = if gated {
            teaching_signal(&glosses)
        } else {
            Some("too few annotations on the page to be an annotator's artefact")
        };
        if let Some(reason) = reason {
            for g in &glosses {
                let message = format!("pinyin gloss `{}({})` left: {reason}", g.han, g.syllable);
                doc.flag(StageName::Pinyin, &rule.id, message, Some(g.range.start));
            }
            return;
        }
        let changes = glosses
            .into_iter()
            .map(|g| {
                let reason = format!("`{}` is a reading of {}", g.syllable, g.han);
                Change::remove(g.range, &rule.id, reason)
            })
            .collect();
        doc.apply(StageName::Pinyin, changes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Document {
        let stage = Pinyin::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let mut doc = Document::from_text(text);
        stage.run(&mut doc);
        doc
    }

    #[test]
    fn strips_glosses_on_an_annotated_page() {
        let doc = run("聯(lián)系網(wǎng)絡,當(dāng)然");
        assert_eq!(doc.text, "聯系網絡,當然");
        assert_eq!(doc.report.edits.len(), 3);
    }

    #[test]
    fn a_syllable_that_is_not_a_reading_stays() {
        let doc = run("聯(lián)系網(wǎng)絡當(dāng)然好(xíng)");
        assert_eq!(doc.text, "聯系網絡當然好(xíng)");
    }

    #[test]
    fn an_isolated_gloss_is_flagged_not_stripped() {
        let doc = run("北區(qū)紅旗");
        assert_eq!(doc.text, "北區(qū)紅旗");
        assert_eq!(doc.report.flags.len(), 1);
        assert_eq!(doc.report.flags[0].position, Some("北區".len()));
    }

    #[test]
    fn lessons_are_flagged_not_stripped() {
        for text in [
            "拼音練習:媽(mā)麻(má)馬(mǎ)罵(mà)",
            "多音字:重(chóng)新、重(zhòng)要;音樂(yuè)和快樂(lè)",
        ] {
            let doc = run(text);
            assert_eq!(doc.text, text);
            assert!(!doc.report.flags.is_empty());
        }
    }

    #[test]
    fn toneless_and_capitalised_brackets_stay() {
        let text = "微信(qinshituan)(365天)(上)北京(Běijīng)小米(mi)";
        let doc = run(text);
        assert_eq!(doc.text, text);
        assert!(doc.report.flags.is_empty());
    }
}
