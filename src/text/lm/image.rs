//! The word model's tables as one byte image, read in place: parsing the jieba dictionary into hash
//! maps took most of a process's start-up, so `sluice-eval`'s `derive_lm_image` derives the tables
//! once (`data/lm/word_model.bin`) and a process only checks the header.
//!
//! Layout (little-endian): `SLLM`, version, the longest word in characters, the out-of-vocabulary
//! log-probability (f32 bits), the total unigram count (f64 bits); then three tables — words to
//! log-probabilities, characters to log-probabilities, character unigrams and bigrams to counts —
//! each `capacity`, `pool length`, one tag byte per slot (0 empty, else `0x80` and the top seven
//! bits of the key's hash), two u32 per slot (the key's offset in the pool, the value's bits), and
//! the pool: each key as a u16 length and its UTF-8 bytes. Linear probing from the hash's low bits.

use crate::rules::files::Bytes;

/// Why an image cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("word model image: {0}")]
pub struct ImageError(&'static str);

const MAGIC: &[u8; 4] = b"SLLM";
const VERSION: u32 = 1;
/// Bytes before the first table: magic, version, longest word, oov, total.
const HEADER_BYTES: usize = 24;

/// The scalars of the word model, stored in the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalars {
    pub max_word_chars: usize,
    pub oov: f32,
    pub unigram_total: f64,
}

/// The tables of a word model, as the derivation gives them.
pub struct Tables<'a> {
    pub words: Vec<(&'a str, f32)>,
    pub chars: Vec<(char, f32)>,
    pub counts: Vec<(&'a str, u32)>,
}

/// A read-only image over its bytes.
pub struct Image {
    pub scalars: Scalars,
    pub words: StrTable,
    pub chars: StrTable,
    pub counts: StrTable,
}

/// One hash table of an image: string keys to 32-bit values.
pub struct StrTable {
    bytes: Bytes,
    mask: usize,
    tags_at: usize,
    slots_at: usize,
    pool_at: usize,
}

impl Image {
    /// The image in `bytes`; checks the header and that every table fits.
    pub fn read(bytes: Bytes) -> Result<Self, ImageError> {
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(ImageError("not an SLLM file"));
        }
        let truncated = || ImageError("truncated");
        let word = |at: usize| read_u32(&bytes, at).ok_or_else(truncated);
        if word(4)? != VERSION {
            return Err(ImageError("unknown version"));
        }
        let scalars = Scalars {
            max_word_chars: word(8)? as usize,
            oov: f32::from_bits(word(12)?),
            unigram_total: f64::from_bits(u64::from(word(16)?) | (u64::from(word(20)?) << 32)),
        };
        let (words, at) = StrTable::read(&bytes, HEADER_BYTES).ok_or_else(truncated)?;
        let (chars, at) = StrTable::read(&bytes, at).ok_or_else(truncated)?;
        let (counts, _) = StrTable::read(&bytes, at).ok_or_else(truncated)?;
        Ok(Image {
            scalars,
            words,
            chars,
            counts,
        })
    }
}

impl StrTable {
    /// The table starting at byte `at`, and where the next one starts.
    fn read(bytes: &Bytes, at: usize) -> Option<(Self, usize)> {
        let capacity = read_u32(bytes, at)? as usize;
        let pool_len = read_u32(bytes, at + 4)? as usize;
        if !capacity.is_power_of_two() {
            return None;
        }
        let tags_at = at + 8;
        let slots_at = align4(tags_at + capacity);
        let pool_at = slots_at + 8 * capacity;
        let end = align4(pool_at + pool_len);
        (end <= bytes.len()).then_some((
            StrTable {
                bytes: bytes.clone(),
                mask: capacity - 1,
                tags_at,
                slots_at,
                pool_at,
            },
            end,
        ))
    }

    /// The value of `key`, if the table has it.
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        let bytes: &[u8] = &self.bytes;
        let hash = fnv1a(key);
        let tag = tag_of(hash);
        let mut slot = hash as usize & self.mask;
        // At most one round: a damaged image with no empty slot ends the search, not the process.
        for _ in 0..=self.mask {
            match *bytes.get(self.tags_at + slot)? {
                0 => return None,
                t if t == tag && self.key(bytes, slot)? == key => {
                    return read_u32(bytes, self.slots_at + 8 * slot + 4);
                }
                _ => slot = (slot + 1) & self.mask,
            }
        }
        None
    }

    fn key<'a>(&self, bytes: &'a [u8], slot: usize) -> Option<&'a [u8]> {
        let at = self.pool_at + read_u32(bytes, self.slots_at + 8 * slot)? as usize;
        let len = usize::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
        bytes.get(at + 2..at + 2 + len)
    }
}

