//! Reading inputs: files (plain, gzip or zstd) and directory trees.

use std::fs::FileType;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, walk_error};

/// Largest document accepted: the decompressed size of a compressed file, of a compressed HTTP body
/// or of a zstd dictionary, and the size of one WARC record. A compressed bomb or a runaway record
/// fails cleanly.
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

/// One input file found on the command line or under a directory given there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path relative to the directory argument it was found under (its file name for a file
    /// argument): what output paths are built from.
    pub relative: PathBuf,
}

/// What was found among the paths given.
#[derive(Debug)]
pub enum Input {
    File(InputFile),
    /// Not read, and why: a FIFO, socket or device met in a tree (reading could block or never
    /// end), or a directory entry that cannot be read.
    Refused {
        path: PathBuf,
        error: Error,
    },
    /// A symbolic link met while walking a tree: not followed, since it may lead out of the tree or
    /// into a loop (links named on the command line are followed).
    SkippedLink(PathBuf),
}

/// Compressions recognised by their magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = 0xFD2F_B528_u32.to_le_bytes();
/// The skippable frame that holds a dictionary at the start of a `.warc.zst` file (IIPC, "Zstandard
/// Compression for WARC Files"). zstd itself skips the other skippable frames.
const ZSTD_DICTIONARY_MAGIC: [u8; 4] = 0x184D_2A5D_u32.to_le_bytes();

impl Compression {
    /// The compression of data that starts with `head` (4 bytes, when the data has them).
    fn sniff(head: &[u8]) -> Option<Self> {
        let skippable_zstd_frame =
            head.len() >= 4 && head[0] & 0xF0 == 0x50 && head[1..4] == [0x2A, 0x4D, 0x18];
        if head.starts_with(GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else if head.starts_with(&ZSTD_MAGIC) || skippable_zstd_frame {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// The data's name in messages.
    fn data(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip data",
            Compression::Zstd => "zstd data",
        }
    }

    /// The decompressed stream: every gzip member, every zstd frame.
    fn decoder<'a>(
        self,
        reader: impl BufRead + Send + 'a,
    ) -> Result<Box<dyn Read + Send + 'a>, Error> {
        let bad = |e: std::io::Error| Error::Input(format!("bad {}: {e}", self.data()));
        Ok(match self {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
            Compression::Zstd => zstd_decoder(reader).map_err(bad)?,
        })
    }
}

/// A zstd stream, with the dictionary of a leading dictionary frame when there is one (stored as is
/// or itself zstd-compressed, as the IIPC convention allows).
fn zstd_decoder<'a>(
    reader: impl BufRead + Send + 'a,
) -> std::io::Result<Box<dyn Read + Send + 'a>> {
    let (head, mut reader) = peek(reader, 8)?;
    let mut dictionary = Vec::new();
    if head.len() == 8 && head[..4] == ZSTD_DICTIONARY_MAGIC {
        let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        if size > MAX_DOCUMENT_BYTES {
            return Err(std::io::Error::other(format!(
                "a dictionary frame of {size} bytes, over the limit of {}",
                limit_in_words(MAX_DOCUMENT_BYTES)
            )));
        }
        std::io::copy(&mut (&mut reader).take(8), &mut std::io::sink())?;
        (&mut reader).take(size).read_to_end(&mut dictionary)?;
        if dictionary.starts_with(&ZSTD_MAGIC) {
            let packed = zstd::stream::read::Decoder::new(dictionary.as_slice())?;
            dictionary = read_at_most(packed, MAX_DOCUMENT_BYTES, "zstd dictionary")
                .map_err(std::io::Error::other)?;
        }
    }
    Ok(Box::new(zstd::stream::read::Decoder::with_dictionary(
        reader,
        &dictionary,
    )?))
}

/// Read a file's bytes, decompressing gzip and zstd (by magic number) up to `MAX_DOCUMENT_BYTES`.
/// FIFOs, sockets and devices are refused unread, and so is a file larger than that on disk (it
/// would be held whole before any later limit could refuse it).
pub fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    let size = refuse_unless_regular(path)?;
    if size > MAX_DOCUMENT_BYTES {
        return Err(Error::Input(format!(
            "not read: a file of {size} bytes, over the limit of {}",
            limit_in_words(MAX_DOCUMENT_BYTES)
        )));
    }
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    match Compression::sniff(&bytes) {
        None => Ok(bytes),
        Some(compression) => {
            let decoder = compression.decoder(bytes.as_slice())?;
            read_at_most(decoder, MAX_DOCUMENT_BYTES, compression.data()).map_err(Error::Input)
        }
    }
}

