//! Resumable, atomic output: every file of an output directory is written to a temporary name and
//! renamed into place, and each finished part of a run (a batch of an output tree, a shard) leaves a
//! completion marker in `OUT/.sluice/done/` with what the end of the run needs of it (names,
//! signatures, totals). A rerun of the same run (same sluice, rules, settings, inputs and output
//! options) skips the parts marked done and continues after them, as datatrove's completion files
//! do; a rerun of another run starts over.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Outcome;
use super::output::Totals;
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

    /// The run is over: write its summary to `path` (keys sorted, pretty), the last file of a
    /// run, then remove the state. A complete output directory is a dataset, to be read, copied
    /// and uploaded as it is, without the markers (about 1.3 KB per document) and with no file a
    /// reader that lists the directory could take for data; a rerun of a complete run starts over.
    /// Killed between the two, the state is still there and a rerun ends the run again.
    pub(crate) fn complete(self, path: &Path, mut summary: Value) -> Result<(), Error> {
        summary.sort_all_objects();
        let json = serde_json::to_string_pretty(&summary).map_err(json_error)?;
        self.write_atomic(path, (json + "\n").as_bytes())?;
        std::fs::remove_dir_all(&self.dir).map_err(cannot("remove", &self.dir))
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

/// The documents of some parts of a run (batches of a tree, shards), in input order: what a rerun
/// and the end of the run need of them. `D` is what an output keeps of its documents.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Part<D> {
    /// The parts it holds (of the parts done: how many markers there are).
    #[serde(skip)]
    pub(crate) parts: usize,
    /// Documents met (units of input), failed ones and ones refused before cleaning included.
    pub(crate) units: usize,
    pub(crate) documents: D,
    pub(crate) totals: Totals,
}

/// What an output keeps of the documents of a part, added to in input order.
pub(crate) trait Documents: Default + Serialize + DeserializeOwned {
    /// Add the documents of the next part.
    fn append(&mut self, next: Self);
}

impl<D: Documents> Part<D> {
    /// The parts of `state` marked done, as one.
    pub(crate) fn done(state: &RunState) -> Result<Self, Error> {
        let mut done = Part::default();
        for part in state.completed::<Part<D>>()? {
            done.extend(part);
        }
        Ok(done)
    }

    /// Count one document met, before what the output keeps of it.
    pub(crate) fn count(&mut self, outcome: &Outcome) {
        self.units += 1;
        self.totals.documents += 1;
        self.totals.bytes_in += outcome.bytes_in;
    }

    /// Mark this part done in `state` (when it has documents) and add it to `done`, leaving it
    /// empty for the next part.
    pub(crate) fn mark_done(&mut self, state: &RunState, done: &mut Part<D>) -> Result<(), Error> {
        if self.units == 0 {
            return Ok(());
        }
        let part = std::mem::take(self);
        state.mark_done(done.parts, &part)?;
        done.extend(part);
        Ok(())
    }

    /// Add the documents of the next part in order.
    fn extend(&mut self, next: Part<D>) {
        self.parts += 1;
        self.units += next.units;
        self.documents.append(next.documents);
        self.totals.extend(next.totals);
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
