//! Inputs: files (plain or gzip), directory trees, and JSON Lines records.

pub mod jsonl;
pub mod warc;

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Largest document accepted: the decompressed size of a gzip file or of a gzip-encoded HTTP body,
/// and the size of one WARC record. A compressed bomb or a runaway record fails cleanly.
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

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
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    if !bytes.starts_with(GZIP_MAGIC) {
        return Ok(bytes);
    }
    gunzip(bytes.as_slice()).map_err(Error::Input)
}

/// An I/O error about `path`.
fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Decompress gzip data (all members) of at most `MAX_DOCUMENT_BYTES`.
pub(crate) fn gunzip(compressed: impl Read) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(compressed)
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("bad gzip data: {e}"))?;
    if out.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "gzip data decompresses to more than {} MiB",
            MAX_DOCUMENT_BYTES >> 20
        ));
    }
    Ok(out)
}

/// A file as a stream, decompressing gzip (by magic number) as it is read: for inputs too large to
/// hold (a crawl's `.warc.gz`), so there is no size cap here; the reader of the stream sets its own.
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>, Error> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let (head, reader) = peek(BufReader::new(file), GZIP_MAGIC.len()).map_err(io_error(path))?;
    Ok(if head == GZIP_MAGIC {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    })
}

/// The first `n` bytes of a stream (fewer at its end), and the whole stream with them put back.
pub(crate) fn peek<R: BufRead>(
    mut reader: R,
    n: usize,
) -> std::io::Result<(Vec<u8>, impl BufRead)> {
    let mut head = Vec::with_capacity(n);
    (&mut reader).take(n as u64).read_to_end(&mut head)?;
    Ok((head.clone(), Cursor::new(head).chain(reader)))
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
    fn opens_plain_and_gzip_files_as_streams() {
        let dir = tempfile::tempdir().unwrap();
        let text = "正文".repeat(10_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let (plain, compressed) = (dir.path().join("a.txt"), dir.path().join("a.txt.gz"));
        std::fs::write(&plain, &text).unwrap();
        std::fs::write(&compressed, gz.finish().unwrap()).unwrap();
        for path in [plain, compressed] {
            let mut read = String::new();
            open_input(&path)
                .unwrap()
                .read_to_string(&mut read)
                .unwrap();
            assert_eq!(read, text, "{}", path.display());
        }
        let (head, mut rest) = peek(&b"W"[..], 5).unwrap();
        let mut all = Vec::new();
        rest.read_to_end(&mut all).unwrap();
        assert_eq!((head, all), (b"W".to_vec(), b"W".to_vec()));
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
