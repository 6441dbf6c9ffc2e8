//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use sluice::corpus::{CorpusDedup, Signature};
use sluice::io::warc::{self, WarcDocument};
use sluice::io::{Input, InputFile, collect_inputs, open_input, read_input};
use sluice::text::fold::Folder;
use sluice::{Cleaned, Error, Pipeline};

use super::jsonl::{BATCH, BATCH_BYTES, Dedup, Processed};
use super::output::{document_json, report_fields};
use super::tree::{InputIds, OutputTree, refuse_overwrites, report_path, summary_path, text_path};
use super::{JobArgs, RuleArgs, Status, progress, report_error};

#[derive(Args)]
pub struct CleanArgs {
    /// Files or directories to clean (`-` for stdin).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write OUT/<path>.txt and OUT/<path>.json for every input, and OUT/summary.json.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Read JSON Lines from FILE (or stdin: `-`) and write JSON Lines to stdout.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", conflicts_with_all = ["paths", "output"])]
    jsonl: Option<PathBuf>,
    /// Keep near-duplicate documents in the output (they are still marked in their reports).
    #[arg(long)]
    keep_duplicates: bool,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    jobs: JobArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

pub fn run(args: CleanArgs) -> anyhow::Result<Status> {
    args.jobs.install();
    let rules = args.rules.load()?;
    let pipeline = Pipeline::from_rules(&rules).context("the rules do not compile")?;
    let corpus = CorpusDedup::from_rules(&rules).context("the dedup settings are invalid")?;
    let folder = rules.folder()?;
    if let Some(source) = &args.jsonl {
        let dedup = Dedup {
            deduper: corpus.streaming(),
            keep_duplicates: args.keep_duplicates,
        };
        return super::jsonl::stream(
            source,
            pipeline.max_input_bytes(),
            |doc| {
                let cleaned = pipeline.clean_document(doc).map_err(|e| e.to_string())?;
                Ok(Processed {
                    signature: Some(Signature::of(&cleaned.text, &folder)),
                    fields: jsonl_fields(&cleaned),
                })
            },
            Some(dedup),
        );
    }
    if args.paths.is_empty() {
        bail!("nothing to clean: give files or directories, or --jsonl");
    }
    match &args.output {
        Some(out) => {
            let dedup = TreeDedup {
                corpus: &corpus,
                folder: &folder,
                keep_duplicates: args.keep_duplicates,
            };
            to_tree(&pipeline, &args.paths, out, &dedup)
        }
        None => to_stdout(&pipeline, &args.paths, args.format),
    }
}

fn jsonl_fields(cleaned: &Cleaned) -> Vec<(String, Value)> {
    let mut report = report_fields(cleaned);
    let title = report.remove("title").unwrap_or(Value::Null);
    vec![
        ("text".into(), json!(cleaned.text)),
        ("title".into(), title),
        ("sluice".into(), Value::Object(report)),
    ]
}

/// One document to clean: a file, stdin, or a record of a WARC file.
struct Unit {
    /// How messages name it: the path, or `path#record`.
    name: String,
    /// The output path before the extension is replaced.
    relative: PathBuf,
    source: Source,
}

enum Source {
    File(PathBuf),
    Stdin,
    Record(Box<WarcDocument>),
    /// An input that failed before it could be cleaned (a FIFO, an unreadable directory, a broken WARC
    /// record, an output that would replace an input).
    Failed(Error),
}

impl Unit {
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

    fn run(self, pipeline: &Pipeline) -> Cleaning {
        let (name, provenance) = (self.name.clone(), self.provenance());
        Cleaning {
            name,
            provenance,
            result: self.clean(pipeline),
        }
    }

