//! Where a run's documents come from: stdin, files, directory trees and the records of WARC files,
//! named in input order and read lazily, a batch at a time.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::input::{Input, InputFile, collect_inputs, open_input, read_input};
use super::warc::{self, WarcDocument};
use super::{BATCH_BYTES, Outcome};
use crate::error::Error;
use crate::pipeline::{Cleaned, Pipeline};
use crate::report_json::{Provenance, RunInfo};

/// The documents named by a command line's paths: stdin (`-`) first, then files and the files of
/// directory trees walked in name order (the HTML and text records of a WARC file, each named
/// `<file>#<record>`, streamed one record at a time).
pub struct Inputs {
    stdin: usize,
    inputs: Vec<Input>,
    directories: Vec<PathBuf>,
    skipped_links: Vec<PathBuf>,
}

impl Inputs {
    /// Collect the inputs of `paths`, leaving out anything under `skip` (an output directory).
    /// Symbolic links met in a tree are not followed: see [`Inputs::skipped_links`].
    pub fn collect(paths: &[PathBuf], skip: Option<&Path>) -> Self {
        Self::collect_links(paths, skip, false)
    }

    /// [`Inputs::collect`], following the symbolic links met in trees (a loop of directories is
    /// an input refused, with the others read).
    pub fn collect_following_links(paths: &[PathBuf], skip: Option<&Path>) -> Self {
        Self::collect_links(paths, skip, true)
    }

    fn collect_links(paths: &[PathBuf], skip: Option<&Path>, follow: bool) -> Self {
        let is_stdin = |p: &&PathBuf| p.as_path() == Path::new("-");
        let files: Vec<PathBuf> = paths.iter().filter(|p| !is_stdin(p)).cloned().collect();
        let mut skipped_links = Vec::new();
        let inputs = collect_inputs(&files, skip, follow)
            .into_iter()
            .filter_map(|input| match input {
                Input::SkippedLink(path) => {
                    skipped_links.push(path);
                    None
                }
                other => Some(other),
            })
            .collect();
        Inputs {
            stdin: paths.iter().filter(is_stdin).count(),
            inputs,
            directories: files.into_iter().filter(|p| p.is_dir()).collect(),
            skipped_links,
        }
    }

    /// The symbolic links met in the trees, which are not followed (they may lead out of the tree or
    /// into a loop; links named on the command line are followed).
    pub fn skipped_links(&self) -> &[PathBuf] {
        &self.skipped_links
    }

    /// How many documents there are, when that is known before they are read: not when a WARC file
    /// is among the inputs (its records are counted as they are read).
    pub fn known_count(&self) -> Option<usize> {
        if self.files().any(|file| is_warc_name(&file.path)) {
            return None;
        }
        Some(self.stdin + self.inputs.len())
    }

    /// The input files (WARC files among them), in order.
    pub fn file_paths(&self) -> impl Iterator<Item = &Path> {
        self.files().map(|file| file.path.as_path())
    }

    /// What a rerun must find unchanged to continue a run: every input's path, size and time of
    /// last change (contents are not read). A run that reads stdin is never continued: its identity
    /// has the time it started.
    pub(crate) fn identity(&self) -> serde_json::Value {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let stdin = (self.stdin > 0).then(|| now.map(|d| d.as_nanos().to_string()).ok());
        let files: Vec<serde_json::Value> = self
            .files()
            .map(|file| {
                let metadata = std::fs::metadata(&file.path).ok();
                let modified = metadata
                    .as_ref()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos().to_string());
                serde_json::json!([file.path, metadata.map(|m| m.len()), modified])
            })
            .collect();
        serde_json::json!({"stdin": stdin, "files": files})
    }

    /// The directories among the paths.
    pub(crate) fn directories(&self) -> &[PathBuf] {
        &self.directories
    }

    /// The input files, WARC files among them.
    pub(crate) fn files(&self) -> impl Iterator<Item = &InputFile> {
        self.inputs.iter().filter_map(|input| match input {
            Input::File(file) => Some(file),
            _ => None,
        })
    }

    /// The input files that are one document each (not WARC files, whose records are named as they
    /// are read).
    pub(crate) fn plain_files(&self) -> impl Iterator<Item = &InputFile> {
        self.files().filter(|file| !is_warc_name(&file.path))
    }

    /// The documents, in order and read lazily.
    pub(crate) fn into_units(self) -> impl Iterator<Item = Unit> {
        let stdin = (0..self.stdin).map(|_| Unit {
            name: "-".into(),
            relative: PathBuf::from("-"),
            source: Source::Stdin,
        });
        let inputs = self
            .inputs
            .into_iter()
            .flat_map(|input| -> Box<dyn Iterator<Item = Unit>> {
                match input {
                    Input::File(input) if is_warc_name(&input.path) => warc_units(input),
                    Input::File(input) => Box::new(std::iter::once(Unit {
                        name: input.path.display().to_string(),
                        relative: input.relative,
                        source: Source::File(input.path),
                    })),
                    Input::Refused { path, error } => Box::new(std::iter::once(Unit::failed(
                        path.display().to_string(),
                        error,
                    ))),
                    Input::SkippedLink(_) => Box::new(std::iter::empty()),
                }
            });
        stdin.chain(inputs)
    }
}

