//! The files of a rule set: the embedded default tree, read in place, and their digest.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use xxhash_rust::xxh3::xxh3_128;

static DEFAULT_RULES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// The word model's path in a rule set. The language models are derived files kept under
/// `data/lm/` beside their sources and embedded in the default tree under these paths (see
/// [`crate::rules::Resources`]).
pub const WORD_MODEL: &str = "lm/word_model.bin";
/// The character n-gram model's path in a rule set.
pub const NGRAM_MODEL: &str = "lm/char_ngrams.bin";

/// An embedded model: its path, its bytes and their digest (XXH3-128), recorded so that a process
/// does not read megabytes to name its rule set (the test `the_recorded_digests_are_the_models`
/// fails while one is stale, and prints the new one).
struct Model {
    path: &'static str,
    bytes: &'static [u8],
    digest: u128,
}

static EMBEDDED_MODELS: [Model; 2] = [
    Model {
        path: WORD_MODEL,
        bytes: include_bytes!("../../data/lm/word_model.bin"),
        digest: 0x03ca033ced72b6cc032444d05b97c458,
    },
    Model {
        path: NGRAM_MODEL,
        bytes: include_bytes!("../../data/lm/char_ngrams.bin"),
        digest: 0xa5a16e635b90f2b0cb55bdb0e7585356,
    },
];

/// The contents of one file of a rule set: the embedded copy, read in place (the language models
/// are megabytes that a process reads only where it looks), or a file read from a directory,
/// shared by every model built from it.
#[derive(Debug, Clone)]
pub enum Bytes {
    /// A file of the embedded default tree.
    Embedded(&'static [u8]),
    /// A file read at run time.
    Read(Arc<[u8]>),
}

impl Bytes {
    /// Whether these are the bytes of the embedded file `embedded`: at once when they are the
    /// embedded copy itself, else by comparing them.
    pub fn same_as(&self, embedded: &'static [u8]) -> bool {
        match self {
            Bytes::Embedded(bytes) => std::ptr::eq(*bytes, embedded) || *bytes == embedded,
            Bytes::Read(bytes) => **bytes == *embedded,
        }
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Embedded(bytes) => bytes,
            Bytes::Read(bytes) => bytes,
        }
    }
}

/// The embedded file at `path` (relative to the rule tree), if the default tree has it.
pub fn embedded(path: &str) -> Option<&'static [u8]> {
    EMBEDDED_MODELS
        .iter()
        .find(|m| m.path == path)
        .map(|m| m.bytes)
        .or_else(|| DEFAULT_RULES.get_file(path).map(|f| f.contents()))
}

/// Every file of the default tree, by path relative to it.
pub fn embedded_files() -> BTreeMap<String, Bytes> {
    let mut files = BTreeMap::new();
    collect(&DEFAULT_RULES, &mut files);
    for model in &EMBEDDED_MODELS {
        files.insert(model.path.to_string(), Bytes::Embedded(model.bytes));
    }
    files
}

fn collect(dir: &Dir<'static>, files: &mut BTreeMap<String, Bytes>) {
    for file in dir.files() {
        files.insert(
            file.path().to_string_lossy().replace('\\', "/"),
            Bytes::Embedded(file.contents()),
        );
    }
    for sub in dir.dirs() {
        collect(sub, files);
    }
}

/// The digest of a rule set's files: of each path with the digest of its contents (an embedded
/// model's recorded one).
pub fn digest_set(files: &BTreeMap<String, Bytes>) -> u128 {
    let digests: Vec<(&str, [u8; 16])> = files
        .iter()
        .map(|(path, bytes)| {
            let recorded = EMBEDDED_MODELS
                .iter()
                .find(|m| matches!(bytes, Bytes::Embedded(b) if std::ptr::eq(*b, m.bytes)));
            let digest = recorded.map_or_else(|| xxh3_128(bytes), |m| m.digest);
            (path.as_str(), digest.to_le_bytes())
        })
        .collect();
    digest(digests.iter().map(|(path, d)| (*path, d.as_slice())))
}

/// One digest (XXH3-128) of `(path, contents)` pairs, in the order given: each part
/// length-prefixed, so no two sets of files run together into the same bytes.
pub fn digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for (path, bytes) in files {
        for part in [path.as_bytes(), bytes] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    hasher.digest128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_digests_are_the_models() {
        let stale: Vec<String> = EMBEDDED_MODELS
            .iter()
            .filter(|m| xxh3_128(m.bytes) != m.digest)
            .map(|m| format!("{}: 0x{:032x}", m.path, xxh3_128(m.bytes)))
            .collect();
        assert!(stale.is_empty(), "record in src/rules/files.rs: {stale:?}");
    }

    #[test]
    fn a_models_digest_is_that_of_its_contents() {
        let embedded = embedded_files();
        let read: BTreeMap<String, Bytes> = embedded
            .iter()
            .map(|(path, bytes)| (path.clone(), Bytes::Read(bytes.to_vec().into())))
            .collect();
        assert_eq!(digest_set(&embedded), digest_set(&read));
    }
}
