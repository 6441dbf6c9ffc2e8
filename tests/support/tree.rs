//! A directory's files as they are, for the end-to-end tests that compare output trees or check
//! that inputs were left alone (`tests/cli/`, `tests/warc_stream.rs`), which include this file with
//! `#[path]` as the module `tree`.

use std::path::{Path, PathBuf};

/// Every file under `dir`, by path relative to it, with its contents, in path order: two trees
/// with the same snapshot hold the same files.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (relative, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}
