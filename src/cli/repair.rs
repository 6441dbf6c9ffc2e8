//! `sluice repair`: fix a file's charset and encoding damage without removing content.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use sluice::report_json::ReportJson;
use sluice::run::{Processed, read_input, stream_jsonl};
use sluice::stages::decode::check_is_text;
use sluice::{Document, Format, Pipeline, Profile, Report, StageName};

use super::clean::{open_jsonl, stdout};
use super::{JobArgs, RuleArgs, Status, report_error, status};

#[derive(Args)]
pub struct RepairArgs {
    /// Files to repair.
    #[arg(value_name = "FILE", required_unless_present = "jsonl")]
    files: Vec<PathBuf>,
    /// Rewrite each file atomically (a backup is kept unless --no-backup).
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    in_place: bool,
    /// Suffix of the backup written by --in-place.
    #[arg(
        long,
        value_name = "SUFFIX",
        default_value = ".orig",
        requires = "in_place"
    )]
    backup: String,
    /// With --in-place, keep no backup.
    #[arg(long, requires = "in_place", conflicts_with = "backup")]
    no_backup: bool,
    /// Change nothing; exit 1 when some file would change.
    #[arg(long)]
    check: bool,
    /// Print a unified diff of the repair instead of the repaired text.
    #[arg(long)]
    diff: bool,
    /// Read JSON Lines from FILE (or stdin: `-`), write repaired records to stdout.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", conflicts_with_all = ["files", "in_place", "check", "diff"])]
    jsonl: Option<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    jobs: JobArgs,
}

/// A repaired file: the text as it was decoded, the text after repair, and the report.
struct Repaired {
    decoded: String,
    text: String,
    report: Report,
}

pub fn run(args: RepairArgs) -> anyhow::Result<Status> {
    args.jobs.install();
    let rules = args.rules.load()?;
    let pipeline =
        Pipeline::with_profile(&rules, Profile::Repair).context("the rules do not compile")?;
    if let Some(source) = &args.jsonl {
        let repair = |mut doc: Document| {
            // A repair keeps markup as it is: everything is text to it.
            if let Some(html) = doc.html.take() {
                doc.text = html;
            }
            doc.format = Format::Text;
            let repaired = repair_document(&pipeline, doc);
            let report = ReportJson::of_report(&repaired.report).to_value();
            Ok(Processed {
                fields: vec![
                    ("text".into(), repaired.text.into()),
                    ("sluice".into(), report.into()),
                ],
                signature: None,
            })
        };
        let (reader, max) = (open_jsonl(source)?, pipeline.max_input_bytes());
        return Ok(status(stream_jsonl(reader, source, stdout(), max, repair)?));
    }
    let mut failed = false;
    let mut would_change = false;
    for path in &args.files {
        match repair_file(&pipeline, path) {
            Ok((original, repaired)) => {
                let changed = repaired.text.as_bytes() != original.as_slice();
                would_change |= changed;
                if args.check {
                    if changed {
                        eprintln!(
                            "{}: would be repaired ({})",
                            path.display(),
                            describe(&repaired.report)
                        );
                    }
                } else if args.in_place {
                    if changed {
                        write_in_place(
                            path,
                            &original,
                            &repaired.text,
                            (!args.no_backup).then_some(&args.backup),
                        )?;
                        eprintln!(
                            "{}: repaired ({})",
                            path.display(),
                            describe(&repaired.report)
                        );
                    }
                } else if args.diff {
                    print_diff(path, &repaired)?;
                } else {
                    std::io::stdout().write_all(repaired.text.as_bytes())?;
                }
            }
            Err(error) => {
                failed = true;
                report_error(path, &error);
            }
        }
    }
    Ok(if failed || (args.check && would_change) {
        Status::Failed
    } else {
        Status::Success
    })
}

fn repair_file(pipeline: &Pipeline, path: &Path) -> anyhow::Result<(Vec<u8>, Repaired)> {
    let bytes = read_input(path)?;
    check_is_text(&bytes)?;
    // A repair never parses markup: an HTML file is repaired as the text it is.
    let repaired = repair_document(pipeline, Document::from_bytes(bytes.clone(), Format::Text));
    Ok((bytes, repaired))
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

/// `GB18030 → UTF-8, 3 edits`.
fn describe(report: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(decode) = &report.decode
        && decode.encoding != "UTF-8"
    {
        parts.push(format!("{} → UTF-8", decode.encoding));
    }
    parts.push(format!("{} edits", report.edits.len()));
    parts.join(", ")
}

fn print_diff(path: &Path, repaired: &Repaired) -> anyhow::Result<()> {
    let encoding = repaired
        .report
        .decode
        .as_ref()
        .map_or("UTF-8", |d| d.encoding.as_str());
    let diff = similar::TextDiff::from_lines(&repaired.decoded, &repaired.text);
    let mut out = std::io::stdout().lock();
    // The header is written even when only the encoding changes, so the diff always says what a
    // repair would write.
    writeln!(out, "--- {} ({encoding})", path.display())?;
    writeln!(out, "+++ {} (repaired, UTF-8)", path.display())?;
    for hunk in diff.unified_diff().context_radius(2).iter_hunks() {
        write!(out, "{hunk}")?;
    }
    Ok(())
}

/// Replace `path` by `text` atomically (a temporary file in the same directory, renamed over it),
/// after copying the original to `path + suffix`.
fn write_in_place(
    path: &Path,
    original: &[u8],
    text: &str,
    backup: Option<&String>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Some(suffix) = backup {
        if suffix.is_empty() {
            bail!("--backup needs a non-empty suffix (or use --no-backup)");
        }
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::fs::write(&name, original)
            .with_context(|| format!("cannot write backup {}", PathBuf::from(&name).display()))?;
    }
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    temp.write_all(text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
