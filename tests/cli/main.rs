//! End-to-end tests of the `sluice` binary on the fixtures, one module per topic, in one test binary
//! (each file under `tests/` is a binary linked on its own).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

mod basics;
mod outputs;
mod streams;

#[path = "../support/warc_record.rs"]
mod warc_support;

#[path = "../support/binary.rs"]
mod binary;
use binary::{fixture, sluice, stdout_of};

#[path = "../support/jsonl.rs"]
mod jsonl_support;
use jsonl_support::clean_jsonl;

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// `sluice clean ARGS…` run in `dir`: the exit code and stderr.
fn clean_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = sluice()
        .current_dir(dir)
        .arg("clean")
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