/// A file as a stream, decompressing gzip and zstd (by magic number) as it is read: for inputs too
/// large to hold (a crawl's `.warc.gz`), so there is no size cap here; the reader of the stream sets
/// its own. FIFOs, sockets and devices are refused unopened.
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>, Error> {
    refuse_unless_regular(path)?;
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    decompressed(BufReader::new(file), path)
}

/// A stream named on a command line: stdin for `-`, else a file or a pipe, decompressed as it is
/// read. Unlike [`open_input`], a FIFO is read: a stream is what it holds (`--jsonl <(zcat …)`).
pub fn open_stream(path: &Path) -> Result<Box<dyn BufRead + Send>, Error> {
    if path == Path::new("-") {
        return decompressed(BufReader::new(std::io::stdin()), path);
    }
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    decompressed(BufReader::new(file), path)
}

/// A stream (`name` in messages) decompressed as it is read when it starts with the magic number of
/// gzip or zstd, as it is otherwise: a pipe or stdin as well as a file.
pub(crate) fn decompressed(
    reader: impl BufRead + Send + 'static,
    name: &Path,
) -> Result<Box<dyn BufRead + Send>, Error> {
    let (head, reader) = peek(reader, ZSTD_MAGIC.len()).map_err(io_error(name))?;
    Ok(match Compression::sniff(&head) {
        None => Box::new(reader),
        Some(compression) => Box::new(BufReader::new(compression.decoder(reader)?)),
    })
}

/// An I/O error about `path`.
fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Fail unless `path` (links followed) is a regular file: a FIFO or a socket would block the reader
/// until another process writes, and a device may never end. Gives the file's size.
fn refuse_unless_regular(path: &Path) -> Result<u64, Error> {
    let metadata = std::fs::metadata(path).map_err(io_error(path))?;
    let file_type = metadata.file_type();
    if file_type.is_file() {
        Ok(metadata.len())
    } else {
        Err(not_regular(file_type))
    }
}

fn not_regular(file_type: FileType) -> Error {
    Error::Input(format!(
        "not read: {}, not a regular file",
        kind_of(file_type)
    ))
}

/// What a file that is not a regular file is, in words.
fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kinds = [
            (file_type.is_fifo(), "a FIFO (named pipe)"),
            (file_type.is_socket(), "a socket"),
            (file_type.is_char_device(), "a character device"),
            (file_type.is_block_device(), "a block device"),
        ];
        if let Some((_, kind)) = kinds.iter().find(|(is, _)| *is) {
            return kind;
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "of an unknown type"
    }
}

/// Everything `reader` gives, failing past `limit` bytes without holding more than that; `what`
/// names the data in messages (`gzip data`).
pub(crate) fn read_at_most(reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("bad {what}: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "{what} decompresses to more than {}",
            limit_in_words(limit)
        ));
    }
    Ok(out)
}

/// `256 MiB`, or `1000 bytes` when that is not a whole number of MiB.
pub(crate) fn limit_in_words(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
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

/// The inputs named by `paths`, directories walked recursively, in a stable order (arguments in the
/// order given, each directory sorted by name). Anything under `skip` (the output directory) is left
/// out. What cannot or must not be read comes back in place, refused, so the caller can report it
/// and go on; so do the links met in a tree, which are not followed.
pub fn collect_inputs(paths: &[PathBuf], skip: Option<&Path>, follow: bool) -> Vec<Input> {
    let skip = skip.and_then(|s| s.canonicalize().ok());
    let mut found = Vec::new();
    for root in paths {
        if !root.is_dir() {
            // A named file is checked when it is opened, like any file read.
            let relative = root.file_name().map_or_else(|| root.clone(), PathBuf::from);
            found.push(Input::File(InputFile {
                path: root.clone(),
                relative,
            }));
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let canonical = e.path().canonicalize().ok();
                skip.as_ref().is_none_or(|s| canonical.as_ref() != Some(s))
            });
        for entry in walker {
            match entry {
                Ok(e) => found.extend(walked(root, &e)),
                Err(e) => {
                    let path = e.path().map_or_else(|| root.clone(), Path::to_path_buf);
                    let error = walk_error(root, e);
                    found.push(Input::Refused { path, error });
                }
            }
        }
    }
    found
}

