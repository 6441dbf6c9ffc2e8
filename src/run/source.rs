//! Where a run's documents come from: stdin, files, directory trees, the records of WARC files and
//! the records of JSON Lines streams, named in input order and read lazily, a batch at a time.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::input::{Input, InputFile, collect_inputs, open_input, open_stream, read_input};
use super::jsonl::{Line, Lines, line_limit, parse};
use super::warc::{self, WarcDocument};
use super::{BATCH_BYTES, Outcome};
use crate::error::Error;
use crate::pipeline::{Cleaned, Pipeline};
use crate::report_json::{Provenance, RunInfo};

/// The documents named by a command line's paths: stdin (`-`) first, then files and the files of
/// directory trees walked in name order (the HTML and text records of a WARC file, each named
/// `<file>#<record>`, streamed one record at a time), or the records of JSON Lines streams
/// ([`Inputs::json_lines`]).
pub struct Inputs {
    stdin: usize,
    inputs: Vec<Input>,
    directories: Vec<PathBuf>,
    skipped_links: Vec<PathBuf>,
    /// Whether each input is a JSON Lines stream of records rather than one document.
    json_lines: bool,
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

    /// The records of a JSON Lines stream, each a document: the file at `path` (plain, gzip or
    /// zstd; each file of a tree), or stdin for `-`. A record is read as `clean --jsonl` reads it
    /// (its content in `html`, `text` or `content_base64`), named `<path>#<n>` (`n` counted from
    /// 0, blank lines not counted) and written under `<stem>/<n>` in a tree (`records.jsonl.gz#3`,
    /// `records/00003`); its other fields go with it ([`Outcome::record`]). A line that gives no
    /// document fails alone, with its line number; a failed read ends the stream there.
    pub fn json_lines(path: &Path, skip: Option<&Path>) -> Self {
        Inputs {
            json_lines: true,
            ..Self::collect(&[path.to_path_buf()], skip)
        }
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
            json_lines: false,
        }
    }

    /// The symbolic links met in the trees, which are not followed (they may lead out of the tree or
    /// into a loop; links named on the command line are followed).
    pub fn skipped_links(&self) -> &[PathBuf] {
        &self.skipped_links
    }

    /// How many documents there are, when that is known before they are read: not when a WARC file
    /// or a JSON Lines stream is among the inputs (their records are counted as they are read).
    pub fn known_count(&self) -> Option<usize> {
        if self.json_lines || self.files().any(|file| !self.is_document(&file.path)) {
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
        serde_json::json!({"stdin": stdin, "files": files, "json_lines": self.json_lines})
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

    /// The input files that are one document each (not WARC files or JSON Lines streams, whose
    /// records are named as they are read).
    pub(crate) fn plain_files(&self) -> impl Iterator<Item = &InputFile> {
        self.files().filter(|file| self.is_document(&file.path))
    }

    /// Whether the input file at `path` is one document, not a stream of records.
    fn is_document(&self, path: &Path) -> bool {
        matches!(holds(path, self.json_lines), Holds::Document)
    }

    /// The documents, in order and read lazily; a JSON Lines record's content may be at most
    /// `max_content` bytes.
    pub(crate) fn into_units(self, max_content: usize) -> impl Iterator<Item = Unit> {
        let json_lines = self.json_lines;
        let max_line = line_limit(max_content);
        let stdin = (0..self.stdin).flat_map(move |_| -> Box<dyn Iterator<Item = Unit>> {
            if json_lines {
                let reader = open_stream(Path::new("-"));
                return record_units("-".into(), Path::new("-"), reader, max_line);
            }
            Box::new(std::iter::once(Unit {
                name: "-".into(),
                relative: PathBuf::from("-"),
                source: Source::Stdin,
            }))
        });
        let inputs =
            self.inputs
                .into_iter()
                .flat_map(move |input| -> Box<dyn Iterator<Item = Unit>> {
                    match input {
                        Input::File(input) => match holds(&input.path, json_lines) {
                            Holds::JsonRecords => {
                                let name = input.path.display().to_string();
                                let reader = open_input(&input.path);
                                record_units(name, &input.relative, reader, max_line)
                            }
                            Holds::WarcRecords => warc_units(input),
                            Holds::Document => Box::new(std::iter::once(Unit {
                                name: input.path.display().to_string(),
                                relative: input.relative,
                                source: Source::File(input.path),
                            })),
                        },
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
    /// A line of a JSON Lines stream, parsed when its batch is cleaned.
    JsonLine(Line),
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

    /// The record's other fields (a JSON Lines record's), and the cleaned document or why it gave
    /// none.
    fn clean(self, pipeline: &Pipeline) -> (Option<Map<String, Value>>, Result<Cleaned, Error>) {
        let result = match self.source {
            Source::JsonLine(line) => return clean_record(&line, pipeline),
            Source::File(path) => read_input(&path).and_then(|bytes| pipeline.clean(&bytes)),
            Source::Stdin => read_stdin().and_then(|bytes| pipeline.clean(&bytes)),
            Source::Record(record) => pipeline.clean_document(record.document),
            Source::Failed(error) => Err(error),
        };
        (None, result)
    }

    /// The same unit, to clean it again: a file is read again, a record is copied; stdin, read
    /// once, and a failed unit have none.
    pub fn replica(&self) -> Option<Unit> {
        let source = match &self.source {
            Source::File(path) => Source::File(path.clone()),
            Source::Record(record) => Source::Record(record.clone()),
            Source::JsonLine(line) => Source::JsonLine(line.clone()),
            Source::Stdin | Source::Failed(_) => return None,
        };
        Some(Unit {
            name: self.name.clone(),
            relative: self.relative.clone(),
            source,
        })
    }

    /// Clean the document; `output` is where the sink admitted it.
    pub fn run(self, pipeline: &Pipeline, output: Option<PathBuf>, run: &Arc<RunInfo>) -> Outcome {
        let (name, provenance, bytes_in) = (self.name.clone(), self.provenance(), self.bytes_in());
        let (record, result) = self.clean(pipeline);
        Outcome {
            name,
            provenance,
            record,
            bytes_in,
            output,
            result,
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

    /// The input size the summary counts: the file's size, the WARC record's payload or the JSON
    /// line's length.
    fn bytes_in(&self) -> usize {
        match &self.source {
            Source::File(path) => std::fs::metadata(path).map_or(0, |m| m.len() as usize),
            Source::Record(r) => r.document.raw.len(),
            Source::JsonLine(line) => line.length(),
            _ => 0,
        }
    }

    /// Bytes held in memory before cleaning (a WARC record or a JSON line is read before its batch
    /// is cleaned; a file is read by the thread that cleans it).
    fn held_bytes(&self) -> usize {
        match &self.source {
            Source::Record(r) => r.document.raw.len(),
            Source::JsonLine(line) => line.held(),
            _ => 0,
        }
    }
}

/// Parse and clean a JSON Lines record: its other fields, and its cleaned document or why the
/// line gave none (with its line number).
fn clean_record(
    line: &Line,
    pipeline: &Pipeline,
) -> (Option<Map<String, Value>>, Result<Cleaned, Error>) {
    match parse(line, pipeline.max_input_bytes()) {
        Ok((fields, document)) => (Some(fields), pipeline.clean_document(document)),
        Err(rejected) => {
            let why = format!("line {}: {}", line.number, rejected.error);
            (Some(rejected.fields), Err(Error::Input(why)))
        }
    }
}

fn read_stdin() -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: "-".into(),
            source,
        })?;
    Ok(bytes)
}

/// `name` without a compression extension (`.gz`, `.zst`).
fn without_compression(name: &str) -> &str {
    [".gz", ".zst"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

/// `crawl` for `crawl.warc`, `crawl.warc.gz` and `crawl.warc.zst`; `None` for other names.
fn warc_stem(name: &str) -> Option<&str> {
    without_compression(name).strip_suffix(".warc")
}

/// What an input file holds.
enum Holds {
    Document,
    /// The records of a WARC file (`*.warc`, `*.warc.gz`, `*.warc.zst`).
    WarcRecords,
    /// The records of a JSON Lines stream (`*.jsonl`, `*.ndjson`, compressed or not), or of any
    /// input of a run of JSON Lines streams (`json_lines`).
    JsonRecords,
}

/// What the input file at `path` holds, by its name, in a run of JSON Lines streams or not.
fn holds(path: &Path, json_lines: bool) -> Holds {
    let name = path.file_name().map(|name| name.to_string_lossy());
    let name = name.as_deref().map(without_compression).unwrap_or_default();
    if json_lines || name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Holds::JsonRecords
    } else if warc_stem(name).is_some() {
        Holds::WarcRecords
    } else {
        Holds::Document
    }
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

/// The records of a JSON Lines stream (`name` in messages, `relative` its output path) as they are
/// read, each line held up to `max_line` bytes (a longer one is passed over, and fails). A read that
/// fails (a truncated gzip stream) ends the stream with a failed unit named after the stream; so
/// does a stream that cannot be opened.
fn record_units(
    name: String,
    relative: &Path,
    reader: Result<Box<dyn BufRead + Send>, Error>,
    max_line: usize,
) -> Box<dyn Iterator<Item = Unit>> {
    let reader = match reader {
        Ok(reader) => reader,
        Err(error) => return Box::new(std::iter::once(Unit::failed(name, error))),
    };
    let base = Path::new(without_compression(&relative.to_string_lossy())).with_extension("");
    let mut lines = Some(Lines::new(reader, max_line));
    let mut index = 0usize;
    Box::new(std::iter::from_fn(move || {
        let unit = match lines.as_mut()?.next()? {
            Ok(line) => Unit {
                name: format!("{name}#{index}"),
                relative: base.join(format!("{index:05}")),
                source: Source::JsonLine(line),
            },
            Err(source) => {
                lines = None;
                let path = PathBuf::from(&name);
                Unit::failed(name.clone(), Error::Io { path, source })
            }
        };
        index += 1;
        Some(unit)
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
