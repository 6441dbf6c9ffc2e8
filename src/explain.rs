//! What `sluice explain FILE` prints: every edit and flag of one document, like a linter, with
//! positions in the text the stage saw and a little context.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::document::{Document, Format};
use crate::error::Error;
use crate::pipeline::{Cleaned, Pipeline};
use crate::report::Edit;
use crate::run::{Inputs, read_input};
use crate::stages::StageName;
use crate::stages::decode::check_is_text;

/// Characters of context on each side of an edit.
const CONTEXT: usize = 12;

/// Every edit and flag that cleaning `bytes` makes, one per line like a linter, with positions in
/// the text each stage saw (`name:line:col: stage/rule: reason`) and the text around each edit; the
/// decoding first, the counts last.
pub fn explain(pipeline: &Pipeline, name: &str, bytes: &[u8]) -> Result<String, Error> {
    check_is_text(bytes)?;
    let mut inputs: HashMap<StageName, String> = HashMap::new();
    let doc = pipeline.run_stages(
        Document::from_bytes(bytes.to_vec(), Format::sniff(bytes)),
        |stage, before| {
            inputs.insert(stage, before.text.clone());
        },
    );
    let mut out = String::new();
    if let Some(decode) = &doc.report.decode {
        out += &format!("{name}: decoded as {} ({})", decode.encoding, decode.method);
        if let Some(declared) = &decode.declared {
            out += &format!(", declared {declared}");
        }
        if let Some(why) = &decode.overridden {
            out += &format!("; {why}");
        }
        if decode.errors > 0 {
            out += &format!(
                "; {} malformed sequences at bytes {:?}",
                decode.errors, decode.error_offsets
            );
        }
        out.push('\n');
    }
    for edit in &doc.report.edits {
        let input = inputs.get(&edit.stage).map_or("", String::as_str);
        out += &describe_edit(name, input, edit);
        out.push('\n');
    }
    for flag in &doc.report.flags {
        let at = flag.position.map_or(String::new(), |p| {
            let (line, col) = line_col(inputs.get(&flag.stage).map_or("", String::as_str), p);
            format!(":{line}:{col}")
        });
        out += &format!(
            "{name}{at}: flag {}/{}: {}\n",
            flag.stage, flag.rule, flag.message
        );
    }
    out += &format!(
        "{name}: {} edits, {} flags\n",
        doc.report.edits.len(),
        doc.report.flags.len()
    );
    Ok(out)
}

/// What a rule change does to a corpus (`sluice diff`).
#[derive(Debug)]
pub struct CorpusDiff {
    /// The documents compared.
    pub documents: usize,
    /// One [`describe_change`] per document whose output changes, in input order.
    pub changes: Vec<String>,
    /// The documents that could not be read or cleaned with one of the rule sets, and why: they
    /// are not compared.
    pub failures: Vec<(PathBuf, Error)>,
}

/// The changes, then how many documents change and, if some could not be compared, how many.
impl std::fmt::Display for CorpusDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        for change in &self.changes {
            write!(f, "{change}")?;
        }
        let changed = self.changes.len();
        writeln!(f, "{changed} of {} documents change", self.documents)?;
        match self.failures.len() {
            0 => Ok(()),
            failed => writeln!(f, "{failed} documents could not be compared"),
        }
    }
}

/// Clean every file of `paths` (files, and the files of trees, as `sluice clean` collects them) with
/// the `base` and the `new` pipeline, in parallel, and describe the documents whose output changes.
pub fn diff_corpus(base: &Pipeline, new: &Pipeline, paths: &[PathBuf]) -> CorpusDiff {
    let inputs = Inputs::collect(paths, None);
    let paths: Vec<&Path> = inputs.file_paths().collect();
    let compare = |path: &&Path| -> Result<Option<String>, Error> {
        let bytes = read_input(path)?;
        let (before, after) = (base.clean(&bytes)?, new.clean(&bytes)?);
        Ok(describe_change(
            &path.display().to_string(),
            &before,
            &after,
        ))
    };
    let results: Vec<_> = paths.par_iter().map(compare).collect();
    let mut diff = CorpusDiff {
        documents: paths.len(),
        changes: Vec::new(),
        failures: Vec::new(),
    };
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(change) => diff.changes.extend(change),
            Err(error) => diff.failures.push((path.to_path_buf(), error)),
        }
    }
    diff
}

/// What a rule change does to one document (`sluice diff`): a unified diff of its outputs before and
/// after, and the change in edits per rule; `None` when the output is the same.
pub fn describe_change(name: &str, before: &Cleaned, after: &Cleaned) -> Option<String> {
    let (old, new) = (before.render(), after.render());
    if old == new {
        return None;
    }
    let mut text = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(1)
        .header(
            &format!("{name} (base rules)"),
            &format!("{name} (changed rules)"),
        )
        .to_string();
    let mut counts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for edit in &before.report.edits {
        counts.entry(edit.rule.as_str()).or_default().0 += 1;
    }
    for edit in &after.report.edits {
        counts.entry(edit.rule.as_str()).or_default().1 += 1;
    }
    for (rule, (b, a)) in counts.into_iter().filter(|(_, (b, a))| b != a) {
        text.push_str(&format!("  {rule}: {b} → {a} edits\n"));
    }
    Some(text)
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
