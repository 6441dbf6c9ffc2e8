//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{Value, json};
use sluice::corpus::{CorpusDedup, Signature};
use sluice::io::warc::{self, WarcDocument, is_warc};
use sluice::io::{InputFile, collect_inputs, read_input};
use sluice::text::fold::Folder;
use sluice::{Cleaned, Error, Pipeline};

use super::jsonl::{Dedup, Processed};
use super::output::{document_json, report_fields};
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
    /// An input that failed before it could be cleaned (unreadable directory, broken WARC record).
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
}

/// The documents named by the command line, in order: files, directory trees (without `skip`), and
/// the HTML and text records of WARC files (`*.warc`, `*.warc.gz`), each as `<file>/<record>.txt`.
fn units(paths: &[PathBuf], skip: Option<&Path>) -> Vec<Unit> {
    let mut units = Vec::new();
    for path in paths.iter().filter(|p| p.as_path() == Path::new("-")) {
        units.push(Unit {
            name: "-".into(),
            relative: path.clone(),
            source: Source::Stdin,
        });
    }
    let files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_path() != Path::new("-"))
        .cloned()
        .collect();
    for input in collect_inputs(&files, skip) {
        match input {
            Ok(input) if is_warc_name(&input.path) => units.extend(warc_units(input)),
            Ok(input) => units.push(Unit {
                name: input.path.display().to_string(),
                relative: input.relative,
                source: Source::File(input.path),
            }),
            Err(error) => units.push(Unit {
                name: "sluice".into(),
                relative: PathBuf::new(),
                source: Source::Failed(error),
            }),
        }
    }
    units
}

fn is_warc_name(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".warc") || name.ends_with(".warc.gz")
}

fn warc_units(input: InputFile) -> Vec<Unit> {
    let name = input.path.display().to_string();
    let failed = |error| Unit {
        name: name.clone(),
        relative: PathBuf::new(),
        source: Source::Failed(error),
    };
    let bytes = match read_input(&input.path) {
        Ok(bytes) if is_warc(&bytes) => bytes,
        Ok(_) => {
            return vec![failed(Error::Input(
                "not a WARC file (no WARC/ header)".into(),
            ))];
        }
        Err(error) => return vec![failed(error)],
    };
    let base = input
        .relative
        .to_string_lossy()
        .trim_end_matches(".gz")
        .trim_end_matches(".warc")
        .to_string();
    warc::documents(&bytes)
        .into_iter()
        .map(|record| match record {
            Ok(record) => Unit {
                name: format!("{name}#{}", record.index),
                relative: PathBuf::from(&base).join(format!("{:05}", record.index)),
                source: Source::Record(Box::new(record)),
            },
            Err(error) => failed(error),
        })
        .collect()
}

/// Print each document's text (or JSON) in input order; several documents get `==> name <==` headers
/// in text format and one JSON object per line in JSON format.
fn to_stdout(
    pipeline: &Pipeline,
    paths: &[PathBuf],
    format: OutputFormat,
) -> anyhow::Result<Status> {
    let units = units(paths, None);
    let several = units.len() > 1;
    let results: Vec<Cleaning> = units
        .into_par_iter()
        .map(|unit| unit.run(pipeline))
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for Cleaning {
        name,
        provenance,
        result,
    } in results
    {
        match result {
            Ok(cleaned) => match format {
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
                        serde_json::to_writer(&mut out, &value)?;
                    } else {
                        serde_json::to_writer_pretty(&mut out, &value)?;
                    }
                    out.write_all(b"\n")?;
                }
            },
            Err(error) => {
                failed = true;
                out.flush()?;
                report_error(Path::new(&name), &error);
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        Status::Failed
    } else {
        Status::Success
    })
}

/// A document's name, provenance and result.
struct Cleaning {
    name: String,
    provenance: Vec<(String, Value)>,
    result: Result<Cleaned, Error>,
}

/// What one document contributed to an output tree.
struct Outcome {
    cleaning: Cleaning,
    output: PathBuf,
    bytes: usize,
}

/// Near-duplicate detection over an output tree.
struct TreeDedup<'a> {
    corpus: &'a CorpusDedup,
    folder: &'a Folder,
    keep_duplicates: bool,
}

