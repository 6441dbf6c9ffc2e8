//! Inputs: files (plain or gzip), directory trees, and JSON Lines records.

pub mod jsonl;
pub mod warc;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Largest decompressed size accepted from one gzip file, so a compressed bomb fails cleanly.
const MAX_DECOMPRESSED: u64 = 256 << 20;

/// One input file found on the command line or under a directory given there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path relative to the directory argument it was found under (its file name for a file
    /// argument): what output paths are built from.
    pub relative: PathBuf,
}

/// Read a file's bytes, decompressing gzip (by magic number).
pub fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_error)?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Input(format!("bad gzip data: {e}")))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(Error::Input(format!(
            "gzip data decompresses to more than {} MiB",
            MAX_DECOMPRESSED >> 20
        )));
    }
    Ok(out)
}

/// The files named by `paths`, directories walked recursively, in a stable order (arguments in the
/// order given, each directory sorted by name). Anything under `skip` (the output directory) is left
/// out. Unreadable directory entries come back as errors, in place, so the caller can report them and
/// go on.
pub fn collect_inputs(paths: &[PathBuf], skip: Option<&Path>) -> Vec<Result<InputFile, Error>> {
    let skip = skip.and_then(|s| s.canonicalize().ok());
    let mut found = Vec::new();
    for root in paths {
        if !root.is_dir() {
            let relative = root.file_name().map_or_else(|| root.clone(), PathBuf::from);
            found.push(Ok(InputFile {
                path: root.clone(),
                relative,
            }));
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let canonical = e.path().canonicalize().ok();
                skip.as_ref().is_none_or(|s| canonical.as_ref() != Some(s))
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let relative = e
                        .path()
                        .strip_prefix(root)
                        .unwrap_or(e.path())
                        .to_path_buf();
                    found.push(Ok(InputFile {
                        path: e.path().to_path_buf(),
                        relative,
                    }));
                }
                Ok(_) => {}
                Err(e) => {
                    let path = e.path().map_or_else(|| root.clone(), Path::to_path_buf);
                    found.push(Err(Error::Input(format!("{}: {e}", path.display()))));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_gzip_and_rejects_truncated_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all("正文".repeat(100).as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        let good = dir.path().join("a.txt.gz");
        std::fs::write(&good, &bytes).unwrap();
        assert_eq!(read_input(&good).unwrap(), "正文".repeat(100).into_bytes());
        let bad = dir.path().join("b.txt.gz");
        std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
        let err = read_input(&bad).unwrap_err().to_string();
        assert!(err.contains("gzip"), "{err}");
    }

    #[test]
    fn walks_directories_in_order_and_skips_the_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("in/sub")).unwrap();
        std::fs::create_dir_all(dir.path().join("in/out")).unwrap();
        for f in ["in/b.txt", "in/a.txt", "in/sub/c.html", "in/out/x.txt"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let out = dir.path().join("in/out");
        let found: Vec<PathBuf> = collect_inputs(&[dir.path().join("in")], Some(&out))
            .into_iter()
            .map(|r| r.unwrap().relative)
            .collect();
        assert_eq!(
            found,
            [PathBuf::from("a.txt"), "b.txt".into(), "sub/c.html".into()]
        );
    }
}