    /// Where a WARC record came from, for its report.
    fn provenance(&self) -> Vec<(String, Value)> {
        match &self.source {
            Source::Record(r) => vec![
                ("url".into(), json!(r.url)),
                ("warc_record_id".into(), json!(r.record_id)),
            ],
            _ => Vec::new(),
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

/// The files and directories among the command line's paths (all but `-`, stdin).
fn file_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|p| p.as_path() != Path::new("-"))
        .cloned()
        .collect()
}

/// The inputs of `file_paths` (without `skip`), and the symbolic links met in their trees, which are
/// reported on stderr and not followed.
fn inputs_and_links(files: &[PathBuf], skip: Option<&Path>) -> (Vec<Input>, Vec<PathBuf>) {
    let mut links = Vec::new();
    let inputs = collect_inputs(files, skip)
        .into_iter()
        .filter_map(|input| match input {
            Input::SkippedLink(path) => {
                report_error(&path, &"skipped: a symbolic link in a tree is not followed");
                links.push(path);
                None
            }
            other => Some(other),
        })
        .collect();
    (inputs, links)
}

/// The documents named by the command line, in order and read lazily: stdin (`-`), then `inputs`
/// (files, and the HTML and text records of WARC files, each as `<file>/<record>.txt`, streamed one
/// record at a time).
fn units(paths: &[PathBuf], inputs: Vec<Input>) -> impl Iterator<Item = Unit> {
    let stdin: Vec<Unit> = paths
        .iter()
        .filter(|p| p.as_path() == Path::new("-"))
        .map(|path| Unit {
            name: "-".into(),
            relative: path.clone(),
            source: Source::Stdin,
        })
        .collect();
    let inputs = inputs
        .into_iter()
        .flat_map(|input| -> Box<dyn Iterator<Item = Unit>> {
            match input {
                Input::File(input) if is_warc_name(&input.path) => warc_units(input),
                Input::File(input) => Box::new(std::iter::once(Unit {
                    name: input.path.display().to_string(),
                    relative: input.relative,
                    source: Source::File(input.path),
                })),
                Input::Refused { path, error } => Box::new(std::iter::once(Unit {
                    name: path.display().to_string(),
                    relative: PathBuf::new(),
                    source: Source::Failed(error),
                })),
                Input::SkippedLink(_) => Box::new(std::iter::empty()),
            }
        });
    stdin.into_iter().chain(inputs)
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
        Err(error) => {
            return Box::new(std::iter::once(Unit {
                name,
                relative: PathBuf::new(),
                source: Source::Failed(error),
            }));
        }
    };
    let relative = input.relative.to_string_lossy().into_owned();
    let base = PathBuf::from(warc_stem(&relative).unwrap_or(&relative));
    Box::new(records.map(move |(index, record)| Unit {
        name: format!("{name}#{index}"),
        relative: base.join(format!("{index:05}")),
        source: record.map_or_else(Source::Failed, |r| Source::Record(Box::new(r))),
    }))
}

/// The next units to clean together (none at the end).
fn next_batch(units: &mut impl Iterator<Item = Unit>) -> Vec<Unit> {
    let mut batch = Vec::new();
    let mut held = 0;
    for unit in units.by_ref() {
        held += unit.held_bytes();
        batch.push(unit);
        if batch.len() == BATCH || held >= BATCH_BYTES {
            break;
        }
    }
    batch
}

/// Print each document's text (or JSON) in input order, a batch at a time; several documents get
/// `==> name <==` headers in text format and one JSON object per line in JSON format.
fn to_stdout(
    pipeline: &Pipeline,
    paths: &[PathBuf],
    format: OutputFormat,
) -> anyhow::Result<Status> {
    let (inputs, _) = inputs_and_links(&file_paths(paths), None);
    let mut units = units(paths, inputs).peekable();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut several = None;
    let mut failed = false;
    loop {
        let batch = next_batch(&mut units);
        if batch.is_empty() {
            break;
        }
        let several = *several.get_or_insert_with(|| batch.len() > 1 || units.peek().is_some());
        let results: Vec<Cleaning> = batch
            .into_par_iter()
            .map(|unit| unit.run(pipeline))
            .collect();
        for cleaning in results {
            failed |= !print(&mut out, cleaning, format, several)?;
        }
        out.flush()?;
    }
    Ok(if failed {
        Status::Failed
    } else {
        Status::Success
    })
}

/// Print one document (or report its error on stderr); false when it failed.
fn print(
    out: &mut impl Write,
    Cleaning {
        name,
        provenance,
        result,
    }: Cleaning,
    format: OutputFormat,
    several: bool,
) -> anyhow::Result<bool> {
    let cleaned = match result {
        Ok(cleaned) => cleaned,
        Err(error) => {
            out.flush()?;
            report_error(Path::new(&name), &error);
            return Ok(false);
        }
    };
    match format {
        OutputFormat::Text => {
            if several {
                writeln!(out, "==> {name} <==")?;
            }
            out.write_all(cleaned.render().as_bytes())?;
        }
        OutputFormat::Json => {
            let mut value = document_json(&cleaned, &name);
            if let Value::Object(object) = &mut value {
                object.extend(provenance);
            }
            if several {
                serde_json::to_writer(&mut *out, &value)?;
            } else {
                serde_json::to_writer_pretty(&mut *out, &value)?;
            }
            out.write_all(b"\n")?;
        }
    }
    Ok(true)
}

/// A document's name, provenance and result.
struct Cleaning {
    name: String,
    provenance: Vec<(String, Value)>,
    result: Result<Cleaned, Error>,
}

/// What an output tree keeps of a document once its text and report are written: what clustering
/// near-duplicates at the end of the run needs. A failed document has an empty signature.
struct Member {
    name: String,
    /// Where its outputs are (`<stem>.txt`, `<stem>.json`).
    stem: PathBuf,
    signature: Signature,
    clean_length: usize,
}

/// The run's members, in input order, by field: the clustering takes the signatures and lengths as
/// slices.
#[derive(Default)]
struct Members {
    names: Vec<String>,
    stems: Vec<PathBuf>,
    signatures: Vec<Signature>,
    clean_lengths: Vec<usize>,
}

impl Members {
    fn push(&mut self, member: Member) {
        self.names.push(member.name);
        self.stems.push(member.stem);
        self.signatures.push(member.signature);
        self.clean_lengths.push(member.clean_length);
    }
}

/// What cleaning one document into the tree gave.
struct Outcome {
    member: Member,
    bytes_in: usize,
    /// The rendered size and the `(stage, rule)` of each edit, or the error.
    result: Result<(usize, Vec<(String, String)>), Error>,
}

/// The run's totals for the summary, added up in input order as batches finish.
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

impl Totals {
    fn add(&mut self, outcome: &Outcome) {
        self.documents += 1;
        self.bytes_in += outcome.bytes_in;
        match &outcome.result {
            Ok((bytes_out, edits)) => {
                self.cleaned += 1;
                self.bytes_out += bytes_out;
                for (stage, rule) in edits {
                    *self.per_stage.entry(stage.clone()).or_default() += 1;
                    *self.per_rule.entry(rule.clone()).or_default() += 1;
                }
            }
            Err(e) => {
                let name = &outcome.member.name;
                report_error(Path::new(name), e);
                self.errors.push((name.clone(), e.to_string()));
            }
        }
    }
}

/// Near-duplicate detection over an output tree.
struct TreeDedup<'a> {
    corpus: &'a CorpusDedup,
    folder: &'a Folder,
    keep_duplicates: bool,
}

