//! `sluice explain FILE`: every edit and flag of one file, like a linter, with positions in the text
//! the stage saw and a little context.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sluice::run::read_input;
use sluice::{Document, Edit, Format, Pipeline, StageName};

use super::{RuleArgs, Status};

/// Characters of context on each side of an edit.
const CONTEXT: usize = 12;

#[derive(Args)]
pub struct ExplainArgs {
    /// The file to explain.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<Status> {
    let rules = args.rules.load()?;
    let pipeline = Pipeline::from_rules(&rules).context("the rules do not compile")?;
    let bytes = read_input(&args.file).with_context(|| args.file.display().to_string())?;
    sluice::stages::decode::check_is_text(&bytes)
        .with_context(|| args.file.display().to_string())?;
    let mut inputs: HashMap<StageName, String> = HashMap::new();
    let doc = pipeline.run_stages(
        Document::from_bytes(bytes.clone(), Format::sniff(&bytes)),
        |stage, before| {
            inputs.insert(stage, before.text.clone());
        },
    );
    let name = args.file.display().to_string();
    let mut out = std::io::stdout().lock();
    if let Some(decode) = &doc.report.decode {
        write!(
            out,
            "{name}: decoded as {} ({})",
            decode.encoding, decode.method
        )?;
        if let Some(declared) = &decode.declared {
            write!(out, ", declared {declared}")?;
        }
        if let Some(why) = &decode.overridden {
            write!(out, "; {why}")?;
        }
        if decode.errors > 0 {
            write!(
                out,
                "; {} malformed sequences at bytes {:?}",
                decode.errors, decode.error_offsets
            )?;
        }
        writeln!(out)?;
    }
    for edit in &doc.report.edits {
        let input = inputs.get(&edit.stage).map_or("", String::as_str);
        writeln!(out, "{}", describe_edit(&name, input, edit))?;
    }
    for flag in &doc.report.flags {
        let at = flag.position.map_or(String::new(), |p| {
            let (line, col) = line_col(inputs.get(&flag.stage).map_or("", String::as_str), p);
            format!(":{line}:{col}")
        });
        writeln!(
            out,
            "{name}{at}: flag {}/{}: {}",
            flag.stage, flag.rule, flag.message
        )?;
    }
    writeln!(
        out,
        "{name}: {} edits, {} flags",
        doc.report.edits.len(),
        doc.report.flags.len()
    )?;
    Ok(Status::Success)
}

/// `file:line:col: stage/rule: reason` then the text around the edit with `[before→after]`.
fn describe_edit(name: &str, input: &str, edit: &Edit) -> String {
    let (line, col) = line_col(input, edit.start);
    let before_context = tail_chars(input.get(..edit.start).unwrap_or(""), CONTEXT);
    let after_context = head_chars(input.get(edit.end..).unwrap_or(""), CONTEXT);
    format!(
        "{name}:{line}:{col}: {}/{}: {}\n    …{}[{}→{}]{}…",
        edit.stage,
        edit.rule,
        edit.reason,
        visible(before_context),
        visible(&edit.before),
        visible(&edit.after),
        visible(after_context)
    )
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn tail_chars(s: &str, n: usize) -> &str {
    let start = s
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    &s[start..]
}

fn head_chars(s: &str, n: usize) -> &str {
    let end = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// Newlines and tabs shown as escapes so each edit stays on one line.
fn visible(s: &str) -> String {
    s.replace('\n', "⏎").replace('\t', "⇥")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_context() {
        assert_eq!(line_col("ab\n甲乙丙", 6), (2, 2));
        assert_eq!(tail_chars("甲乙丙丁", 2), "丙丁");
        assert_eq!(head_chars("甲乙丙丁", 2), "甲乙");
    }
}
