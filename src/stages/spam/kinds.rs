//! Each kind of spam rule read from its `[[rule]]`.

use schemars::JsonSchema;
use serde::Deserialize;

use regex::Regex;

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::types::StageName;

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
    TitleHijack(TitleParams),
    /// A line that is only a list of spam phrases.
    StuffingLine(StuffingParams),
    /// Anti-scraping tokens and their wrappers around real words.
    ScrapeToken(TokenParams),
    /// A whole obfuscated spam phrase: found by the `scrape-token` rule that names it in
    /// `phrase_rule`, and declared so that its removals have their own id and examples.
    ObfuscatedPhrase {},
    /// A listed phrase with injection evidence.
    ListedPhrase(ListedParams),
    /// A phrase in no list, found from a cue word and its context.
    ContextPhrase(ContextParams),
    /// A span ending at an injector's comma, judged by one logistic model over evidence that needs
    /// no list (punctuation, the language models' gain from removing it, its promotional sound).
    ScoredSpan(ScoredSpanParams),
    /// A hijacked first line judged with no list: one logistic model over its keyword groups'
    /// promotional sound and the share of its words the body does not use. Declared after the
    /// scored-span rule, whose sounds it shares.
    ScoredTitle(ScoredTitleParams),
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

/// The parameters of `title-hijack`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleParams {
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
}

/// The parameters of `stuffing-line`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StuffingParams {
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
}

/// The parameters of `scrape-token`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenParams {
    /// A regular expression for one token (`%Nd2r1%`).
    token: String,
    /// The characters that wrap a group (`@`).
    wrappers: String,
    /// The longest piece of words between two tokens, in characters.
    max_piece_chars: usize,
    /// The id under which a group whose words are spam goes whole.
    phrase_rule: String,
}

/// The parameters of `listed-phrase`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListedParams {
    /// The phrase lists.
    lists: Paths,
    /// The language model's join gain that shows a phrase splits a sentence.
    min_join_gain: f64,
}

/// The parameters of `context-phrase`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextParams {
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
}

/// The parameters of `scored-span`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredSpanParams {
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
}

/// The parameters of `scored-title`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredTitleParams {
    /// The sound bigrams of hijacked titles (`sound sound<TAB>log-likelihood ratio`), derived
    /// by `train_spam_model` from the train side's real hijacked titles.
    bigrams: String,
    /// The model's weights (`feature<TAB>weight`, `bias`, `threshold`), from the same binary.
    weights: String,
    /// The characters that join keyword groups.
    separators: String,
    /// The line has at least this many keyword groups.
    min_groups: usize,
}