/// For one document: its report entry (when it has near-duplicates) and whether its text is kept.
type Verdict = (Option<Value>, bool);

impl TreeDedup<'_> {
    /// Cluster the run's documents; for each, its verdict.
    fn decide(&self, members: &Members) -> Vec<Verdict> {
        self.corpus
            .cluster(&members.signatures, &members.clean_lengths)
            .into_iter()
            .enumerate()
            .map(|(i, decision)| {
                let Some(cluster) = decision.cluster else {
                    return (None, true);
                };
                let kept = decision.is_kept(i);
                let entry = json!({
                    "cluster": cluster,
                    "kept": kept,
                    "kept_copy": members.names[decision.kept],
                    "similarity": decision.similarity,
                    "written": kept || self.keep_duplicates,
                });
                (Some(entry), kept || self.keep_duplicates)
            })
            .collect()
    }
}

/// Clean every input into OUT: text, sidecar report, and a summary of the run. Near-duplicate
/// documents are found across the whole run; only the kept copy of each cluster is written, unless
/// duplicates are kept, and every member's report names its cluster and the kept copy.
///
/// Inputs stream through in batches, each cleaned in parallel and written at once, so memory holds
/// one batch and a small `Member` per document, not the run's texts and reports. The kept copy of a
/// cluster is the longest, known only once the run is over: so the cluster members' reports are
/// rewritten with their `duplicates` entry at the end, and the texts of the copies not kept deleted.
fn to_tree(
    pipeline: &Pipeline,
    paths: &[PathBuf],
    out: &Path,
    dedup: &TreeDedup,
) -> anyhow::Result<Status> {
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    let started = Instant::now();
    let files = file_paths(paths);
    let (inputs, links) = inputs_and_links(&files, Some(out));
    let mut input_ids = InputIds::default();
    for input in &inputs {
        if let Input::File(file) = input {
            input_ids.add(&file.path);
        }
    }
    let directories: Vec<&Path> = files
        .iter()
        .filter(|p| p.is_dir())
        .map(PathBuf::as_path)
        .collect();
    let plain_files = inputs.iter().filter_map(|input| match input {
        Input::File(file) if !is_warc_name(&file.path) => Some(file),
        _ => None,
    });
    refuse_overwrites(out, &input_ids, &directories, plain_files)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut units = units(paths, inputs);
    let mut tree = OutputTree::new(out, &input_ids);
    let mut members = Members::default();
    let mut totals = Totals::default();
    let bar = progress();
    loop {
        let batch: Vec<(Unit, PathBuf)> = next_batch(&mut units)
            .into_iter()
            .map(|unit| place(&mut tree, unit))
            .collect();
        if batch.is_empty() {
            break;
        }
        let outcomes: Vec<Outcome> = batch
            .into_par_iter()
            .map(|(unit, stem)| {
                let outcome = clean_into(out, pipeline, dedup.folder, unit, stem);
                bar.inc(1);
                outcome
            })
            .collect();
        for outcome in outcomes {
            totals.add(&outcome);
            members.push(outcome.member);
        }
    }
    bar.finish_and_clear();
    let verdicts = dedup.decide(&members);
    mark_duplicates(out, &members, &verdicts)?;
    let summary = summary(
        &totals,
        &verdicts,
        tree.renamed(),
        &links,
        started.elapsed().as_secs_f64(),
    );
    let path = out.join(summary_path());
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "sluice: {} of {} documents cleaned into {}, {} failed",
        totals.cleaned,
        totals.documents,
        out.display(),
        totals.errors.len()
    );
    Ok(if totals.errors.is_empty() {
        Status::Success
    } else {
        Status::Failed
    })
}

