//! An output tree: each document's text and sidecar report, near-duplicate clusters found across the
//! whole run, and a summary of the run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::resume::{Documents, Part, RunState, SummaryLayout};
use super::tree::{InputIds, OutputTree, refuse_overwrites, report_path, summary_path, text_path};
use super::{Engine, Inputs, Outcome, Sink, cannot_write};
use crate::corpus::Signature;
use crate::error::Error;
use crate::pipeline::Cleaned;
use crate::report_json::{Duplicates, ReportLevel, add_duplicates};

/// Writes `OUT/<stem>.txt` and `OUT/<stem>.json` for every document, then, when the run is over
/// ([`TreeSink::finish`]), marks near-duplicates and writes `OUT/summary.json`.
///
/// Only the kept copy of a cluster is written, unless duplicates are kept, and every member's report
/// names its cluster and the kept copy. The kept copy is the longest, known only once the run is
/// over: so the cluster members' reports are rewritten with their `duplicates` entry at the end, and
/// the texts of the copies not kept deleted. Memory holds a small entry per document, not the run's
/// texts and reports.
///
/// Every file is written to a temporary name and renamed, and each batch written leaves a completion
/// marker (under `OUT/.sluice`): a rerun of the same run skips the batches done, and the end of the
/// run (its clusters, the reports it rewrites, the summary, written last) is done again whole, to
/// the same bytes.
pub struct TreeSink<'e> {
    engine: &'e Engine,
    out: PathBuf,
    tree: OutputTree,
    state: RunState,
    /// The batches marked done.
    done: Part<Members>,
    /// The batch being written.
    batch: Part<Members>,
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
#[derive(Default, Serialize, Deserialize)]
struct Members {
    names: Vec<String>,
    /// Where the outputs are (`<stem>.txt`, `<stem>.json`).
    stems: Vec<PathBuf>,
    signatures: Vec<Signature>,
    clean_lengths: Vec<usize>,
}

