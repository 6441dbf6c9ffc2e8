//! The `sluice` binary and the fixtures, for the end-to-end tests that run the binary
//! (`tests/cli/`, `tests/scale/`, `tests/rules.rs`, `tests/warc_stream.rs`), which include this file
//! with `#[path]` as the module `binary` (`support/jsonl.rs` runs the binary through it).

use std::path::PathBuf;

/// The `sluice` binary of this build, as a command to run.
pub fn sluice() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("sluice").unwrap()
}

/// The file or directory `path` under `fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}