/// A unit with the stem of its outputs, taken in input order. A unit that failed before it could be
/// cleaned takes no name (its empty stem is never written); one whose outputs would replace an input
/// fails.
fn place(tree: &mut OutputTree, mut unit: Unit) -> (Unit, PathBuf) {
    if matches!(unit.source, Source::Failed(_)) {
        return (unit, PathBuf::new());
    }
    match tree.place(&unit.name, &unit.relative) {
        Ok(stem) => (unit, stem),
        Err(error) => {
            unit.source = Source::Failed(error);
            (unit, PathBuf::new())
        }
    }
}

/// Clean one document and write its text and report (without its `duplicates` entry, which only the
/// end of the run can tell).
fn clean_into(
    out: &Path,
    pipeline: &Pipeline,
    folder: &Folder,
    unit: Unit,
    stem: PathBuf,
) -> Outcome {
    let bytes_in = unit.bytes_in();
    let Cleaning {
        name,
        provenance,
        result,
    } = unit.run(pipeline);
    let written = result.and_then(|cleaned| {
        let rendered = write_outputs(out, &stem, &name, provenance, &cleaned)?;
        Ok((cleaned, rendered))
    });
    let (signature, clean_length, result) = match written {
        Ok((cleaned, rendered)) => {
            let edits = cleaned
                .report
                .edits
                .iter()
                .map(|e| (e.stage.to_string(), e.rule.clone()))
                .collect();
            (
                Signature::of(&cleaned.text, folder),
                cleaned.text.len(),
                Ok((rendered, edits)),
            )
        }
        Err(error) => (Signature::empty(), 0, Err(error)),
    };
    Outcome {
        member: Member {
            name,
            stem,
            signature,
            clean_length,
        },
        bytes_in,
        result,
    }
}