impl TreeDedup<'_> {
    /// Cluster the cleaned documents; for each, its report entry (when it has near-duplicates) and
    /// whether its text is written.
    fn decide(&self, outcomes: &[Outcome]) -> Vec<(Option<Value>, bool)> {
        let cleaned: Vec<Option<&Cleaned>> = outcomes
            .iter()
            .map(|o| o.cleaning.result.as_ref().ok())
            .collect();
        let signatures: Vec<Signature> = cleaned
            .par_iter()
            .map(|c| c.map_or_else(Signature::empty, |c| Signature::of(&c.text, self.folder)))
            .collect();
        let lengths: Vec<usize> = cleaned
            .iter()
            .map(|c| c.map_or(0, |c| c.text.len()))
            .collect();
        self.corpus
            .cluster(&signatures, &lengths)
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
                    "kept_copy": outcomes[decision.kept].cleaning.name,
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
fn to_tree(
    pipeline: &Pipeline,
    paths: &[PathBuf],
    out: &Path,
    dedup: &TreeDedup,
) -> anyhow::Result<Status> {
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let started = Instant::now();
    let units = units(paths, Some(out));
    let (targets, renamed) = output_names(&units);
    let bar = progress(units.len() as u64);
    let outcomes: Vec<Outcome> = units
        .into_par_iter()
        .zip(targets.into_par_iter())
        .map(|(unit, output)| {
            let bytes = match &unit.source {
                Source::File(path) => std::fs::metadata(path).map_or(0, |m| m.len() as usize),
                Source::Record(r) => r.document.raw.len(),
                _ => 0,
            };
            let cleaning = unit.run(pipeline);
            bar.inc(1);
            Outcome {
                cleaning,
                output,
                bytes,
            }
        })
        .collect();
    bar.finish_and_clear();
    let decisions = dedup.decide(&outcomes);
    let mut errors: Vec<(String, String)> = Vec::new();
    for (outcome, decision) in outcomes.iter().zip(&decisions) {
        let cleaning = &outcome.cleaning;
        match &cleaning.result {
            Ok(cleaned) => write_outputs(out, outcome, cleaned, decision)?,
            Err(e) => {
                report_error(Path::new(&cleaning.name), e);
                errors.push((cleaning.name.clone(), e.to_string()));
            }
        }
    }
    let summary = summary(
        &outcomes,
        &decisions,
        &errors,
        &renamed,
        started.elapsed().as_secs_f64(),
    );
    let path = out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let ok = outcomes
        .iter()
        .filter(|o| o.cleaning.result.is_ok())
        .count();
    eprintln!(
        "sluice: {ok} of {} documents cleaned into {}, {} failed",
        outcomes.len(),
        out.display(),
        errors.len()
    );
    Ok(if errors.is_empty() {
        Status::Success
    } else {
        Status::Failed
    })
}

/// Output paths: the relative path with `.gz` dropped and the extension replaced by `.txt`. When two
/// inputs map to one output, the later (in input order) gets `~2`, `~3`…, and the renaming is returned.
fn output_names(units: &[Unit]) -> (Vec<PathBuf>, Vec<(String, PathBuf)>) {
    let mut taken: HashSet<PathBuf> = HashSet::new();
    let mut renamed = Vec::new();
    let targets = units
        .iter()
        .map(|unit| {
            let mut base = unit.relative.clone();
            if base.extension().is_some_and(|e| e == "gz") {
                base.set_extension("");
            }
            let mut target = base.with_extension("txt");
            let mut n = 1;
            while !taken.insert(target.clone()) {
                n += 1;
                let stem = base.file_stem().unwrap_or_default().to_string_lossy();
                target = base.with_file_name(format!("{stem}~{n}.txt"));
            }
            if n > 1 {
                renamed.push((unit.name.clone(), target.clone()));
            }
            target
        })
        .collect();
    (targets, renamed)
}

/// The text (unless it is a dropped duplicate) and the sidecar report of one document.
fn write_outputs(
    out: &Path,
    outcome: &Outcome,
    cleaned: &Cleaned,
    (duplicates, written): &(Option<Value>, bool),
) -> anyhow::Result<()> {
    let text_path = out.join(&outcome.output);
    if let Some(parent) = text_path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    if *written {
        std::fs::write(&text_path, cleaned.render())
            .with_context(|| format!("cannot write {}", text_path.display()))?;
    }
    let mut report = report_fields(cleaned);
    if let Some(duplicates) = duplicates {
        report.insert("duplicates".into(), duplicates.clone());
    }
    report.insert("source".into(), json!(outcome.cleaning.name));
    report.extend(outcome.cleaning.provenance.iter().cloned());
    let report_path = text_path.with_extension("json");
    std::fs::write(&report_path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", report_path.display()))?;
    Ok(())
}

fn summary(
    outcomes: &[Outcome],
    decisions: &[(Option<Value>, bool)],
    errors: &[(String, String)],
    renamed: &[(String, PathBuf)],
    seconds: f64,
) -> Value {
    let mut per_stage: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes_out = 0;
    for cleaned in outcomes
        .iter()
        .filter_map(|o| o.cleaning.result.as_ref().ok())
    {
        bytes_out += cleaned.render().len();
        for edit in &cleaned.report.edits {
            *per_stage.entry(edit.stage.to_string()).or_default() += 1;
            *per_rule.entry(edit.rule.clone()).or_default() += 1;
        }
    }
    json!({
        "documents": outcomes.len(),
        "cleaned": outcomes.iter().filter(|o| o.cleaning.result.is_ok()).count(),
        "failed": errors.len(),
        "bytes_in": outcomes.iter().map(|o| o.bytes).sum::<usize>(),
        "bytes_out": bytes_out,
        "duplicate_clusters": decisions.iter().filter_map(|(d, _)| d.as_ref()?.get("cluster")?.as_u64()).collect::<HashSet<u64>>().len(),
        "duplicates_not_written": decisions.iter().filter(|(d, written)| d.is_some() && !written).count(),
        "edits_per_stage": per_stage,
        "edits_per_rule": per_rule,
        "errors": errors.iter().map(|(p, e)| json!({"path": p, "error": e})).collect::<Vec<_>>(),
        "renamed": renamed.iter().map(|(i, o)| json!({"input": i, "output": o.display().to_string()})).collect::<Vec<_>>(),
        "seconds": seconds,
    })
}
