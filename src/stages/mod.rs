//! The stages, one module each, and the order they run in.

use crate::document::Document;
use crate::error::RuleError;
use crate::rules::schema::{field_docs, variant_docs};
use crate::rules::{Rule, RuleSet};
pub use crate::types::StageName;

pub mod boilerplate;
pub mod decode;
pub mod dedup;
pub mod html;
pub mod markup;
pub mod mojibake;
pub mod pinyin;
pub mod script;
pub mod spam;

/// One step of the pipeline. A stage is built once per run from the compiled rule set and then runs
/// on many documents, possibly from several threads at once.
pub trait Stage: Send + Sync {
    /// Which stage this is (the stage of the ids it reports).
    fn name(&self) -> StageName;
    /// Change the document, recording every change with [`Document::apply`] and everything noticed
    /// but left alone with [`Document::flag`]. A stage never fails on input: bad input is flagged.
    fn run(&self, doc: &mut Document);
}

/// The documented parameters of a rule, from its stage's parameter types (by the rule's kind, or
/// its id where the stage's rules have no kinds). Parameters still read by hand (`script.convert`)
/// have none.
pub fn parameter_docs(rule: &Rule) -> Vec<(String, String)> {
    let kind = rule
        .params
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    match rule.stage {
        StageName::Html => variant_docs::<html::HtmlKind>(kind),
        StageName::Markup => variant_docs::<markup::MarkupKind>(kind),
        StageName::Mojibake => variant_docs::<mojibake::MojibakeKind>(kind),
        StageName::Spam => variant_docs::<spam::SpamKind>(kind),
        StageName::Pinyin => field_docs::<pinyin::GlossParams>(),
        StageName::Dedup => variant_docs::<dedup::DedupKind>(kind),
        StageName::Boilerplate => boilerplate_docs(kind),
        StageName::Script => match rule.id.as_str() {
            script::spin::DAMAGE_RULE => field_docs::<script::spin::DamageParams>(),
            script::spin::WORD_RULE => field_docs::<script::spin::WordParams>(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A boilerplate rule's parameters: those every kind takes and the kind's own.
fn boilerplate_docs(kind: &str) -> Vec<(String, String)> {
    let mut docs = field_docs::<boilerplate::BoilerplateParams>();
    docs.extend(variant_docs::<boilerplate::BoilerplateKind>(kind));
    docs
}

/// Build the stage called `name` from the rules.
pub fn build(name: StageName, rules: &RuleSet) -> Result<Box<dyn Stage>, RuleError> {
    fn boxed<S: Stage + 'static>(r: Result<S, RuleError>) -> Result<Box<dyn Stage>, RuleError> {
        r.map(|s| Box::new(s) as Box<dyn Stage>)
    }
    match name {
        StageName::Decode => boxed(decode::Decode::from_rules(rules)),
        StageName::Html => boxed(html::Html::from_rules(rules)),
        StageName::Markup => boxed(markup::Markup::from_rules(rules)),
        StageName::Mojibake => boxed(mojibake::Mojibake::from_rules(rules)),
        StageName::Pinyin => boxed(pinyin::Pinyin::from_rules(rules)),
        StageName::Spam => boxed(spam::Spam::from_rules(rules)),
        StageName::Script => boxed(script::Script::from_rules(rules)),
        StageName::Boilerplate => boxed(boilerplate::Boilerplate::from_rules(rules)),
        StageName::Dedup => boxed(dedup::Dedup::from_rules(rules)),
    }
}