/// Write the text and the sidecar report of one document (outputs `stem`); returns the size of the
/// text. A document that cannot be written (a name taken by a directory, a full disk) fails alone.
fn write_outputs(
    out: &Path,
    stem: &Path,
    name: &str,
    provenance: Vec<(String, Value)>,
    cleaned: &Cleaned,
) -> Result<usize, Error> {
    let text_file = out.join(text_path(stem));
    if let Some(parent) = text_file.parent() {
        std::fs::create_dir_all(parent).map_err(cannot("create", parent))?;
    }
    let text = cleaned.render();
    std::fs::write(&text_file, &text).map_err(cannot("write", &text_file))?;
    let mut report = report_fields(cleaned);
    report.insert("source".into(), json!(name));
    report.extend(provenance);
    write_report(&out.join(report_path(stem)), &report)?;
    Ok(text.len())
}

fn write_report(path: &Path, report: &Map<String, Value>) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Input(e.to_string()))?;
    std::fs::write(path, json + "\n").map_err(cannot("write", path))
}

/// The error of an output that could not be made.
fn cannot<'a>(what: &'a str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |e| Error::Input(format!("cannot {what} {}: {e}", path.display()))
}

/// Add the `duplicates` entry to the report of each cluster member, and delete the text of the copies
/// not kept. Reports are maps with sorted keys, so the rewritten report is the one a single pass
/// would have written (they hold no floating-point numbers, whose reparse could differ in the last
/// digit).
fn mark_duplicates(out: &Path, members: &Members, verdicts: &[Verdict]) -> anyhow::Result<()> {
    members
        .stems
        .par_iter()
        .zip(verdicts)
        .filter_map(|(stem, (entry, written))| Some((stem, entry.as_ref()?, *written)))
        .try_for_each(|(stem, entry, written)| {
            let (text_file, report_file) = (out.join(text_path(stem)), out.join(report_path(stem)));
            let mut report: Map<String, Value> = serde_json::from_slice(
                &std::fs::read(&report_file)
                    .with_context(|| format!("cannot read {}", report_file.display()))?,
            )
            .with_context(|| format!("{} changed during the run", report_file.display()))?;
            report.insert("duplicates".into(), entry.clone());
            write_report(&report_file, &report)?;
            if !written {
                std::fs::remove_file(&text_file)
                    .with_context(|| format!("cannot remove {}", text_file.display()))?;
            }
            Ok(())
        })
}

fn summary(
    totals: &Totals,
    verdicts: &[Verdict],
    renamed: &[(String, PathBuf)],
    skipped_links: &[PathBuf],
    seconds: f64,
) -> Value {
    json!({
        "documents": totals.documents,
        "cleaned": totals.cleaned,
        "failed": totals.errors.len(),
        "bytes_in": totals.bytes_in,
        "bytes_out": totals.bytes_out,
        "duplicate_clusters": verdicts.iter().filter_map(|(d, _)| d.as_ref()?.get("cluster")?.as_u64()).collect::<HashSet<u64>>().len(),
        "duplicates_not_written": verdicts.iter().filter(|(d, written)| d.is_some() && !written).count(),
        "edits_per_stage": totals.per_stage,
        "edits_per_rule": totals.per_rule,
        "errors": totals.errors.iter().map(|(p, e)| json!({"path": p, "error": e})).collect::<Vec<_>>(),
        "renamed": renamed.iter().map(|(i, o)| json!({"input": i, "output": o.display().to_string()})).collect::<Vec<_>>(),
        "seconds": seconds,
        "skipped_links": skipped_links.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    })
}