/// The image of `tables` with `scalars`: keys placed in sorted order, so the bytes depend on the
/// tables only.
pub fn write(scalars: Scalars, tables: &Tables) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    for word in [
        VERSION,
        scalars.max_word_chars as u32,
        scalars.oov.to_bits(),
        scalars.unigram_total.to_bits() as u32,
        (scalars.unigram_total.to_bits() >> 32) as u32,
    ] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    let words: Vec<(Vec<u8>, u32)> = tables
        .words
        .iter()
        .map(|(w, lp)| (w.as_bytes().to_vec(), lp.to_bits()))
        .collect();
    let chars: Vec<(Vec<u8>, u32)> = tables
        .chars
        .iter()
        .map(|(c, lp)| (c.to_string().into_bytes(), lp.to_bits()))
        .collect();
    let counts: Vec<(Vec<u8>, u32)> = tables
        .counts
        .iter()
        .map(|(k, n)| (k.as_bytes().to_vec(), *n))
        .collect();
    for mut entries in [words, chars, counts] {
        entries.sort();
        write_table(&mut out, &entries);
    }
    out
}

/// One table, at most half full so that a miss ends after a probe or two.
fn write_table(out: &mut Vec<u8>, entries: &[(Vec<u8>, u32)]) {
    let capacity = (2 * entries.len()).next_power_of_two().max(1);
    let mask = capacity - 1;
    let mut tags = vec![0u8; capacity];
    let mut slots = vec![(0u32, 0u32); capacity];
    let mut pool = Vec::new();
    for (key, value) in entries {
        let hash = fnv1a(key);
        let mut slot = hash as usize & mask;
        while tags[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        tags[slot] = tag_of(hash);
        slots[slot] = (pool.len() as u32, *value);
        // Keys are dictionary words: far below 64 KiB.
        pool.extend_from_slice(&(key.len() as u16).to_le_bytes());
        pool.extend_from_slice(key);
    }
    out.extend_from_slice(&(capacity as u32).to_le_bytes());
    out.extend_from_slice(&(pool.len() as u32).to_le_bytes());
    out.extend_from_slice(&tags);
    out.resize(align4(out.len()), 0);
    for (key_at, value) in slots {
        out.extend_from_slice(&key_at.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&pool);
    out.resize(align4(out.len()), 0);
}

/// FNV-1a (64-bit): fixed across machines and versions, which a stored table needs.
fn fnv1a(key: &[u8]) -> u64 {
    key.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn tag_of(hash: u64) -> u8 {
    0x80 | (hash >> 57) as u8
}

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// The little-endian `u32` at byte `at`, if the bytes reach that far.
pub(super) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_tables_read_back() {
        let scalars = Scalars {
            max_word_chars: 4,
            oov: -20.5,
            unigram_total: 1e12 + 0.5,
        };
        let tables = Tables {
            words: vec![("注重", -9.0), ("人", -5.25), ("#", -1.0)],
            chars: vec![('注', -7.0)],
            counts: vec![("a", 3), ("3月", 7)],
        };
        let image = Image::read(Bytes::Read(write(scalars, &tables).into())).unwrap();
        assert_eq!(image.scalars, scalars);
        let word = |w: &str| image.words.get(w.as_bytes()).map(f32::from_bits);
        assert_eq!(word("注重"), Some(-9.0));
        assert_eq!(word("#"), Some(-1.0));
        assert_eq!(word("注"), None);
        assert_eq!(image.chars.get("注".as_bytes()), Some((-7.0f32).to_bits()));
        assert_eq!(image.counts.get("3月".as_bytes()), Some(7));
        assert_eq!(image.counts.get(b""), None);
    }

    #[test]
    fn a_damaged_image_is_an_error_not_a_panic() {
        assert!(Image::read(Bytes::Embedded(b"SLLM")).is_err());
        assert!(Image::read(Bytes::Embedded(b"NOPE\x01\0\0\0")).is_err());
        let mut bytes = write(
            Scalars {
                max_word_chars: 1,
                oov: 0.0,
                unigram_total: 0.0,
            },
            &Tables {
                words: vec![("a", 1.0)],
                chars: Vec::new(),
                counts: Vec::new(),
            },
        );
        bytes.truncate(bytes.len() - 1);
        assert!(Image::read(Bytes::Read(bytes.into())).is_err());
    }
}
