//! Each kind of mojibake rule read from its `[[rule]]`.

use std::sync::{Arc, LazyLock};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::RuleError;
use crate::rules::{FOLD_TABLE, Rule, RuleSet};

use super::codec::{PlainBig5, Tables, WholeCharacters};
use super::entity::Entities;
use super::latin::{Utf8Fixer, badness_regex};
use super::slip::Op;
use super::{Lost, LostTables, Mojibake, Redecode, Slip, lost, roundtrip};

/// The kinds of mojibake rule and their parameters (`kind = "…"` in a `[[rule]]` of the stage).
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MojibakeKind {
    /// Numeric character references left in text.
    Entity {},
    /// UTF-8 read through single-byte code pages, repaired as ftfy does.
    Codepage {
        /// The code pages a text may have been read through (`windows-1252`, `latin-1`, …).
        codepages: Vec<String>,
        /// ftfy's badness table (a data file of the rule set).
        badness: String,
    },
    /// Chinese garbling repaired by re-decoding hypotheses.
    Redecode {
        /// The hypotheses: chains such as `gb18030>utf-8` (text in the second charset read as the first), one or two layers.
        chains: Vec<String>,
        /// The plain Big5 table (a data file of the rule set).
        plain_big5: String,
        /// The best decoding replaces a clause when its language-model score per character beats
        /// the clause's by this.
        min_gain_per_char: f64,
        /// Clauses shorter than this many characters are not re-decoded.
        min_chars: usize,
        /// A chain is taken for a line when a clause with this many rare characters becomes as many
        /// Han characters (or has a character no text has).
        min_evidence: usize,
        /// A character whose bytes were all lost (two unknown bytes side by side in a double-byte
        /// charset, three in UTF-8) is filled only when its best filling reads better than the
        /// next, over about a clause, by this log-probability; otherwise the clause is left as it
        /// is and flagged.
        whole_character_margin: f64,
    },
    /// A byte lost, inserted or replaced in a double-byte stream.
    ByteSlip(SlipParams),
    /// `?` written for characters a GB2312 or Big5 page lacked, filled from the 4-gram model.
    LostCharacters {
        /// Readings kept by the beam search.
        beam: usize,
        /// Candidates kept per gap, ranked by the characters either side.
        per_gap: usize,
        /// The log-probability by which a filling must beat every other candidate for its gap.
        min_margin: f64,
        /// A `?` reads as a question mark (and is left alone) when the character n-gram model gives
        /// it and the character after it at least this log-probability.
        question_mark_logp: f64,
        /// The simplified→traditional table (a data file of the rule set).
        simplified_to_traditional: String,
        /// The log-probability by which a character lost in a round trip through GBK (`平臺�?`)
        /// must beat every other candidate its bytes allow.
        round_trip_min_margin: f64,
    },
}

/// The parameters of a `byte-slip` rule.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlipParams {
    /// The double-byte charset of the stream (`gb18030`, `big5`).
    pub(super) charset: String,
    /// The slips tried (`lost-byte`, `inserted-byte`, `qmark-lead`, …).
    pub(super) ops: Vec<String>,
    /// The best edit replaces the run when its score beats the run's by this …
    pub(super) min_gain: f64,
    /// … or by this when all it does is drop ASCII characters …
    pub(super) min_gain_ascii_only: f64,
    /// … or by this when the run's only suspects are U+FFFD among clean characters.
    pub(super) min_gain_rejected_only: f64,
    /// The run re-encoded starts this many characters before the first suspect.
    pub(super) reach_back: usize,
    /// Characters either side scored with the run.
    pub(super) context: usize,
    /// Weight of the character 4-gram model added to the stage's language model when the
    /// search compares repairs: its three characters of history tell a word from a pair of
    /// plausible characters (`保稅倉` from `陳倉`).
    pub(super) ngram_weight: f64,
}

impl Mojibake {
    /// Compile one rule into the stage.
    pub(super) fn compile(&mut self, rule: &Rule, rules: &RuleSet) -> Result<(), RuleError> {
        match rule.parameters::<MojibakeKind>()? {
            MojibakeKind::Entity {} => self.entity = Some((rule.id.clone(), Entities::new())),
            MojibakeKind::Codepage { codepages, badness } => {
                let badness = badness_regex(&badness, rules.data_str(&badness)?)?;
                let fixer = Utf8Fixer::new(badness, &codepages).map_err(|e| rule.error(e))?;
                self.codepage = Some((rule.id.clone(), fixer));
            }
            MojibakeKind::Redecode {
                chains,
                plain_big5,
                min_gain_per_char,
                min_chars,
                min_evidence,
                whole_character_margin,
            } => {
                let chains = parse_each(rule, &chains, str::parse)?;
                let plain_big5 = PlainBig5::parse(&plain_big5, rules.data_str(&plain_big5)?)?;
                self.redecode = Some(Redecode {
                    id: rule.id.clone(),
                    chains,
                    tables: Tables {
                        plain_big5,
                        whole: WholeCharacters::new(Arc::clone(&self.ngrams)),
                    },
                    min_gain_per_char,
                    min_chars,
                    min_evidence,
                    whole_character_margin,
                });
            }
            MojibakeKind::ByteSlip(params) => {
                self.slip = Some(Slip {
                    id: rule.id.clone(),
                    charset: params.charset.parse().map_err(|e| rule.error(e))?,
                    ops: parse_each(rule, &params.ops, Op::parse)?,
                    params,
                });
            }
            MojibakeKind::LostCharacters {
                beam,
                per_gap,
                min_margin,
                question_mark_logp,
                simplified_to_traditional,
                round_trip_min_margin,
            } => {
                let ngrams = Arc::clone(&self.ngrams);
                let st_table = rules.data_str(&simplified_to_traditional)?.to_string();
                let ts_table = rules.data_str(FOLD_TABLE)?.to_string();
                let build_tables = move || {
                    let candidates = lost::Candidates::new(&ngrams, &st_table, &ts_table);
                    let round_trip_options = [
                        Some(lost::Lean::Simplified),
                        Some(lost::Lean::Traditional),
                        None,
                    ]
                    .map(|lean| roundtrip::options(&ngrams, candidates.forms(), lean));
                    LostTables {
                        candidates,
                        gbk_pairs: roundtrip::GbkPairs::new(),
                        round_trip_options,
                    }
                };
                self.lost = Some(Lost {
                    id: rule.id.clone(),
                    tables: LazyLock::new(Box::new(build_tables)),
                    settings: lost::Settings {
                        beam,
                        per_gap,
                        min_margin,
                    },
                    question_mark_logp,
                    round_trip_min_margin,
                });
            }
        }
        Ok(())
    }
}

/// Each of a rule's names parsed, or the rule's error for the first that does not parse.
fn parse_each<T, E: std::fmt::Display>(
    rule: &Rule,
    names: &[String],
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, RuleError> {
    names
        .iter()
        .map(|n| parse(n).map_err(|e| rule.error(e)))
        .collect()
}
