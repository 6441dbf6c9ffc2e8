//! Library errors. Every error names what it is about (a file, a rule) and why.

use std::path::{Path, PathBuf};

/// An error in a rule file: which file, which line, and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleError {
    /// The rule file, relative to its rules directory.
    pub file: String,
    /// The 1-based line (0 when the error is about the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl RuleError {
    /// An error about `file` at `line`.
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        RuleError {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

/// Errors of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file is wrong.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// Reading a file (or walking a directory) failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Writing an output failed (a full disk, a closed pipe).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An input that cannot be cleaned (empty, binary, too large, nested too deep) or an output that cannot be made, and why.
    #[error("{0}")]
    Input(String),
}

impl Error {
    /// The file a failed read or write is about.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. } | Error::Write { path, .. } => Some(path),
            Error::Rule(_) | Error::Input(_) => None,
        }
    }

    /// The error as a message about the input `input`: `input: error`, or the error alone when it
    /// names `input` already (a failed read of it), so the input is not named twice.
    pub fn about(&self, input: &Path) -> String {
        match self.path() == Some(input) {
            true => self.to_string(),
            false => format!("{}: {self}", input.display()),
        }
    }
}

/// The error of a directory walk that failed at some entry: an I/O error about that entry's path
/// (`root` when the walk could not name one), or a loop of directories.
pub(crate) fn walk_error(root: &Path, error: walkdir::Error) -> Error {
    let path = error.path().unwrap_or(root).to_path_buf();
    match error.into_io_error() {
        Some(source) => Error::Io { path, source },
        None => Error::Input("a loop of directories".into()),
    }
}
