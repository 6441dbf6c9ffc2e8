//! An output tree: each document's text and sidecar report, near-duplicate clusters found across the
//! whole run, and a summary of the run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::tree::{InputIds, OutputTree, refuse_overwrites, report_path, summary_path, text_path};
use super::{Engine, Inputs, Outcome, Sink, cannot_write};
use crate::corpus::Signature;
use crate::error::Error;
use crate::pipeline::Cleaned;
use crate::report_json::{Duplicates, add_duplicates};

/// Writes `OUT/<stem>.txt` and `OUT/<stem>.json` for every document, then, when the run is over
/// ([`TreeSink::finish`]), marks near-duplicates and writes `OUT/summary.json`.
///
/// Only the kept copy of a cluster is written, unless duplicates are kept, and every member's report
/// names its cluster and the kept copy. The kept copy is the longest, known only once the run is
/// over: so the cluster members' reports are rewritten with their `duplicates` entry at the end, and
/// the texts of the copies not kept deleted. Memory holds a small entry per document, not the run's
/// texts and reports.
pub struct TreeSink<'e> {
    engine: &'e Engine,
    out: PathBuf,
    tree: OutputTree,
    members: Members,
    totals: Totals,
    skipped_links: Vec<PathBuf>,
    started: Instant,
}

/// What the end of a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Documents met, failed ones included.
    pub documents: usize,
    /// Documents cleaned and written.
    pub cleaned: usize,
    /// Documents that failed.
    pub failed: usize,
}

/// The run's documents, in input order, by field: the clustering takes the signatures and lengths as
/// slices. A failed document has an empty signature.
#[derive(Default)]
struct Members {
    names: Vec<String>,
    /// Where the outputs are (`<stem>.txt`, `<stem>.json`).
    stems: Vec<PathBuf>,
    signatures: Vec<Signature>,
    clean_lengths: Vec<usize>,
}

/// The run's totals for the summary, added up in input order.
#[derive(Default)]
struct Totals {
    documents: usize,
    cleaned: usize,
    bytes_in: usize,
    bytes_out: usize,
    per_stage: BTreeMap<String, usize>,
    per_rule: BTreeMap<String, usize>,
    errors: Vec<(String, String)>,
}

/// For one document: its `duplicates` entry (when it has near-duplicates) and whether its text is
/// kept.
type Verdict = (Option<Duplicates>, bool);

impl<'e> TreeSink<'e> {
    /// Refuse, before anything is written, a run that would write over one of its inputs; then
    /// create `out`.
    pub(super) fn create(engine: &'e Engine, out: &Path, inputs: &Inputs) -> Result<Self, Error> {
        if out.exists() && !out.is_dir() {
            return Err(Error::Input(format!(
                "{} exists and is not a directory",
                out.display()
            )));
        }
        let mut input_ids = InputIds::default();
        for file in inputs.files() {
            input_ids.add(&file.path);
        }
        refuse_overwrites(out, &input_ids, inputs.directories(), inputs.plain_files())?;
        std::fs::create_dir_all(out)
            .map_err(|e| Error::Input(format!("cannot create {}: {e}", out.display())))?;
        Ok(TreeSink {
            engine,
            out: out.to_path_buf(),
            tree: OutputTree::new(out, input_ids),
            members: Members::default(),
            totals: Totals::default(),
            skipped_links: inputs.skipped_links().to_vec(),
            started: Instant::now(),
        })
    }

