//! Resumable, atomic output: every file of an output directory is written to a temporary name and
//! renamed into place, and each finished part of a run (a batch of an output tree, a shard) leaves a
//! completion marker in `OUT/.sluice/done/` with what the end of the run needs of it (names,
//! signatures, totals). A rerun of the same run (same sluice, rules, settings, inputs and output
//! options) skips the parts marked done and continues after them, as datatrove's completion files
//! do; a rerun of another run starts over, and so does one that finds state of another layout (the
//! format number in the identity) or a marker it cannot load.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Outcome;
use super::output::Totals;
use crate::error::Error;

/// The directory of a run's state inside its output directory.
pub(crate) const STATE_DIR: &str = ".sluice";

/// The layout of a run's state (its identity file and completion markers), part of the run's
/// identity: bumped whenever the layout changes, so that state an older build left is cleared and
/// the run starts over, where it would otherwise be misread or fail to load.
const STATE_FORMAT: u64 = 1;

/// How a run's summary is written.
pub(crate) enum SummaryLayout {
    /// Indented, for people: an output tree's.
    Pretty,
    /// One line: among shards, where a reader that reads every file of the directory as JSON
    /// Lines (datatrove's `JsonlReader` without a pattern) takes it for one record and skips it
    /// for having no `text`, where each line of an indented summary would fail (and a line that is
    /// a string alone stops that reader).
    OneLine,
}

/// The file of a run's identity in its state directory.
const IDENTITY_FILE: &str = "run.json";

/// A run's state: its identity, its completion markers, and the temporary files being written.
pub(crate) struct RunState {
    dir: PathBuf,
    /// What the identity file holds: the state's format and the run's identity.
    identity: Value,
    /// Why the state an earlier run left was cleared, when it was.
    started_over: Option<String>,
}

impl RunState {
    /// The state of the run `identity` in `out`: kept when the state there is of the same run and
    /// format, else cleared (see [`RunState::started_over`]). Temporary files a killed run left are
    /// removed.
    pub(crate) fn open(out: &Path, identity: &Value) -> Result<Self, Error> {
        let dir = out.join(STATE_DIR);
        let identity = json!({"format": STATE_FORMAT, "run": identity});
        let started_over = dir
            .exists()
            .then(|| why_not_resumed(&dir, &identity))
            .flatten();
        let state = RunState {
            dir,
            identity,
            started_over,
        };
        if state.started_over.is_some() || !state.dir.exists() {
            state.clear()?;
        }
        let tmp = state.dir.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(cannot("remove", &tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(cannot("create", &tmp))?;
        Ok(state)
    }

    /// Why the state an earlier run left was cleared, when it was (`another run's state …`): the
    /// run started over, and the caller may say so.
    pub(crate) fn started_over(&self) -> Option<&str> {
        self.started_over.as_deref()
    }

    /// Clear the state and start it again, holding only this run's identity.
    fn clear(&self) -> Result<(), Error> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(cannot("remove", &self.dir))?;
        }
        for sub in [self.dir.join("tmp"), self.dir.join("done")] {
            std::fs::create_dir_all(&sub).map_err(cannot("create", &sub))?;
        }
        let json = serde_json::to_vec_pretty(&self.identity).map_err(json_error)?;
        self.write_atomic(&self.dir.join(IDENTITY_FILE), &json)
    }

