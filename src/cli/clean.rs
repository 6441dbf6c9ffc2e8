//! `sluice clean`: one file to stdout, many files to an output tree, or a JSON Lines stream.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{Value, json};
use sluice::io::{InputFile, collect_inputs, read_input};
use sluice::{Cleaned, Error, Pipeline};

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
    if let Some(source) = &args.jsonl {
        return super::jsonl::stream(source, |doc| {
            let cleaned = pipeline.clean_document(doc).map_err(|e| e.to_string())?;
            Ok(jsonl_fields(&cleaned))
        });
    }
    if args.paths.is_empty() {
        bail!("nothing to clean: give files or directories, or --jsonl");
    }
    match &args.output {
        Some(out) => to_tree(&pipeline, &args.paths, out),
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

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map_err(|source| {
            Error::Io {
                path: path.into(),
                source,
            }
        })?;
        return Ok(bytes);
    }
    read_input(path)
}

fn clean_file(pipeline: &Pipeline, path: &Path) -> Result<Cleaned, Error> {
    pipeline.clean(&read(path)?)
}

/// Print each document's text (or JSON) in input order; several documents get `==> path <==` headers
/// in text format and one JSON object per line in JSON format.
fn to_stdout(
    pipeline: &Pipeline,
    paths: &[PathBuf],
    format: OutputFormat,
) -> anyhow::Result<Status> {
    let inputs: Vec<Result<InputFile, Error>> = paths
        .iter()
        .flat_map(|p| {
            if p == Path::new("-") {
                vec![Ok(InputFile {
                    path: p.clone(),
                    relative: p.clone(),
                })]
            } else {
                collect_inputs(std::slice::from_ref(p), None)
            }
        })
        .collect();
    let several = inputs.len() > 1;
    let results: Vec<Result<(PathBuf, Cleaned), (PathBuf, Error)>> = inputs
        .into_par_iter()
        .map(|input| {
            let input = input.map_err(|e| (PathBuf::new(), e))?;
            clean_file(pipeline, &input.path)
                .map(|c| (input.path.clone(), c))
                .map_err(|e| (input.path, e))
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for result in results {
        match result {
            Ok((path, cleaned)) => match format {
                OutputFormat::Text => {
                    if several {
                        writeln!(out, "==> {} <==", path.display())?;
                    }
                    out.write_all(cleaned.render().as_bytes())?;
                }
                OutputFormat::Json => {
                    let value = document_json(&cleaned, &path.display().to_string());
                    if several {
                        serde_json::to_writer(&mut out, &value)?;
                    } else {
                        serde_json::to_writer_pretty(&mut out, &value)?;
                    }
                    out.write_all(b"\n")?;
                }
            },
            Err((path, error)) => {
                failed = true;
                out.flush()?;
                report_error(&path, &error);
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

/// What one document contributed to the run.
struct Outcome {
    input: PathBuf,
    output: PathBuf,
    bytes: usize,
    result: Result<Cleaned, Error>,
}

/// Clean every input into OUT: text, sidecar report, and a summary of the run.
fn to_tree(pipeline: &Pipeline, paths: &[PathBuf], out: &Path) -> anyhow::Result<Status> {
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let started = Instant::now();
    let mut errors: Vec<(PathBuf, String)> = Vec::new();
    let mut inputs = Vec::new();
    for found in collect_inputs(paths, Some(out)) {
        match found {
            Ok(input) => inputs.push(input),
            Err(e) => {
                report_error(Path::new("sluice"), &e);
                errors.push((PathBuf::new(), e.to_string()));
            }
        }
    }
    let (targets, renamed) = output_names(&inputs);
    let bar = progress(inputs.len() as u64);
    let outcomes: Vec<Outcome> = inputs
        .par_iter()
        .zip(targets.par_iter())
        .map(|(input, target)| {
            let bytes = std::fs::metadata(&input.path).map_or(0, |m| m.len() as usize);
            let result = clean_file(pipeline, &input.path);
            bar.inc(1);
            Outcome {
                input: input.path.clone(),
                output: target.clone(),
                bytes,
                result,
            }
        })
        .collect();
    bar.finish_and_clear();
    for outcome in &outcomes {
        match &outcome.result {
            Ok(cleaned) => write_outputs(out, outcome, cleaned)?,
            Err(e) => {
                report_error(&outcome.input, e);
                errors.push((outcome.input.clone(), e.to_string()));
            }
        }
    }
    let summary = summary(
        &outcomes,
        &errors,
        &renamed,
        started.elapsed().as_secs_f64(),
    );
    let path = out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let ok = outcomes.iter().filter(|o| o.result.is_ok()).count();
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
fn output_names(inputs: &[InputFile]) -> (Vec<PathBuf>, Vec<(PathBuf, PathBuf)>) {
    let mut taken: HashSet<PathBuf> = HashSet::new();
    let mut renamed = Vec::new();
    let targets = inputs
        .iter()
        .map(|input| {
            let mut base = input.relative.clone();
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
                renamed.push((input.path.clone(), target.clone()));
            }
            target
        })
        .collect();
    (targets, renamed)
}

fn write_outputs(out: &Path, outcome: &Outcome, cleaned: &Cleaned) -> anyhow::Result<()> {
    let text_path = out.join(&outcome.output);
    if let Some(parent) = text_path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&text_path, cleaned.render())
        .with_context(|| format!("cannot write {}", text_path.display()))?;
    let mut report = report_fields(cleaned);
    report.insert("source".into(), json!(outcome.input.display().to_string()));
    let report_path = text_path.with_extension("json");
    std::fs::write(&report_path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", report_path.display()))?;
    Ok(())
}

fn summary(
    outcomes: &[Outcome],
    errors: &[(PathBuf, String)],
    renamed: &[(PathBuf, PathBuf)],
    seconds: f64,
) -> Value {
    let mut per_stage: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes_out = 0;
    for cleaned in outcomes.iter().filter_map(|o| o.result.as_ref().ok()) {
        bytes_out += cleaned.render().len();
        for edit in &cleaned.report.edits {
            *per_stage.entry(edit.stage.to_string()).or_default() += 1;
            *per_rule.entry(edit.rule.clone()).or_default() += 1;
        }
    }
    json!({
        "documents": outcomes.len(),
        "cleaned": outcomes.iter().filter(|o| o.result.is_ok()).count(),
        "failed": errors.len(),
        "bytes_in": outcomes.iter().map(|o| o.bytes).sum::<usize>(),
        "bytes_out": bytes_out,
        "edits_per_stage": per_stage,
        "edits_per_rule": per_rule,
        "errors": errors.iter().map(|(p, e)| json!({"path": p.display().to_string(), "error": e})).collect::<Vec<_>>(),
        "renamed": renamed.iter().map(|(i, o)| json!({"input": i.display().to_string(), "output": o.display().to_string()})).collect::<Vec<_>>(),
        "seconds": seconds,
    })
}
