//! The stages, one module each, and the order they run in.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::document::Document;
use crate::error::RuleError;
use crate::rules::RuleSet;

pub mod boilerplate;
pub mod decode;
pub mod dedup;
pub mod html;
pub mod markup;
pub mod mojibake;
pub mod pinyin;
pub mod script;
pub mod spam;

/// The stages, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    Decode,
    Html,
    Markup,
    Mojibake,
    Pinyin,
    Spam,
    Script,
    Boilerplate,
    Dedup,
}

impl StageName {
    pub const ALL: [StageName; 9] = [
        StageName::Decode,
        StageName::Html,
        StageName::Markup,
        StageName::Mojibake,
        StageName::Pinyin,
        StageName::Spam,
        StageName::Script,
        StageName::Boilerplate,
        StageName::Dedup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Decode => "decode",
            StageName::Html => "html",
            StageName::Markup => "markup",
            StageName::Mojibake => "mojibake",
            StageName::Pinyin => "pinyin",
            StageName::Spam => "spam",
            StageName::Script => "script",
            StageName::Boilerplate => "boilerplate",
            StageName::Dedup => "dedup",
        }
    }

    /// Stages that only repair (never remove content): what `sluice repair` runs.
    pub fn repairs_only(self) -> bool {
        matches!(
            self,
            StageName::Decode | StageName::Mojibake | StageName::Pinyin | StageName::Script
        )
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StageName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StageName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = StageName::ALL.iter().map(|n| n.as_str()).collect();
                format!("unknown stage `{s}` (expected one of {})", names.join(", "))
            })
    }
}

/// One step of the pipeline. A stage is built once per run from the compiled rule set and then runs
/// on many documents, possibly from several threads at once.
pub trait Stage: Send + Sync {
    fn name(&self) -> StageName;
    /// Change the document, recording every change with [`Document::apply`] and everything noticed
    /// but left alone with [`Document::flag`]. A stage never fails on input: bad input is flagged.
    fn run(&self, doc: &mut Document);
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
