//! The `sluice` binary and the fixtures, for the end-to-end tests that run the binary
//! (`tests/cli/`, `tests/scale/`, `tests/rules.rs`, `tests/warc_stream.rs`), which include this file
//! with `#[path]` as the module `binary` (`support/jsonl.rs` runs the binary through it).

use std::path::PathBuf;

/// The `sluice` binary of this build, as a command to run.
pub fn sluice() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("sluice").unwrap()
}

/// What `command` printed on stdout, once it succeeded (its stderr shown when it did not).
pub fn stdout_of(command: &mut assert_cmd::Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The file or directory `path` under `fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}
