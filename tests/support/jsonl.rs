//! `sluice clean --jsonl -` on bytes given as its stdin, for the end-to-end tests of the JSON Lines
//! contract (`tests/cli/`, `tests/scale/`), which include this file with `#[path]`, beside
//! `support/binary.rs` as the module `binary`.

use serde_json::Value;

/// How one run of `sluice clean --jsonl -` ended.
pub struct JsonlRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl JsonlRun {
    /// The output records, once the exit code is `code` (stderr shown when it is not).
    pub fn records(&self, code: i32) -> Vec<Value> {
        assert_eq!(self.code, Some(code), "{}", self.stderr);
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

/// `sluice clean --jsonl - ARGS…` with `input` on its stdin.
pub fn clean_jsonl(args: &[&str], input: impl Into<Vec<u8>>) -> JsonlRun {
    let output = crate::binary::sluice()
        .args(["clean", "--jsonl", "-"])
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap();
    JsonlRun {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}
