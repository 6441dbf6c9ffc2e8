//! End-to-end tests of the `sluice` binary on the fixtures, one module per topic, in one test binary
//! (each file under `tests/` is a binary linked on its own).

use std::path::Path;

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

#[path = "../support/tree.rs"]
mod tree;
use tree::snapshot;

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
