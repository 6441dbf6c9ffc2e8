//! Library errors. Every error names what it is about (a file, a rule) and why.

use std::path::PathBuf;

/// An error in a rule file: which file, which line, and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl RuleError {
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
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// Reading a file failed. The message leaves the path out: callers put it first.
    #[error("cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing an output failed (a full disk, a closed pipe).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(String),
}
