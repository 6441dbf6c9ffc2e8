//! `sluice rules [ID]`: list the rules, or document one.

use std::io::Write;

use anyhow::bail;
use clap::Args;
use sluice::rules::settings::describe;
use sluice::rules::{DeclaredFlag, Rule};
use sluice::{RuleSet, StageName};

use super::{RuleArgs, Status};

#[derive(Args)]
pub struct RulesArgs {
    /// A rule id: print its documentation and examples.
    #[arg(value_name = "ID")]
    id: Option<String>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: RulesArgs) -> anyhow::Result<Status> {
    let rules = args.rules.load()?;
    let mut out = std::io::stdout().lock();
    match &args.id {
        None => {
            let rule_rows = rules
                .rules()
                .iter()
                .map(|r| (&r.id, r.stage, "", &r.description));
            let flag_rows = rules
                .flags()
                .iter()
                .map(|f| (&f.id, f.stage, "(flag) ", &f.description));
            let mut rows: Vec<_> = rule_rows.chain(flag_rows).collect();
            rows.sort_by_key(|&(id, stage, _, _)| (stage, id));
            let width = rows.iter().map(|(id, ..)| id.len()).max().unwrap_or(0);
            for (id, stage, what, description) in rows {
                writeln!(
                    out,
                    "{id:width$}  {:11}  {what}{}",
                    stage.as_str(),
                    first_sentence(description)
                )?;
            }
        }
        Some(id) => {
            let (text, stage) = match (rules.get(id), rules.flag(id)) {
                (Some(rule), _) => (document(rule), rule.stage),
                (None, Some(flag)) => (document_flag(flag), flag.stage),
                (None, None) => bail!("no rule `{id}` (see `sluice rules`)"),
            };
            write!(out, "{text}{}", document_settings(&rules, stage)?)?;
        }
    }
    Ok(Status::Success)
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

/// The settings of a stage, with their values in effect and their documentation.
fn document_settings(rules: &RuleSet, stage: StageName) -> anyhow::Result<String> {
    let settings = describe(rules, stage)?;
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
        let docs = sluice::stages::parameter_docs(rule);
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