/// One document to clean: a file, stdin, or a record of a WARC file.
pub(crate) struct Unit {
    /// How messages name it: the path, or `path#record`.
    pub name: String,
    /// The output path before the extension is replaced.
    pub relative: PathBuf,
    pub source: Source,
}

pub(crate) enum Source {
    File(PathBuf),
    Stdin,
    Record(Box<WarcDocument>),
    /// An input that failed before it could be cleaned (a FIFO, an unreadable directory, a broken WARC
    /// record, an output that would replace an input).
    Failed(Error),
}

impl Unit {
    fn failed(name: String, error: Error) -> Self {
        Unit {
            name,
            relative: PathBuf::new(),
            source: Source::Failed(error),
        }
    }

    fn clean(self, pipeline: &Pipeline) -> Result<Cleaned, Error> {
        match self.source {
            Source::File(path) => pipeline.clean(&read_input(&path)?),
            Source::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .map_err(|source| Error::Io {
                        path: "-".into(),
                        source,
                    })?;
                pipeline.clean(&bytes)
            }
            Source::Record(record) => pipeline.clean_document(record.document),
            Source::Failed(error) => Err(error),
        }
    }

    /// Clean the document; `output` is where the sink admitted it.
    pub fn run(self, pipeline: &Pipeline, output: Option<PathBuf>, run: &Arc<RunInfo>) -> Outcome {
        let (name, provenance, bytes_in) = (self.name.clone(), self.provenance(), self.bytes_in());
        Outcome {
            name,
            provenance,
            bytes_in,
            output,
            result: self.clean(pipeline),
            run: Arc::clone(run),
        }
    }

    /// Where a WARC record came from, for its report.
    fn provenance(&self) -> Option<Provenance> {
        match &self.source {
            Source::Record(r) => Some(Provenance {
                url: r.url.clone(),
                warc_record_id: r.record_id.clone(),
            }),
            _ => None,
        }
    }

    /// The input size the summary counts: the file's size, or the record's payload.
    fn bytes_in(&self) -> usize {
        match &self.source {
            Source::File(path) => std::fs::metadata(path).map_or(0, |m| m.len() as usize),
            Source::Record(r) => r.document.raw.len(),
            _ => 0,
        }
    }

    /// Bytes held in memory before cleaning (a WARC record is read before its batch is cleaned; a
    /// file is read by the thread that cleans it).
    fn held_bytes(&self) -> usize {
        match &self.source {
            Source::Record(r) => r.document.raw.len(),
            _ => 0,
        }
    }
}

/// `crawl` for `crawl.warc`, `crawl.warc.gz` and `crawl.warc.zst`; `None` for other names.
fn warc_stem(name: &str) -> Option<&str> {
    let uncompressed = [".gz", ".zst"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name);
    uncompressed.strip_suffix(".warc")
}

fn is_warc_name(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| warc_stem(&name.to_string_lossy()).is_some())
}

/// The records of a WARC file as they are read; a failed record is named `<file>#<record>`.
fn warc_units(input: InputFile) -> Box<dyn Iterator<Item = Unit>> {
    let name = input.path.display().to_string();
    let records = match open_input(&input.path).and_then(warc::records) {
        Ok(records) => records,
        Err(error) => return Box::new(std::iter::once(Unit::failed(name, error))),
    };
    let relative = input.relative.to_string_lossy().into_owned();
    let base = PathBuf::from(warc_stem(&relative).unwrap_or(&relative));
    Box::new(records.map(move |(index, record)| Unit {
        name: format!("{name}#{index}"),
        relative: base.join(format!("{index:05}")),
        source: record.map_or_else(Source::Failed, |r| Source::Record(Box::new(r))),
    }))
}

/// The next units to clean together (none at the end): at most `size`, about `BATCH_BYTES`.
pub(crate) fn next_batch(units: &mut impl Iterator<Item = Unit>, size: usize) -> Vec<Unit> {
    let mut batch = Vec::new();
    let mut held = 0;
    for unit in units.by_ref() {
        held += unit.held_bytes();
        batch.push(unit);
        if batch.len() >= size || held >= BATCH_BYTES {
            break;
        }
    }
    batch
}