    /// Write `bytes` to `path` (created with its directories) atomically: a killed run leaves the
    /// old file or the new one, never part of one.
    pub(crate) fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let mut file = self.temporary()?;
        file.write_all(bytes).map_err(cannot_write(path))?;
        self.persist(file, path)
    }

    /// The run is over: write its summary to `path` (keys sorted, laid out as `layout` says), the
    /// last file of a run, then remove the state. A complete output directory is a dataset, to be
    /// read, copied and uploaded as it is, without the markers (about 1.3 KB per document) and
    /// with no file a reader that lists the directory could take for data; a rerun of a complete
    /// run starts over. Killed between the two, the state is still there and a rerun ends the run
    /// again.
    pub(crate) fn complete(
        self,
        path: &Path,
        mut summary: Value,
        layout: SummaryLayout,
    ) -> Result<(), Error> {
        summary.sort_all_objects();
        let json = match layout {
            SummaryLayout::Pretty => serde_json::to_string_pretty(&summary),
            SummaryLayout::OneLine => serde_json::to_string(&summary),
        }
        .map_err(json_error)?;
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

/// Why the state in `dir` is not the state of the run `identity` (its format and the run's own
/// identity), or `None` when it is.
fn why_not_resumed(dir: &Path, identity: &Value) -> Option<String> {
    let earlier = std::fs::read(dir.join(IDENTITY_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    let Some(earlier) = earlier else {
        return Some("no run identity".into());
    };
    if earlier.get("format") != identity.get("format") {
        let format = earlier
            .get("format")
            .map_or("none".into(), Value::to_string);
        return Some(format!(
            "state of another sluice build (state format {format}; this build's is {STATE_FORMAT})"
        ));
    }
    (&earlier != identity).then(|| {
        "another run's state (the sluice version, rules, settings, output options or inputs \
         differ)"
            .into()
    })
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
    /// The state of the run `identity` in `out` (see [`RunState::open`]) and its parts marked
    /// done, as one. Markers that do not load (written with another layout under the same format
    /// number, or damaged) are no reason to fail: the state is cleared and the run starts over.
    pub(crate) fn resume(out: &Path, identity: &Value) -> Result<(RunState, Self), Error> {
        let mut state = RunState::open(out, identity)?;
        match state.completed::<Part<D>>() {
            Ok(parts) => {
                let mut done = Part::default();
                for part in parts {
                    done.extend(part);
                }
                Ok((state, done))
            }
            Err(error) => {
                state.clear()?;
                state.started_over =
                    Some(format!("a completion marker that does not load: {error}"));
                Ok((state, Part::default()))
            }
        }
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
        let identity = json!({"rules": "a"});
        let state = RunState::open(out.path(), &identity).unwrap();
        assert_eq!(state.started_over(), None);
        state.mark_done(0, &vec![1, 2]).unwrap();
        state.mark_done(1, &vec![3]).unwrap();
        state.mark_done(3, &vec![9]).unwrap();
        assert_eq!(
            state.completed::<Vec<u32>>().unwrap(),
            [vec![1, 2], vec![3]]
        );

        let state = RunState::open(out.path(), &identity).unwrap();
        assert_eq!(state.started_over(), None, "the same run resumes");
        assert_eq!(state.completed::<Vec<u32>>().unwrap().len(), 2);
        let other = json!({"rules": "b"});
        let state = RunState::open(out.path(), &other).unwrap();
        let why = state.started_over().unwrap();
        assert!(why.starts_with("another run's state"), "{why}");
        assert!(state.completed::<Vec<u32>>().unwrap().is_empty());
    }

    /// The documents of a part as a test keeps them: their names.
    #[derive(Default, Serialize, Deserialize)]
    struct Names(Vec<String>);

    impl Documents for Names {
        fn append(&mut self, next: Self) {
            self.0.extend(next.0);
        }
    }

    /// A part of one document named `name`.
    fn part(name: &str) -> Part<Names> {
        Part {
            units: 1,
            documents: Names(vec![name.into()]),
            ..Part::default()
        }
    }

    #[test]
    fn state_of_another_format_or_with_a_marker_that_does_not_load_starts_over() {
        let out = tempfile::tempdir().unwrap();
        let identity = json!({"rules": "a"});
        let (state, mut done) = Part::<Names>::resume(out.path(), &identity).unwrap();
        part("a").mark_done(&state, &mut done).unwrap();
        let (_, done) = Part::<Names>::resume(out.path(), &identity).unwrap();
        assert_eq!((done.parts, done.documents.0), (1, vec!["a".to_string()]));

        // The same run as an older build wrote it: another format number in the identity file.
        let identity_file = out.path().join(STATE_DIR).join(IDENTITY_FILE);
        let mut earlier: Value =
            serde_json::from_slice(&std::fs::read(&identity_file).unwrap()).unwrap();
        earlier["format"] = json!(STATE_FORMAT + 1);
        std::fs::write(&identity_file, earlier.to_string()).unwrap();
        let (state, mut done) = Part::<Names>::resume(out.path(), &identity).unwrap();
        let why = state.started_over().unwrap();
        assert!(
            why.contains(&format!("state format {}", STATE_FORMAT + 1)),
            "{why}"
        );
        assert_eq!(done.parts, 0);

        // The same format number, a marker of another layout: the run starts over too.
        part("b").mark_done(&state, &mut done).unwrap();
        state.mark_done(1, &json!({"names": ["c"]})).unwrap();
        let (state, done) = Part::<Names>::resume(out.path(), &identity).unwrap();
        let why = state.started_over().unwrap();
        assert!(
            why.contains("00001.json.zst is not a completion marker"),
            "{why}"
        );
        assert_eq!(done.parts, 0);
        assert!(state.completed::<Part<Names>>().unwrap().is_empty());
        let (state, _) = Part::<Names>::resume(out.path(), &identity).unwrap();
        assert_eq!(
            state.started_over(),
            None,
            "the state started over is this run's"
        );
    }

    #[test]
    fn a_file_is_written_whole_or_not_at_all() {
        let out = tempfile::tempdir().unwrap();
        let state = RunState::open(out.path(), &Value::Null).unwrap();
        let path = out.path().join("a/b.txt");
        state.write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        // A temporary file a killed run left behind is gone when the run is opened again.
        let left = state.temporary().unwrap().into_temp_path().keep().unwrap();
        RunState::open(out.path(), &Value::Null).unwrap();
        assert!(!left.exists());
    }
}
