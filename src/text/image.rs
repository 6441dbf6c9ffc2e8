//! Derived tables stored as bytes and read back without parsing their sources: the writer and
//! reader of the images that `sluice-eval`'s derivation binaries write into `data/` (the script
//! stage's conversion tables, the charset repertoires). Numbers are little-endian; every sequence
//! is preceded by its length, so a reader never guesses where a table ends.
//!
//! An image records the digest of the files it was derived from ([`digest_of`]): a rule set whose
//! files have another digest builds its tables from its files instead.

use crate::error::RuleError;
use crate::rules::RuleSet;

/// Why an image cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("derived image: {0}")]
pub struct ImageError(pub &'static str);

impl From<ImageError> for RuleError {
    fn from(e: ImageError) -> Self {
        RuleError::new("derived image", 0, e.to_string())
    }
}

/// What an image derived from data files is: four bytes naming its kind and the version of its
/// layout, which it starts with, followed by the digest of the files it was derived from
/// ([`digest_of`]).
pub struct Kind {
    pub magic: &'static [u8; 4],
    pub version: u32,
}

impl Kind {
    /// A writer of an image of this kind, derived from files of this `digest`.
    pub fn writer(&self, digest: u128) -> Writer {
        let mut w = Writer::default();
        w.bytes(self.magic);
        w.u32(self.version);
        w.u128(digest);
        w
    }

    /// The digest of the files the image was derived from, read from its start: `None` when the
    /// image is not of this kind and layout.
    pub fn digest(&self, r: &mut Reader) -> Option<u128> {
        let (magic, version, digest) = (r.bytes().ok()?, r.u32().ok()?, r.u128().ok()?);
        (magic == self.magic.as_slice() && version == self.version).then_some(digest)
    }
}

/// Appends the parts of an image.
#[derive(Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    pub fn u32(&mut self, value: u32) {
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    pub fn u64(&mut self, value: u64) {
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    pub fn u128(&mut self, value: u128) {
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    /// A length: every table here is far below 4 GiB.
    pub fn len(&mut self, len: usize) {
        self.u32(u32::try_from(len).unwrap_or(u32::MAX));
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.out.extend_from_slice(bytes);
    }

    pub fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    pub fn u32s(&mut self, values: &[u32]) {
        self.len(values.len());
        for &v in values {
            self.u32(v);
        }
    }

    pub fn chars(&mut self, chars: &[char]) {
        self.len(chars.len());
        for &c in chars {
            self.u32(c.into());
        }
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// Reads the parts of an image in the order they were written.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

const TRUNCATED: ImageError = ImageError("truncated");

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        if n > self.bytes.len() {
            return Err(TRUNCATED);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ImageError> {
        self.take(N)?.try_into().map_err(|_| TRUNCATED)
    }

    pub fn u32(&mut self) -> Result<u32, ImageError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, ImageError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub fn u128(&mut self) -> Result<u128, ImageError> {
        Ok(u128::from_le_bytes(self.array()?))
    }

    pub fn len(&mut self) -> Result<usize, ImageError> {
        Ok(self.u32()? as usize)
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], ImageError> {
        let len = self.len()?;
        self.take(len)
    }

    pub fn str(&mut self) -> Result<&'a str, ImageError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| ImageError("a string is not UTF-8"))
    }

    pub fn u32s(&mut self) -> Result<Vec<u32>, ImageError> {
        let len = self.len()?;
        let bytes = self.take(len.checked_mul(4).ok_or(TRUNCATED)?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    pub fn char(&mut self) -> Result<char, ImageError> {
        char::from_u32(self.u32()?).ok_or(ImageError("not a character"))
    }

    pub fn chars(&mut self) -> Result<Vec<char>, ImageError> {
        self.u32s()?
            .into_iter()
            .map(|u| char::from_u32(u).ok_or(ImageError("not a character")))
            .collect()
    }

    /// The bytes not read yet: a bound on how many entries a table can still have, so a damaged
    /// length does not reserve gigabytes.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Whether every byte has been read.
    pub fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// The digest (XXH3-128) of data files of a rule set, by path and contents in the order given:
/// what an image derived from them records.
pub fn digest_of<'a>(
    rules: &RuleSet,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<u128, RuleError> {
    let files = paths
        .into_iter()
        .map(|path| Ok((path, rules.data(path)?)))
        .collect::<Result<Vec<_>, RuleError>>()?;
    Ok(crate::rules::files::digest(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_parts_read_back_in_order() {
        let mut w = Writer::default();
        w.u32(7);
        w.str("關係");
        w.chars(&['于', '於']);
        w.u32s(&[1, 2, 3]);
        w.u128(u128::MAX - 1);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(r.str().unwrap(), "關係");
        assert_eq!(r.chars().unwrap(), ['于', '於']);
        assert_eq!(r.u32s().unwrap(), [1, 2, 3]);
        assert_eq!(r.u128().unwrap(), u128::MAX - 1);
        assert!(r.is_done());
    }

    #[test]
    fn a_truncated_image_is_an_error_not_a_panic() {
        let mut w = Writer::default();
        w.u32s(&[1, 2, 3]);
        let bytes = w.finish();
        assert!(Reader::new(&bytes[..9]).u32s().is_err());
        assert!(Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF]).bytes().is_err());
        assert!(Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF]).char().is_err());
    }

    #[test]
    fn an_image_of_another_kind_or_layout_has_no_digest() {
        let kind = Kind {
            magic: b"TEST",
            version: 2,
        };
        let image = kind.writer(7).finish();
        assert_eq!(kind.digest(&mut Reader::new(&image)), Some(7));
        for other in [(b"TEST", 3), (b"ELSE", 2)] {
            let other = Kind {
                magic: other.0,
                version: other.1,
            };
            assert_eq!(other.digest(&mut Reader::new(&image)), None);
        }
        assert_eq!(kind.digest(&mut Reader::new(&image[..9])), None);
    }
}
