//! Repairs: a file's charset and encoding damage fixed without removing content (`sluice repair`),
//! with a pipeline of the repairing stages ([`Profile::Repair`](crate::Profile::Repair)).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::document::{Document, Format};
use crate::error::Error;
use crate::pipeline::Pipeline;
use crate::report::Report;
use crate::report_json::{ReportJson, RunInfo};
use crate::run::{Processed, StreamSummary, read_input, stream_jsonl};
use crate::stages::StageName;
use crate::stages::decode::check_is_text;

/// A repaired document: the text as it was decoded, the text after repair, and the report.
#[derive(Debug, Clone)]
pub struct Repaired {
    /// The text as decoded, before any repair.
    pub decoded: String,
    /// The repaired text.
    pub text: String,
    /// What the repair changed.
    pub report: Report,
}

/// Repair a file (gzip and zstd decompressed): its bytes as read, and the repair.
pub fn repair_file(pipeline: &Pipeline, path: &Path) -> Result<(Vec<u8>, Repaired), Error> {
    let bytes = read_input(path)?;
    check_is_text(&bytes)?;
    // A repair never parses markup: an HTML file is repaired as the text it is.
    let repaired = repair_document(pipeline, Document::from_bytes(bytes.clone(), Format::Text));
    Ok((bytes, repaired))
}

/// Repair a JSON Lines record's document: markup is kept as it is, since everything is text to a
/// repair.
fn repair_record(pipeline: &Pipeline, mut doc: Document) -> Repaired {
    if let Some(html) = doc.html.take() {
        doc.text = html;
    }
    doc.format = Format::Text;
    repair_document(pipeline, doc)
}

/// Repair a JSON Lines stream (`name` says what it is in messages) into JSON Lines on `out`: each
/// record's `text` repaired and its report, with `run`'s provenance, under `sluice` (see
/// [`stream_jsonl`]).
pub fn repair_jsonl(
    pipeline: &Pipeline,
    run: &RunInfo,
    reader: impl BufRead + Send + 'static,
    name: &Path,
    out: impl Write,
) -> Result<StreamSummary, Error> {
    let repair = |doc| {
        let repaired = repair_record(pipeline, doc);
        let report = ReportJson {
            run: Some(run),
            ..ReportJson::of_report(&repaired.report)
        }
        .to_value();
        Ok(Processed {
            fields: vec![
                ("text".into(), repaired.text.into()),
                ("sluice".into(), report.into()),
            ],
            signature: None,
        })
    };
    stream_jsonl(reader, name, out, pipeline.max_input_bytes(), repair)
}

fn repair_document(pipeline: &Pipeline, doc: Document) -> Repaired {
    // The text as decoded is the input of the first stage after decode.
    let mut decoded: Option<String> = None;
    let doc = pipeline.run_stages(doc, |stage, before| {
        if stage != StageName::Decode && decoded.is_none() {
            decoded = Some(before.text.clone());
        }
    });
    Repaired {
        decoded: decoded.unwrap_or_else(|| doc.text.clone()),
        text: doc.text,
        report: doc.report,
    }
}

impl Repaired {
    /// `GB18030 → UTF-8, 3 edits`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(decode) = &self.report.decode
            && decode.encoding != "UTF-8"
        {
            parts.push(format!("{} → UTF-8", decode.encoding));
        }
        parts.push(format!("{} edits", self.report.edits.len()));
        parts.join(", ")
    }

    /// A unified diff from the decoded text to the repaired text of `path`. The header is written
    /// even when only the encoding changes, so the diff always says what a repair would write.
    pub fn diff(&self, path: &Path) -> String {
        let encoding = self
            .report
            .decode
            .as_ref()
            .map_or("UTF-8", |d| d.encoding.as_str());
        let mut out = format!(
            "--- {} ({encoding})\n+++ {} (repaired, UTF-8)\n",
            path.display(),
            path.display()
        );
        let diff = similar::TextDiff::from_lines(&self.decoded, &self.text);
        for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
            out.push_str(&hunk.to_string());
        }
        out
    }
}

/// What `sluice repair` does with a file's repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairMode<'a> {
    /// Print the repaired text.
    Print,
    /// Print a unified diff of the repair ([`Repaired::diff`]).
    Diff,
    /// Change nothing: tell whether the file would be repaired.
    Check,
    /// Rewrite a file that changes atomically (a temporary file in its directory, renamed over
    /// it), the original kept at its name and the suffix `backup` when given.
    InPlace {
        /// The backup's suffix.
        backup: Option<&'a str>,
    },
}

/// A file repaired in a [`RepairMode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRepair {
    /// The repair changes the file.
    pub changed: bool,
    /// What to print: the repaired text or the diff.
    pub output: Option<String>,
    /// What to tell of a file that changes, checked or rewritten:
    /// `would be repaired (GB18030 → UTF-8, 3 edits)`, `repaired (…)`.
    pub note: Option<String>,
}

/// Repair the file `path` (as [`repair_file`]) and do with it what `mode` says. The inner error is
/// the file's (it could not be read or is not text); the outer one a file that could not be
/// rewritten in place.
pub fn repair_in_mode(
    pipeline: &Pipeline,
    path: &Path,
    mode: RepairMode,
) -> Result<Result<FileRepair, Error>, Error> {
    let (original, repaired) = match repair_file(pipeline, path) {
        Ok(repair) => repair,
        Err(error) => return Ok(Err(error)),
    };
    let changed = repaired.text.as_bytes() != original.as_slice();
    let (mut output, mut note) = (None, None);
    match mode {
        RepairMode::Check if changed => {
            note = Some(format!("would be repaired ({})", repaired.describe()));
        }
        RepairMode::InPlace { backup } if changed => {
            write_in_place(path, &original, &repaired.text, backup)?;
            note = Some(format!("repaired ({})", repaired.describe()));
        }
        RepairMode::Check | RepairMode::InPlace { .. } => {}
        RepairMode::Diff => output = Some(repaired.diff(path)),
        RepairMode::Print => output = Some(repaired.text),
    }
    Ok(Ok(FileRepair {
        changed,
        output,
        note,
    }))
}

/// Replace `path` by `text` atomically (a temporary file in the same directory, renamed over it),
/// after copying the original to `path + suffix` when `backup` is given.
fn write_in_place(
    path: &Path,
    original: &[u8],
    text: &str,
    backup: Option<&str>,
) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cannot = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    if let Some(suffix) = backup {
        if suffix.is_empty() {
            return Err(Error::Input(
                "--backup needs a non-empty suffix (or use --no-backup)".into(),
            ));
        }
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let name = PathBuf::from(name);
        std::fs::write(&name, original).map_err(cannot(&name))?;
    }
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(cannot(dir))?;
    temp.write_all(text.as_bytes()).map_err(cannot(path))?;
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(cannot(path))?;
    }
    temp.persist(path).map_err(|e| cannot(path)(e.error))?;
    Ok(())
}
