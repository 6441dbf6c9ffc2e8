//! `mojibake`: find garbled runs and repair them (work in progress).

use crate::document::Document;
use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::stages::{Stage, StageName};

pub struct Mojibake;

impl Mojibake {
    pub fn from_rules(_rules: &RuleSet) -> Result<Self, RuleError> {
        Ok(Mojibake)
    }
}

impl Stage for Mojibake {
    fn name(&self) -> StageName {
        StageName::Mojibake
    }

    fn run(&self, _doc: &mut Document) {}
}
