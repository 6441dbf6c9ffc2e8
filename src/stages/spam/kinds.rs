//! Each kind of spam rule read from its `[[rule]]`.

use schemars::JsonSchema;
use serde::Deserialize;

use regex::Regex;

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};

use super::repeated::RepeatedRule;
use super::scored::ScoredRule;
use super::scored_title::ScoredTitle;
use super::{ContextRule, ListedRule, Spam, StuffingRule, TitleRule, TokenRule};

/// Word list files: one path or a list of paths (data files of the rule set).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

/// The kinds of spam rule and their parameters (`kind = "…"` in a `[[rule]]` of the stage). Each kind
/// may have one rule.
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SpamKind {
    /// A first line of spam keyword groups joined by separators.
    TitleHijack {
        /// The title words (`word` or `word<TAB>category` lines).
        words: Paths,
        /// The characters that join keyword groups.
        separators: String,
        /// The line has at least this many keyword groups …
        min_groups: usize,
        /// … at least this share of its letters are title words …
        min_coverage: f64,
        /// … and at least this many of them are not generic words of video and news titles.
        min_specific_words: usize,
    },
    /// A line that is only a list of spam phrases.
    StuffingLine {
        /// The characters between items.
        separators: String,
        /// At least this many items …
        min_items: usize,
        /// … each of at most this many characters …
        max_item_chars: usize,
        /// … and at least this share of them spam phrases.
        min_spam_share: f64,
        /// An item no list knows counts as a spam phrase when at least this share of its sound
        /// bigrams are promotional by the scored-span rule's phrase model (`spam/promo-bigrams.txt`).
        /// Absent: listed phrases and cue words only.
        #[serde(default)]
        min_promo_cover: Option<f64>,
    },
    /// Anti-scraping tokens and their wrappers around real words.
    ScrapeToken {
        /// A regular expression for one token (`%Nd2r1%`).
        token: String,
        /// The characters that wrap a group (`@`).
        wrappers: String,
        /// The longest piece of words between two tokens, in characters.
        max_piece_chars: usize,
        /// The id under which a group whose words are spam goes whole.
        phrase_rule: String,
    },
    /// A whole obfuscated spam phrase: found by the `scrape-token` rule that names it in
    /// `phrase_rule`, and declared so that its removals have their own id and examples.
    ObfuscatedPhrase {},
    /// A listed phrase with injection evidence.
    ListedPhrase {
        /// The phrase lists.
        lists: Paths,
        /// The language model's join gain that shows a phrase splits a sentence.
        min_join_gain: f64,
    },
    /// A phrase in no list, found from a cue word and its context.
    ContextPhrase {
        /// Cue words that mark a span.
        cues: Paths,
        /// Cue words too common to mark a span alone: they need a name part before them.
        weak_cues: Paths,
        /// Name parts (brands, sites) that may stand before a cue.
        name_parts: Paths,
        /// A span extends right to a comma at most this many characters on.
        max_extend_chars: usize,
        /// The longest span, in characters.
        max_span_chars: usize,
        /// The language model's join gain that shows a span splits a word (strong evidence).
        min_join_gain: f64,
    },
    /// A span ending at an injector's comma, judged by one logistic model over evidence that needs
    /// no list (punctuation, the language models' gain from removing it, its promotional sound).
    ScoredSpan {
        /// The promotional sound bigrams (`sound sound<TAB>log-likelihood ratio`), derived by
        /// `train_spam_model` from the train side of the development phrases.
        bigrams: String,
        /// The model's weights (`feature<TAB>weight`, `bias`, `threshold`), from the same binary.
        weights: String,
        /// The readings that fold characters to their sound (`char<TAB>reading,reading`).
        readings: String,
        /// A span has at least this many characters before its comma …
        min_span_chars: usize,
        /// … and at most this many.
        max_span_chars: usize,
        /// The word model's join gain at which a span's start would cut a word: such a span is
        /// refused.
        min_join_gain: f64,
    },
    /// A hijacked first line judged with no list: one logistic model over its keyword groups'
    /// promotional sound and the share of its words the body does not use. Declared after the
    /// scored-span rule, whose sounds it shares.
    ScoredTitle {
        /// The sound bigrams of hijacked titles (`sound sound<TAB>log-likelihood ratio`), derived
        /// by `train_spam_model` from the train side's real hijacked titles.
        bigrams: String,
        /// The model's weights (`feature<TAB>weight`, `bias`, `threshold`), from the same binary.
        weights: String,
        /// The characters that join keyword groups.
        separators: String,
        /// The line has at least this many keyword groups.
        min_groups: usize,
    },
    /// A suspect span injected into many unrelated documents of one run; judged only in a run (the
    /// run engine counts the documents), so a document cleaned alone is left as it is.
    RepeatedSpan {
        /// A span is confirmed once this many documents of the run carry it that are not
        /// near-duplicates of one another (by the `[settings.dedup]` Jaccard threshold).
        min_docs: usize,
        /// Spans of at least this many letters (Han characters, letters, digits) before their comma …
        min_span_chars: usize,
        /// … and at most this many.
        max_span_chars: usize,
        /// A span whose comma is not foreign to its line is suspect when at least this share of its
        /// syllable bigrams are promotional by the `scored-span` rule's phrase model. Absent: the
        /// comma's shape only.
        #[serde(default)]
        min_promo_cover: Option<f64>,
    },
}