/// What an entry met while walking `root` is among the inputs (nothing for a directory).
fn walked(root: &Path, entry: &walkdir::DirEntry) -> Option<Input> {
    let path = entry.path().to_path_buf();
    let file_type = entry.file_type();
    if file_type.is_dir() {
        None
    } else if file_type.is_file() {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        Some(Input::File(InputFile { path, relative }))
    } else if file_type.is_symlink() {
        Some(Input::SkippedLink(path))
    } else {
        Some(Input::Refused {
            path,
            error: not_regular(file_type),
        })
    }
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
        let mut zst = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        zst.write_all(text.as_bytes()).unwrap();
        let zstd_file = dir.path().join("a.txt.zst");
        std::fs::write(&zstd_file, zst.finish().unwrap()).unwrap();
        for path in [plain, compressed, zstd_file] {
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
        let found: Vec<PathBuf> = collect_inputs(&[dir.path().join("in")], Some(&out), false)
            .into_iter()
            .map(|input| match input {
                Input::File(file) => file.relative,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            found,
            [PathBuf::from("a.txt"), "b.txt".into(), "sub/c.html".into()]
        );
    }

    fn mkfifo(path: &Path) {
        let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn fifos_are_refused_unopened_and_links_in_trees_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        mkfifo(&dir.path().join("b.txt"));
        std::os::unix::fs::symlink(dir.path().join("a.txt"), dir.path().join("c.txt")).unwrap();
        let found = collect_inputs(&[dir.path().to_path_buf()], None, false);
        assert!(matches!(&found[0], Input::File(f) if f.relative == Path::new("a.txt")));
        let Input::Refused { path, error } = &found[1] else {
            panic!("{found:?}");
        };
        assert!(
            path.ends_with("b.txt") && error.to_string().contains("FIFO"),
            "{error}"
        );
        assert!(matches!(&found[2], Input::SkippedLink(p) if p.ends_with("c.txt")));
        // Named, a FIFO is refused when it would be read: opening it would wait for a writer.
        for error in [
            read_input(&dir.path().join("b.txt")).unwrap_err(),
            open_input(&dir.path().join("b.txt")).err().unwrap(),
        ] {
            assert!(error.to_string().contains("not a regular file"), "{error}");
        }
    }

    #[test]
    fn a_file_larger_than_a_document_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.txt");
        // Sparse: the size is on record, no data is written.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_DOCUMENT_BYTES + 1).unwrap();
        let error = read_input(&path).unwrap_err().to_string();
        assert!(error.contains("over the limit of 256 MiB"), "{error}");
    }

    #[test]
    fn decompression_is_bounded_and_a_zstd_dictionary_frame_is_used() {
        let err = read_at_most(std::io::repeat(b'x'), 1000, "gzip data").unwrap_err();
        assert_eq!(err, "gzip data decompresses to more than 1000 bytes");
        let dictionary = "字典裡的常見片段，".repeat(50);
        let text = format!("{dictionary}正文。");
        let frame = zstd::bulk::Compressor::with_dictionary(3, dictionary.as_bytes())
            .unwrap()
            .compress(text.as_bytes())
            .unwrap();
        let mut file = ZSTD_DICTIONARY_MAGIC.to_vec();
        file.extend_from_slice(&(dictionary.len() as u32).to_le_bytes());
        file.extend_from_slice(dictionary.as_bytes());
        file.extend_from_slice(&frame);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt.zst"), &file).unwrap();
        assert_eq!(
            read_input(&dir.path().join("a.txt.zst")).unwrap(),
            text.as_bytes()
        );
        // Without its dictionary the frame does not decode: the error says so.
        std::fs::write(dir.path().join("b.txt.zst"), &frame).unwrap();
        let err = read_input(&dir.path().join("b.txt.zst"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad zstd data"), "{err}");
    }
}
