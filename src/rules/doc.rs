//! What `sluice rules` prints: the list of rules and declared flags, and one id's documentation
//! (description, parameters and the stage's settings with their docs from the types, examples).

use super::{DeclaredFlag, Rule, RuleSet};
use crate::error::RuleError;
use crate::types::StageName;

impl RuleSet {
    /// One line per rule and declared flag, by stage and id: id, stage, first sentence.
    pub fn listing(&self) -> String {
        let rule_rows = self
            .rules()
            .iter()
            .map(|r| (&r.id, r.stage, "", &r.description));
        let flag_rows = self
            .flags()
            .iter()
            .map(|f| (&f.id, f.stage, "(flag) ", &f.description));
        let mut rows: Vec<_> = rule_rows.chain(flag_rows).collect();
        rows.sort_by_key(|&(id, stage, _, _)| (stage, id));
        let width = rows.iter().map(|(id, ..)| id.len()).max().unwrap_or(0);
        rows.into_iter()
            .map(|(id, stage, what, description)| {
                format!(
                    "{id:width$}  {:11}  {what}{}\n",
                    stage.as_str(),
                    first_sentence(description)
                )
            })
            .collect()
    }

    /// The documentation of a rule or declared flag, with its stage's settings; `None` for an id
    /// the rule set does not know.
    pub fn document(&self, id: &str) -> Result<Option<String>, RuleError> {
        let (text, stage) = match (self.get(id), self.flag(id)) {
            (Some(rule), _) => (document(rule), rule.stage),
            (None, Some(flag)) => (document_flag(flag), flag.stage),
            (None, None) => return Ok(None),
        };
        Ok(Some(text + &self.document_settings(stage)?))
    }

    /// The settings of a stage, with their values in effect and their documentation.
    fn document_settings(&self, stage: StageName) -> Result<String, RuleError> {
        let settings = self.describe_settings(stage)?;
        if settings.is_empty() {
            return Ok(String::new());
        }
        let mut doc = format!("\nsettings of the {stage} stage ([settings.{stage}]):\n");
        for setting in settings {
            let value = setting.value.as_deref().unwrap_or("(unset)");
            doc.push_str(&format!("  {} = {value}\n", setting.name));
            doc.push_str(&indented_paragraph(&setting.doc));
        }
        Ok(doc)
    }
}

fn first_sentence(description: &str) -> &str {
    let line = description.lines().next().unwrap_or("");
    line.split_inclusive(". ").next().unwrap_or(line).trim()
}

fn document_flag(flag: &DeclaredFlag) -> String {
    format!(
        "{}\nstage: {} (a flag: raised by the stage, not a rule)\ndefined at: {}:{}\n\n{}\n",
        flag.id, flag.stage, flag.origin.file, flag.origin.line, flag.description
    )
}

/// A doc comment's lines joined into one indented line: the terminal wraps it.
fn indented_paragraph(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    format!("      {}\n", words.join(" "))
}

fn document(rule: &Rule) -> String {
    let mut doc = format!(
        "{}\nstage: {}\ndefined at: {}:{}\n\n{}\n",
        rule.id, rule.stage, rule.origin.file, rule.origin.line, rule.description
    );
    if !rule.params.is_empty() {
        doc.push_str("\nparameters:\n");
        let docs = rule.parameter_docs();
        for (key, value) in &rule.params {
            doc.push_str(&format!("  {key} = {value}\n"));
            if let Some((_, text)) = docs.iter().find(|(name, _)| name == key) {
                doc.push_str(&indented_paragraph(text));
            }
        }
    }
    doc.push_str("\nexamples:\n");
    for example in &rule.examples {
        doc.push_str(&format!(
            "  {:?}\n    → {:?}\n",
            example.input, example.output
        ));
    }
    doc.push_str("\nleft unchanged:\n");
    for input in &rule.unchanged {
        doc.push_str(&format!("  {input:?}\n"));
    }
    doc
}