impl Spam {
    pub(super) fn compile(&mut self, rule: &Rule, rules: &RuleSet) -> Result<(), RuleError> {
        let kind = rule.parameters::<SpamKind>()?;
        // Interpreted by the scrape-token rule (which names it in `phrase_rule`), which may name
        // any number of them.
        if !matches!(kind, SpamKind::ObfuscatedPhrase {}) {
            refuse_a_second(rule, rules)?;
        }
        match kind {
            SpamKind::TitleHijack(p) => {
                self.title = Some(TitleRule {
                    words: self.word_list(rule, rules, ("words", &p.words), 1, true)?,
                    separators: p.separators.chars().collect(),
                    min_groups: p.min_groups,
                    min_coverage: p.min_coverage,
                    min_specific_words: p.min_specific_words,
                    id: rule.id.clone(),
                });
            }
            SpamKind::StuffingLine(p) => {
                self.stuffing = Some(StuffingRule {
                    separators: p.separators.chars().collect(),
                    min_items: p.min_items,
                    max_item_chars: p.max_item_chars,
                    min_spam_share: p.min_spam_share,
                    min_promo_cover: p.min_promo_cover,
                    id: rule.id.clone(),
                });
            }
            SpamKind::ScrapeToken(p) => {
                let token = Regex::new(&p.token)
                    .map_err(|e| rule.error(format!("parameter `token`: {e}")))?;
                self.tokens = Some(TokenRule {
                    phrase_id: p.phrase_rule,
                    token,
                    wrappers: p.wrappers.chars().collect(),
                    max_piece_chars: p.max_piece_chars,
                    id: rule.id.clone(),
                });
            }
            SpamKind::ObfuscatedPhrase {} => {}
            SpamKind::ListedPhrase(p) => {
                self.listed = Some(ListedRule {
                    phrases: self.word_list(rule, rules, ("lists", &p.lists), 3, false)?,
                    min_join_gain: p.min_join_gain,
                    id: rule.id.clone(),
                });
            }
            SpamKind::ContextPhrase(p) => {
                let list = |key, paths, overlapping| {
                    self.word_list(rule, rules, (key, paths), 2, overlapping)
                };
                self.context = Some(ContextRule {
                    cues: list("cues", &p.cues, false)?,
                    weak_cues: list("weak_cues", &p.weak_cues, false)?,
                    name_parts: list("name_parts", &p.name_parts, true)?,
                    max_extend_chars: p.max_extend_chars,
                    max_span_chars: p.max_span_chars,
                    min_join_gain: p.min_join_gain,
                    id: rule.id.clone(),
                });
            }
            SpamKind::ScoredSpan(p) => {
                self.scored = Some(ScoredRule::compile(
                    rule,
                    (rules, self),
                    (&p.bigrams, &p.weights, &p.readings),
                    (p.min_span_chars, p.max_span_chars, p.min_join_gain),
                )?);
            }
            SpamKind::RepeatedSpan {
                min_docs,
                min_span_chars,
                max_span_chars,
                min_promo_cover,
            } => {
                self.repeated = Some(RepeatedRule::compile(
                    rule,
                    min_docs,
                    (min_span_chars, max_span_chars),
                    min_promo_cover,
                )?);
            }
            SpamKind::ScoredTitle(p) => {
                self.scored_title = Some(ScoredTitle::compile(
                    rule,
                    rules,
                    self,
                    (&p.bigrams, &p.weights),
                    (&p.separators, p.min_groups),
                )?);
            }
        }
        Ok(())
    }
}

/// A kind of spam rule may have one rule: `rule` is refused when a rule of its kind comes before it.
fn refuse_a_second(rule: &Rule, rules: &RuleSet) -> Result<(), RuleError> {
    let kind = rule.params.get("kind");
    let earlier = rules
        .for_stage(StageName::Spam)
        .take_while(|r| !std::ptr::eq(*r, rule));
    for other in earlier {
        if other.params.get("kind") == kind {
            let kind = kind.map(ToString::to_string).unwrap_or_default();
            return Err(rule.error(format!("a second rule of kind {kind}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spam stage of the default rules with `extra` laid over them as `extra.toml`.
    fn with_extra(extra: &str) -> Result<Spam, RuleError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("extra.toml"), extra).unwrap();
        Spam::from_rules(&RuleSet::load(dir.path(), true).unwrap())
    }

    /// A rule `spam.second` of `kind` with the parameter lines `params`.
    fn second(kind: &str, params: &str) -> String {
        format!(
            "[[rule]]\nid = \"spam.second\"\nstage = \"spam\"\nkind = \"{kind}\"\n\
             description = \"d\"\n{params}unchanged = [\"a\"]\n\
             [[rule.example]]\ninput = \"b\"\noutput = \"\"\n"
        )
    }

    #[test]
    fn a_kind_has_one_rule_but_obfuscated_phrases() {
        let token = "token = '%[a-z]{3}%'\nwrappers = \"@\"\nmax_piece_chars = 4\n\
                     phrase_rule = \"spam.obfuscated-phrase\"\n";
        let error = with_extra(&second("scrape-token", token)).err().unwrap();
        assert!(
            error.to_string().contains("extra.toml:1:")
                && error
                    .to_string()
                    .contains("a second rule of kind \"scrape-token\""),
            "{error}"
        );
        assert!(with_extra(&second("obfuscated-phrase", "")).is_ok());
    }
}
