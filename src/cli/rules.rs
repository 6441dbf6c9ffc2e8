//! `sluice rules [ID]`: list the rules, or document one.

use std::io::Write;

use anyhow::bail;
use clap::Args;
use sluice::Rule;

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
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for rule in rules.rules() {
                writeln!(
                    out,
                    "{:width$}  {:11}  {}",
                    rule.id,
                    rule.stage.as_str(),
                    first_sentence(&rule.description)
                )?;
            }
        }
        Some(id) => match rules.get(id) {
            Some(rule) => write!(out, "{}", document(rule))?,
            None => bail!("no rule `{id}` (see `sluice rules`)"),
        },
    }
    Ok(Status::Success)
}

fn first_sentence(description: &str) -> &str {
    let line = description.lines().next().unwrap_or("");
    line.split_inclusive(". ").next().unwrap_or(line).trim()
}

fn document(rule: &Rule) -> String {
    let mut doc = format!(
        "{}\nstage: {}\ndefined at: {}:{}\n\n{}\n",
        rule.id, rule.stage, rule.origin.file, rule.origin.line, rule.description
    );
    if !rule.params.is_empty() {
        doc.push_str("\nparameters:\n");
        for (key, value) in &rule.params {
            doc.push_str(&format!("  {key} = {value}\n"));
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