    /// Write the text and the sidecar report of one document (outputs `stem`); returns the size of
    /// the text. A document that cannot be written (a name taken by a directory, a full disk) fails
    /// alone.
    fn write_outputs(
        &self,
        stem: &Path,
        outcome: &Outcome,
        cleaned: &Cleaned,
    ) -> Result<usize, Error> {
        let text_file = self.out.join(text_path(stem));
        if let Some(parent) = text_file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Input(format!("cannot create {}: {e}", parent.display())))?;
        }
        let text = cleaned.render();
        std::fs::write(&text_file, &text).map_err(cannot_write(&text_file))?;
        write_report(&self.out.join(report_path(stem)), &outcome.report(cleaned))?;
        Ok(text.len())
    }

    /// Cluster the run's documents, mark the duplicates and write the summary.
    pub fn finish(self) -> Result<RunSummary, Error> {
        let verdicts = self.decide();
        self.mark_duplicates(&verdicts)?;
        let path = self.out.join(summary_path());
        let summary = serde_json::to_string_pretty(&self.summary(&verdicts))
            .map_err(|e| Error::Input(e.to_string()))?;
        std::fs::write(&path, summary + "\n").map_err(cannot_write(&path))?;
        Ok(RunSummary {
            documents: self.totals.documents,
            cleaned: self.totals.cleaned,
            failed: self.totals.errors.len(),
        })
    }

    /// Each document's verdict, from the clusters of the whole run.
    fn decide(&self) -> Vec<Verdict> {
        let keep_duplicates = self.engine.keep_duplicates;
        self.engine
            .dedup
            .cluster(&self.members.signatures, &self.members.clean_lengths)
            .into_iter()
            .enumerate()
            .map(|(i, decision)| {
                let Some(cluster) = decision.cluster else {
                    return (None, true);
                };
                let kept = decision.is_kept(i);
                let entry = Duplicates {
                    cluster,
                    kept,
                    kept_copy: self.members.names[decision.kept].clone(),
                    similarity: decision.similarity,
                    written: kept || keep_duplicates,
                };
                (Some(entry), kept || keep_duplicates)
            })
            .collect()
    }

    /// Add the `duplicates` entry to the report of each cluster member, and delete the text of the
    /// copies not kept. Reports are written with sorted keys, so the rewritten report is the one a
    /// single pass would have written.
    fn mark_duplicates(&self, verdicts: &[Verdict]) -> Result<(), Error> {
        self.members
            .stems
            .par_iter()
            .zip(verdicts)
            .filter_map(|(stem, (entry, written))| Some((stem, entry.as_ref()?, *written)))
            .try_for_each(|(stem, entry, written)| {
                let text_file = self.out.join(text_path(stem));
                let report_file = self.out.join(report_path(stem));
                let bytes = std::fs::read(&report_file).map_err(|source| Error::Io {
                    path: report_file.clone(),
                    source,
                })?;
                let mut report: Map<String, Value> =
                    serde_json::from_slice(&bytes).map_err(|e| {
                        Error::Input(format!(
                            "{} changed during the run: {e}",
                            report_file.display()
                        ))
                    })?;
                add_duplicates(&mut report, entry);
                write_report(&report_file, &report)?;
                if !written {
                    std::fs::remove_file(&text_file).map_err(cannot_write(&text_file))?;
                }
                Ok(())
            })
    }

    fn summary(&self, verdicts: &[Verdict]) -> Value {
        let totals = &self.totals;
        let clusters: HashSet<usize> = verdicts
            .iter()
            .filter_map(|(d, _)| Some(d.as_ref()?.cluster))
            .collect();
        json!({
            "documents": totals.documents,
            "cleaned": totals.cleaned,
            "failed": totals.errors.len(),
            "bytes_in": totals.bytes_in,
            "bytes_out": totals.bytes_out,
            "duplicate_clusters": clusters.len(),
            "duplicates_not_written": verdicts.iter().filter(|(d, written)| d.is_some() && !written).count(),
            "edits_per_stage": totals.per_stage,
            "edits_per_rule": totals.per_rule,
            "errors": totals.errors.iter().map(|(p, e)| json!({"path": p, "error": e})).collect::<Vec<_>>(),
            "renamed": self.tree.renamed().iter().map(|(i, o)| json!({"input": i, "output": o.display().to_string()})).collect::<Vec<_>>(),
            "seconds": self.started.elapsed().as_secs_f64(),
            "skipped_links": self.skipped_links.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        })
    }
}

impl Sink for TreeSink<'_> {
    /// The stem of the document's outputs, taken in input order.
    fn admit(&mut self, name: &str, relative: &Path) -> Result<Option<PathBuf>, Error> {
        self.tree.place(name, relative).map(Some)
    }

    fn write(&mut self, outcome: &mut Outcome) -> Result<(), Error> {
        let stem = outcome.output.clone().unwrap_or_default();
        if let Ok(cleaned) = &outcome.result {
            match self.write_outputs(&stem, outcome, cleaned) {
                Ok(bytes_out) => self.totals.add_cleaned(cleaned, bytes_out),
                Err(error) => outcome.result = Err(error),
            }
        }
        self.totals.documents += 1;
        self.totals.bytes_in += outcome.bytes_in;
        let (signature, clean_length) = match &outcome.result {
            Ok(cleaned) => (
                Signature::of(&cleaned.text, &self.engine.folder),
                cleaned.text.len(),
            ),
            Err(error) => {
                self.totals
                    .errors
                    .push((outcome.name.clone(), error.to_string()));
                (Signature::empty(), 0)
            }
        };
        self.members.names.push(outcome.name.clone());
        self.members.stems.push(stem);
        self.members.signatures.push(signature);
        self.members.clean_lengths.push(clean_length);
        Ok(())
    }
}

impl Totals {
    fn add_cleaned(&mut self, cleaned: &Cleaned, bytes_out: usize) {
        self.cleaned += 1;
        self.bytes_out += bytes_out;
        for edit in &cleaned.report.edits {
            *self.per_stage.entry(edit.stage.to_string()).or_default() += 1;
            *self.per_rule.entry(edit.rule.clone()).or_default() += 1;
        }
    }
}

fn write_report(path: &Path, report: &Map<String, Value>) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Input(e.to_string()))?;
    std::fs::write(path, json + "\n").map_err(cannot_write(path))
}