/// The run's totals for the summary, added up in input order.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Totals {
    pub(super) documents: usize,
    cleaned: usize,
    pub(super) bytes_in: usize,
    bytes_out: usize,
    per_stage: BTreeMap<String, usize>,
    per_rule: BTreeMap<String, usize>,
    pub(super) errors: Vec<(String, String)>,
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
        let identity =
            json!({"output": "tree", "run": engine.run.as_ref(), "inputs": inputs.identity()});
        let (state, done) = Part::resume(out, &identity)?;
        // The summary is the last file written: one in the tree would be an earlier run's.
        let summary = out.join(summary_path());
        if summary.exists() {
            std::fs::remove_file(&summary)
                .map_err(|e| Error::Input(format!("cannot remove {}: {e}", summary.display())))?;
        }
        Ok(TreeSink {
            engine,
            out: out.to_path_buf(),
            tree: OutputTree::new(out, input_ids),
            state,
            done,
            batch: Part::default(),
            skipped_links: inputs.skipped_links().to_vec(),
            started: Instant::now(),
        })
    }

    /// Why the state an earlier run left in the tree was cleared, when it was (another run's,
    /// another build's): the run started over instead of continuing it.
    pub fn started_over(&self) -> Option<&str> {
        self.state.started_over()
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
        let text = cleaned.render();
        self.state
            .write_atomic(&self.out.join(text_path(stem)), text.as_bytes())?;
        if let Some(mut report) = outcome.report_at(self.engine.report, cleaned) {
            if let Some(fields) = &outcome.record {
                // Sorted among the report's keys; the record's own fields keep their order.
                report.insert("record".into(), Value::Object(fields.clone()));
                report.sort_keys();
            }
            self.write_report(&self.out.join(report_path(stem)), &report)?;
        }
        Ok(text.len())
    }

    /// Cluster the run's documents, mark the duplicates and write the summary.
    pub fn finish(mut self) -> Result<RunSummary, Error> {
        self.mark_batch_done()?;
        let verdicts = self.decide();
        self.mark_duplicates(&verdicts)?;
        let summary = self.summary(&verdicts);
        let run = self.done.totals.run_summary();
        self.state.complete(
            &self.out.join(summary_path()),
            summary,
            SummaryLayout::Pretty,
        )?;
        Ok(run)
    }

    /// Mark the batch written done, and count it with the batches done before.
    fn mark_batch_done(&mut self) -> Result<(), Error> {
        self.batch.mark_done(&self.state, &mut self.done)
    }

    /// Each document's verdict, from the clusters of the whole run.
    fn decide(&self) -> Vec<Verdict> {
        let keep_duplicates = self.engine.keep_duplicates;
        let members = &self.done.documents;
        self.engine
            .dedup
            .cluster(&members.signatures, &members.clean_lengths)
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
                    kept_copy: members.names[decision.kept].clone(),
                    similarity: decision.similarity,
                    written: kept || keep_duplicates,
                };
                (Some(entry), kept || keep_duplicates)
            })
            .collect()
    }

    /// Add the `duplicates` entry to the report of each cluster member, and delete the text of the
    /// copies not kept. Reports are written with sorted keys, so the rewritten report is the one a
    /// single pass would have written; and a report that has its entry already (a rerun of a run
    /// killed here) gets the same entry again, so this end of the run can be done again whole.
    fn mark_duplicates(&self, verdicts: &[Verdict]) -> Result<(), Error> {
        self.done
            .documents
            .stems
            .par_iter()
            .zip(verdicts)
            .filter_map(|(stem, (entry, written))| Some((stem, entry.as_ref()?, *written)))
            .try_for_each(|(stem, entry, written)| {
                if self.engine.report != ReportLevel::None {
                    self.add_duplicates_entry(stem, entry)?;
                }
                if written {
                    return Ok(());
                }
                // Gone already when a rerun does the end of a run killed here.
                let text_file = self.out.join(text_path(stem));
                match std::fs::remove_file(&text_file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(cannot_write(&text_file)(e))
                    }
                    _ => Ok(()),
                }
            })
    }

    /// Add its `duplicates` entry to the report of `stem`.
    fn add_duplicates_entry(&self, stem: &Path, entry: &Duplicates) -> Result<(), Error> {
        let report_file = self.out.join(report_path(stem));
        let bytes = std::fs::read(&report_file)
            .map_err(|e| Error::Input(format!("cannot read {}: {e}", report_file.display())))?;
        let mut report: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Input(format!(
                "{} changed during the run: {e}",
                report_file.display()
            ))
        })?;
        add_duplicates(&mut report, entry);
        self.write_report(&report_file, &report)
    }

    fn summary(&self, verdicts: &[Verdict]) -> Value {
        let totals = &self.done.totals;
        let clusters: HashSet<usize> = verdicts
            .iter()
            .filter_map(|(d, _)| Some(d.as_ref()?.cluster))
            .collect();
        let mut summary = totals.summary_fields();
        let not_written = verdicts
            .iter()
            .filter(|(d, written)| d.is_some() && !written)
            .count();
        let renamed: Vec<Value> = self
            .tree
            .renamed()
            .iter()
            .map(|(i, o)| json!({"input": i, "output": o.display().to_string()}))
            .collect();
        let links: Vec<String> = self
            .skipped_links
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        summary.extend([
            ("duplicate_clusters".to_string(), clusters.len().into()),
            ("duplicates_not_written".to_string(), not_written.into()),
            ("run".to_string(), self.engine.run.with_settings()),
            ("renamed".to_string(), Value::Array(renamed)),
            (
                "seconds".to_string(),
                self.started.elapsed().as_secs_f64().into(),
            ),
            ("skipped_links".to_string(), json!(links)),
        ]);
        Value::Object(summary)
    }

    fn write_report(&self, path: &Path, report: &Map<String, Value>) -> Result<(), Error> {
        let json = serde_json::to_string_pretty(report).map_err(|e| Error::Input(e.to_string()))?;
        self.state.write_atomic(path, (json + "\n").as_bytes())
    }
}

