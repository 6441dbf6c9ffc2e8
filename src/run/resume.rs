//! Resumable, atomic output: every file of an output directory is written to a temporary name and
//! renamed into place, and each finished part of a run (a batch of an output tree, a shard) leaves a
//! completion marker in `OUT/.sluice/done/` with what the end of the run needs of it (names,
//! signatures, totals). A rerun of the same run (same sluice, rules, settings, inputs and output
//! options) skips the parts marked done and continues after them, as datatrove's completion files
//! do; a rerun of another run starts over.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;

/// The directory of a run's state inside its output directory.
pub(crate) const STATE_DIR: &str = ".sluice";

/// A run's state: its identity, its completion markers, and the temporary files being written.
pub(crate) struct RunState {
    dir: PathBuf,
}

impl RunState {
    /// The state of the run `identity` in `out`: kept when the state there is of the same run, else
    /// cleared (what `started_over` says). Temporary files a killed run left are removed.
    pub(crate) fn open(out: &Path, identity: &Value) -> Result<(Self, bool), Error> {
        let dir = out.join(STATE_DIR);
        let identity_file = dir.join("run.json");
        let same = std::fs::read(&identity_file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .is_some_and(|earlier| &earlier == identity);
        let started_over = !same && dir.exists();
        if !same && dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(cannot("remove", &dir))?;
        }
        let tmp = dir.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(cannot("remove", &tmp))?;
        }
        for sub in [&tmp, &dir.join("done")] {
            std::fs::create_dir_all(sub).map_err(cannot("create", sub))?;
        }
        let state = RunState { dir };
        if !same {
            let json = serde_json::to_vec_pretty(identity).map_err(json_error)?;
            state.write_atomic(&identity_file, &json)?;
        }
        Ok((state, started_over))
    }

    /// Write `bytes` to `path` (created with its directories) atomically: a killed run leaves the
    /// old file or the new one, never part of one.
    pub(crate) fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let mut file = self.temporary()?;
        file.write_all(bytes).map_err(cannot_write(path))?;
        self.persist(file, path)
    }

    /// A new temporary file, to be [persisted](RunState::persist) under its final name.
    pub(crate) fn temporary(&self) -> Result<tempfile::NamedTempFile, Error> {
        let tmp = self.dir.join("tmp");
        tempfile::NamedTempFile::new_in(&tmp).map_err(cannot("create a file in", &tmp))
    }

    /// Rename a finished temporary file to `path`, creating its directory.
    pub(crate) fn persist(&self, file: tempfile::NamedTempFile, path: &Path) -> Result<(), Error> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(cannot("create", parent))?;
        }
        file.persist(path)
            .map(drop)
            .map_err(|e| cannot_write(path)(e.error))
    }

    /// The completion markers of the parts done, in order, up to the first part not done.
    pub(crate) fn completed<T: DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        let mut parts = Vec::new();
        loop {
            let path = self.marker(parts.len());
            let Ok(file) = std::fs::File::open(&path) else {
                return Ok(parts);
            };
            let mut json = Vec::new();
            zstd::stream::read::Decoder::new(file)
                .and_then(|mut decoder| decoder.read_to_end(&mut json))
                .map_err(cannot("read", &path))?;
            parts.push(serde_json::from_slice(&json).map_err(|e| {
                Error::Input(format!(
                    "{} is not a completion marker: {e}",
                    path.display()
                ))
            })?);
        }
    }

    /// Mark part `index` done, with what the end of the run needs of it.
    pub(crate) fn mark_done<T: Serialize>(&self, index: usize, part: &T) -> Result<(), Error> {
        let json = serde_json::to_vec(part).map_err(json_error)?;
        let packed = zstd::encode_all(json.as_slice(), 1).map_err(cannot_write(Path::new("")))?;
        self.write_atomic(&self.marker(index), &packed)
    }

    fn marker(&self, index: usize) -> PathBuf {
        self.dir.join("done").join(format!("{index:05}.json.zst"))
    }
}

fn cannot<'p>(what: &'static str, path: &'p Path) -> impl Fn(std::io::Error) -> Error + 'p {
    move |e| Error::Input(format!("cannot {what} {}: {e}", path.display()))
}

fn cannot_write(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    super::cannot_write(path)
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Input(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_back_in_order_up_to_the_first_missing() {
        let out = tempfile::tempdir().unwrap();
        let identity = serde_json::json!({"rules": "a"});
        let (state, started_over) = RunState::open(out.path(), &identity).unwrap();
        assert!(!started_over);
        state.mark_done(0, &vec![1, 2]).unwrap();
        state.mark_done(1, &vec![3]).unwrap();
        state.mark_done(3, &vec![9]).unwrap();
        assert_eq!(
            state.completed::<Vec<u32>>().unwrap(),
            [vec![1, 2], vec![3]]
        );

        let (state, started_over) = RunState::open(out.path(), &identity).unwrap();
        assert!(!started_over, "the same run resumes");
        assert_eq!(state.completed::<Vec<u32>>().unwrap().len(), 2);
        let other = serde_json::json!({"rules": "b"});
        let (state, started_over) = RunState::open(out.path(), &other).unwrap();
        assert!(started_over, "another run starts over");
        assert!(state.completed::<Vec<u32>>().unwrap().is_empty());
    }

    #[test]
    fn a_file_is_written_whole_or_not_at_all() {
        let out = tempfile::tempdir().unwrap();
        let (state, _) = RunState::open(out.path(), &Value::Null).unwrap();
        let path = out.path().join("a/b.txt");
        state.write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        // A temporary file a killed run left behind is gone when the run is opened again.
        let left = state.temporary().unwrap().into_temp_path().keep().unwrap();
        RunState::open(out.path(), &Value::Null).unwrap();
        assert!(!left.exists());
    }
}
