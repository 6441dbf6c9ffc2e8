//! The output tree of `clean -o`: where each document's text and report go, so that no two outputs
//! share a name, none takes the run summary's, and none replaces an input.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::input::InputFile;
use crate::error::Error;

/// The run summary's stem. Every output is `<stem>.txt` with its report `<stem>.json`, so reserving
/// the stem makes a collision with the summary `summary.json` a collision like any other: an input
/// that maps to it (`summary.html`) is renamed.
const SUMMARY_STEM: &str = "summary";

/// The summary's path in the output tree.
pub(crate) fn summary_path() -> PathBuf {
    report_path(Path::new(SUMMARY_STEM))
}

/// The text output of a stem.
pub(crate) fn text_path(stem: &Path) -> PathBuf {
    suffixed(stem, ".txt")
}

/// The report of a stem.
pub(crate) fn report_path(stem: &Path) -> PathBuf {
    suffixed(stem, ".json")
}

fn suffixed(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// What a file is, whatever path names it: a `.`, a symbolic link, a hard link.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn identity(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<FileId> {
    path.canonicalize().ok()
}

/// The identities of a run's inputs.
#[derive(Default, Clone)]
pub(crate) struct InputIds(HashSet<FileId>);

impl InputIds {
    pub(crate) fn add(&mut self, path: &Path) {
        self.0.extend(identity(path));
    }

    /// Whether `path` is one of the inputs.
    pub(crate) fn contains(&self, path: &Path) -> bool {
        identity(path).is_some_and(|id| self.0.contains(&id))
    }
}

/// Output names, assigned in input order: the relative path with a compression extension (`.gz`,
/// `.zst`) and then its extension dropped. A stem already taken gets `~2`, `~3`…, and the renaming
/// is kept for the summary.
pub(crate) struct OutputTree {
    out: PathBuf,
    inputs: InputIds,
    taken: HashSet<PathBuf>,
    renamed: Vec<(String, PathBuf)>,
}

impl OutputTree {
    pub(crate) fn new(out: &Path, inputs: InputIds) -> Self {
        OutputTree {
            out: out.to_path_buf(),
            inputs,
            taken: HashSet::from([PathBuf::from(SUMMARY_STEM)]),
            renamed: Vec::new(),
        }
    }

    /// The stem of the outputs of the next input in order (`name` is how messages name it), or an
    /// error when one of them would replace an input.
    pub(crate) fn place(&mut self, name: &str, relative: &Path) -> Result<PathBuf, Error> {
        let mut base = relative.to_path_buf();
        if base.extension().is_some_and(|e| e == "gz" || e == "zst") {
            base.set_extension("");
        }
        let wanted = base.with_extension("");
        let mut stem = wanted.clone();
        let mut n = 1;
        while !self.taken.insert(stem.clone()) {
            n += 1;
            let file_name = wanted.file_name().unwrap_or_default().to_string_lossy();
            stem = wanted.with_file_name(format!("{file_name}~{n}"));
        }
        if n > 1 {
            self.renamed.push((name.to_string(), text_path(&stem)));
        }
        for output in [text_path(&stem), report_path(&stem)] {
            self.refuse_input(&output)?;
        }
        Ok(stem)
    }

    /// An error when writing `output` (a path in the tree) would replace an input.
    fn refuse_input(&self, output: &Path) -> Result<(), Error> {
        let path = self.out.join(output);
        if self.inputs.contains(&path) {
            return Err(Error::Input(format!(
                "not written: its output {} is an input",
                path.display()
            )));
        }
        Ok(())
    }

    /// The inputs whose stem was taken, with their output text.
    pub(crate) fn renamed(&self) -> &[(String, PathBuf)] {
        &self.renamed
    }
}

/// Refuse, before anything is written, a run that would write over one of its inputs: when a
/// directory argument is the output directory, or the summary or an output of a file would replace
/// an input. `files` are the inputs in order, WARC files left out (their records are named as they
/// are read, and each is checked then).
pub(crate) fn refuse_overwrites<'f>(
    out: &Path,
    inputs: &InputIds,
    directories: &[PathBuf],
    files: impl Iterator<Item = &'f InputFile>,
) -> Result<(), Error> {
    for dir in directories {
        if identity(dir).is_some() && identity(dir) == identity(out) {
            return Err(Error::Input(format!(
                "{} is both an input directory and the output directory: its outputs would land \
                 among its inputs and be cleaned again in the next run, so nothing is done; give \
                 another output directory (one inside the input directory, such as {}, is skipped \
                 when the inputs are walked)",
                dir.display(),
                dir.join("out").display()
            )));
        }
    }
    let mut tree = OutputTree::new(out, inputs.clone());
    let mut clashes: Vec<String> = tree
        .refuse_input(&summary_path())
        .err()
        .into_iter()
        .map(|e| format!("the summary: {e}"))
        .collect();
    for file in files {
        let name = file.path.display().to_string();
        if let Err(e) = tree.place(&name, &file.relative) {
            clashes.push(format!("{name}: {e}"));
        }
    }
    if clashes.is_empty() {
        return Ok(());
    }
    const LISTED: usize = 3;
    let more = match clashes.len().saturating_sub(LISTED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    clashes.truncate(LISTED);
    Err(Error::Input(format!(
        "nothing was written, because outputs in {} would replace inputs ({}{more}); give an \
         output directory that holds no input",
        out.display(),
        clashes.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_compression_and_extension_and_collisions_are_numbered() {
        let mut tree = OutputTree::new(Path::new("/nonexistent"), InputIds::default());
        let stems: Vec<PathBuf> = [
            "a.html",
            "a.txt.gz",
            "b/c.d.html",
            "summary.htm",
            "x.zst",
            "a~2.txt",
        ]
        .iter()
        .map(|relative| tree.place(relative, Path::new(relative)).unwrap())
        .collect();
        assert_eq!(
            stems,
            ["a", "a~2", "b/c.d", "summary~2", "x", "a~2~2"].map(PathBuf::from)
        );
        assert_eq!(text_path(&stems[2]), Path::new("b/c.d.txt"));
        assert_eq!(report_path(&stems[2]), Path::new("b/c.d.json"));
        assert_eq!(summary_path(), Path::new("summary.json"));
        let renamed: Vec<&str> = tree
            .renamed()
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(renamed, ["a.txt.gz", "summary.htm", "a~2.txt"]);
    }

    #[test]
    fn an_output_that_is_an_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = InputFile {
            path: dir.path().join("a.txt"),
            relative: "a.txt".into(),
        };
        std::fs::write(&input.path, "x").unwrap();
        let mut inputs = InputIds::default();
        inputs.add(&input.path);
        let err = refuse_overwrites(dir.path(), &inputs, &[], [&input].into_iter())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.txt is an input"), "{err}");
        let err = refuse_overwrites(
            dir.path(),
            &inputs,
            &[dir.path().to_path_buf()],
            std::iter::empty(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("both an input directory and the output directory"),
            "{err}"
        );
        let elsewhere = dir.path().join("out");
        assert!(
            refuse_overwrites(
                &elsewhere,
                &inputs,
                &[dir.path().to_path_buf()],
                [&input].into_iter()
            )
            .is_ok()
        );
    }
}