impl Spam {
    pub(super) fn compile(&mut self, rule: &Rule, rules: &RuleSet) -> Result<(), RuleError> {
        let id = rule.id.clone();
        let duplicate = || {
            let kind = rule.params.get("kind").map(ToString::to_string);
            rule.error(format!(
                "a second rule of kind {}",
                kind.unwrap_or_default()
            ))
        };
        match rule.parameters::<SpamKind>()? {
            SpamKind::TitleHijack {
                words,
                separators,
                min_groups,
                min_coverage,
                min_specific_words,
            } => {
                if self.title.is_some() {
                    return Err(duplicate());
                }
                self.title = Some(TitleRule {
                    words: self.word_list(rule, rules, ("words", &words), 1, true)?,
                    separators: separators.chars().collect(),
                    min_groups,
                    min_coverage,
                    min_specific_words,
                    id,
                });
            }
            SpamKind::StuffingLine {
                separators,
                min_items,
                max_item_chars,
                min_spam_share,
                min_promo_cover,
            } => {
                if self.stuffing.is_some() {
                    return Err(duplicate());
                }
                self.stuffing = Some(StuffingRule {
                    separators: separators.chars().collect(),
                    min_items,
                    max_item_chars,
                    min_spam_share,
                    min_promo_cover,
                    id,
                });
            }
            SpamKind::ScrapeToken {
                token,
                wrappers,
                max_piece_chars,
                phrase_rule,
            } => {
                if self.tokens.is_some() {
                    return Err(duplicate());
                }
                let token = Regex::new(&token)
                    .map_err(|e| rule.error(format!("parameter `token`: {e}")))?;
                self.tokens = Some(TokenRule {
                    phrase_id: phrase_rule,
                    token,
                    wrappers: wrappers.chars().collect(),
                    max_piece_chars,
                    id,
                });
            }
            // Interpreted by the scrape-token rule (which names it in `phrase_rule`).
            SpamKind::ObfuscatedPhrase {} => {}
            SpamKind::ListedPhrase {
                lists,
                min_join_gain,
            } => {
                if self.listed.is_some() {
                    return Err(duplicate());
                }
                self.listed = Some(ListedRule {
                    phrases: self.word_list(rule, rules, ("lists", &lists), 3, false)?,
                    min_join_gain,
                    id,
                });
            }
            SpamKind::ContextPhrase {
                cues,
                weak_cues,
                name_parts,
                max_extend_chars,
                max_span_chars,
                min_join_gain,
            } => {
                if self.context.is_some() {
                    return Err(duplicate());
                }
                self.context = Some(ContextRule {
                    cues: self.word_list(rule, rules, ("cues", &cues), 2, false)?,
                    weak_cues: self.word_list(rule, rules, ("weak_cues", &weak_cues), 2, false)?,
                    name_parts: self.word_list(
                        rule,
                        rules,
                        ("name_parts", &name_parts),
                        2,
                        true,
                    )?,
                    max_extend_chars,
                    max_span_chars,
                    min_join_gain,
                    id,
                });
            }
            SpamKind::ScoredSpan {
                bigrams,
                weights,
                readings,
                min_span_chars,
                max_span_chars,
                min_join_gain,
            } => {
                if self.scored.is_some() {
                    return Err(duplicate());
                }
                self.scored = Some(ScoredRule::compile(
                    rule,
                    (rules, self),
                    (bigrams.as_str(), weights.as_str(), readings.as_str()),
                    (min_span_chars, max_span_chars, min_join_gain),
                )?);
            }
            SpamKind::RepeatedSpan {
                min_docs,
                min_span_chars,
                max_span_chars,
                min_promo_cover,
            } => {
                if self.repeated.is_some() {
                    return Err(duplicate());
                }
                self.repeated = Some(RepeatedRule::compile(
                    rule,
                    min_docs,
                    (min_span_chars, max_span_chars),
                    min_promo_cover,
                )?);
            }
            SpamKind::ScoredTitle {
                bigrams,
                weights,
                separators,
                min_groups,
            } => {
                if self.scored_title.is_some() {
                    return Err(duplicate());
                }
                self.scored_title = Some(ScoredTitle::compile(
                    rule,
                    rules,
                    self,
                    (bigrams.as_str(), weights.as_str()),
                    (separators.as_str(), min_groups),
                )?);
            }
        }
        Ok(())
    }
}