impl Sink for TreeSink<'_> {
    /// The stem of the document's outputs, taken in input order.
    fn admit(&mut self, name: &str, relative: &Path) -> Result<Option<PathBuf>, Error> {
        self.tree.place(name, relative).map(Some)
    }

    fn completed(&self) -> usize {
        self.done.units
    }

    fn write(&mut self, outcome: &mut Outcome) -> Result<(), Error> {
        let stem = outcome.output.clone().unwrap_or_default();
        if let Ok(cleaned) = &outcome.result {
            match self.write_outputs(&stem, outcome, cleaned) {
                Ok(bytes_out) => self.batch.totals.add_cleaned(cleaned, bytes_out),
                Err(error) => outcome.result = Err(error),
            }
        }
        let batch = &mut self.batch;
        batch.count(outcome);
        let (signature, clean_length) = match &outcome.result {
            Ok(cleaned) => (
                Signature::of(&cleaned.text, &self.engine.folder),
                cleaned.text.len(),
            ),
            Err(error) => {
                batch
                    .totals
                    .errors
                    .push((outcome.name.clone(), error.to_string()));
                (Signature::empty(), 0)
            }
        };
        let members = &mut batch.documents;
        members.names.push(outcome.name.clone());
        members.stems.push(stem);
        members.signatures.push(signature);
        members.clean_lengths.push(clean_length);
        Ok(())
    }

    /// A batch is written: mark it done.
    fn flush(&mut self) -> Result<(), Error> {
        self.mark_batch_done()
    }
}

impl Documents for Members {
    fn append(&mut self, more: Members) {
        self.names.extend(more.names);
        self.stems.extend(more.stems);
        self.signatures.extend(more.signatures);
        self.clean_lengths.extend(more.clean_lengths);
    }
}

impl Totals {
    /// Add the totals of the next documents in order.
    pub(super) fn extend(&mut self, more: Totals) {
        self.documents += more.documents;
        self.cleaned += more.cleaned;
        self.bytes_in += more.bytes_in;
        self.bytes_out += more.bytes_out;
        for (mine, theirs) in [
            (&mut self.per_stage, more.per_stage),
            (&mut self.per_rule, more.per_rule),
        ] {
            for (key, count) in theirs {
                *mine.entry(key).or_default() += count;
            }
        }
        self.errors.extend(more.errors);
    }

    /// The summary's fields every output has: documents, bytes, edits, errors.
    pub(super) fn summary_fields(&self) -> Map<String, Value> {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|(p, e)| json!({"path": p, "error": e}))
            .collect();
        Map::from_iter([
            ("documents".to_string(), self.documents.into()),
            ("cleaned".to_string(), self.cleaned.into()),
            ("failed".to_string(), self.errors.len().into()),
            ("bytes_in".to_string(), self.bytes_in.into()),
            ("bytes_out".to_string(), self.bytes_out.into()),
            ("edits_per_stage".to_string(), json!(self.per_stage)),
            ("edits_per_rule".to_string(), json!(self.per_rule)),
            ("errors".to_string(), Value::Array(errors)),
        ])
    }

    /// What the command line reports of the run.
    pub(super) fn run_summary(&self) -> RunSummary {
        RunSummary {
            documents: self.documents,
            cleaned: self.cleaned,
            failed: self.errors.len(),
        }
    }

    pub(super) fn add_cleaned(&mut self, cleaned: &Cleaned, bytes_out: usize) {
        self.cleaned += 1;
        self.bytes_out += bytes_out;
        for edit in &cleaned.report.edits {
            *self.per_stage.entry(edit.stage.to_string()).or_default() += 1;
            *self.per_rule.entry(edit.rule.clone()).or_default() += 1;
        }
    }
}
