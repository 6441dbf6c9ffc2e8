//! `sluice repair`: fix a file's charset and encoding damage without removing content.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sluice::repair::{RepairMode, repair_in_mode, repair_jsonl};
use sluice::run::open_stream;
use sluice::{Pipeline, Profile, RunInfo};

use super::clean::stdout;
use super::{JobArgs, RuleArgs, Status, report_failure, status, stream_status};

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
    /// Exit 1 when some document failed. Accepted in every mode: on files a failure exits 1
    /// anyway; with --jsonl a failed record is an output record and the exit code is 0 unless this
    /// is given.
    #[arg(long)]
    fail_on_error: bool,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    jobs: JobArgs,
}

pub fn run(args: RepairArgs) -> anyhow::Result<Status> {
    args.jobs.install();
    let rules = args.rules.load()?;
    let pipeline =
        Pipeline::with_profile(&rules, Profile::Repair).context("the rules do not compile")?;
    if let Some(source) = &args.jsonl {
        let run = RunInfo::new(&rules).context("the rules do not compile")?;
        let started = std::time::Instant::now();
        let summary = repair_jsonl(&pipeline, &run, open_stream(source)?, source, stdout())?;
        return Ok(stream_status(&summary, started, args.fail_on_error));
    }
    let backup = (!args.no_backup).then_some(args.backup.as_str());
    let mode = match (args.check, args.in_place, args.diff) {
        (true, _, _) => RepairMode::Check,
        (_, true, _) => RepairMode::InPlace { backup },
        (_, _, true) => RepairMode::Diff,
        _ => RepairMode::Print,
    };
    let (mut failed, mut would_change) = (false, false);
    for path in &args.files {
        match repair_in_mode(&pipeline, path, mode)? {
            Ok(repair) => {
                would_change |= repair.changed;
                if let Some(note) = repair.note {
                    eprintln!("{}: {note}", path.display());
                }
                if let Some(output) = repair.output {
                    std::io::stdout().write_all(output.as_bytes())?;
                }
            }
            Err(error) => {
                failed = true;
                report_failure(path, &error);
            }
        }
    }
    Ok(status(!(failed || args.check && would_change)))
}
