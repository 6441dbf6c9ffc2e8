//! MinHash signatures: character 5-gram shingles of the folded text, one-permutation hashing with
//! densification, and the LSH band keys of a signature.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::text::fold::Folder;

/// Characters per shingle. Fixed rather than a setting: signatures stored by one run must stay
/// comparable with those of the next.
pub const SHINGLE_CHARS: usize = 5;

/// MinHash slots per signature: LSH bands use the first `bands × rows` of them, verification all
/// of them (the estimate of a Jaccard similarity of 0.6 has a standard error of 0.03).
pub const SLOTS: usize = 256;

/// The hash of one shingle (a window of at most `SHINGLE_CHARS` characters), stable across
/// machines: xxh3 of the code points packed 21 bits each into a little-endian `u128`, with the
/// window length in the top byte.
pub fn shingle_hash(window: &[char]) -> u64 {
    let packed = window
        .iter()
        .take(SHINGLE_CHARS)
        .fold(0u128, |key, &c| (key << 21) | u128::from(u32::from(c)));
    xxh3_64(&(packed | ((window.len() as u128) << 120)).to_le_bytes())
}

/// The characters that shingles are made of: the folded text without white space, so that line
/// breaks and spacing do not change a fingerprint.
pub fn shingle_chars(text: &str, folder: &Folder) -> Vec<char> {
    let mut chars = Vec::with_capacity(text.len() / 2);
    folder.fold_each(text, |c| {
        if !c.is_whitespace() {
            chars.push(c);
        }
    });
    chars
}

/// Hashes of all character shingles of `chars`; a text shorter than one shingle is one shingle.
pub fn shingles(chars: &[char]) -> impl Iterator<Item = u64> + '_ {
    let width = SHINGLE_CHARS.min(chars.len());
    let count = if chars.is_empty() {
        0
    } else {
        chars.len() - width + 1
    };
    (0..count).map(move |i| shingle_hash(&chars[i..i + width]))
}

/// A one-permutation MinHash signature (with densification) of a document's folded text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    /// `SLOTS` minimum values, or empty for a document without text.
    pub(super) slots: Vec<u32>,
}

/// Marks a slot no shingle fell into, before densification.
const EMPTY_SLOT: u64 = u64::MAX;

impl Signature {
    /// The signature of a document without text, which is never a duplicate.
    pub fn empty() -> Signature {
        Signature { slots: Vec::new() }
    }

    /// The signature of `text` (after its cleaning stages), fingerprinted on the folded view.
    pub fn of(text: &str, folder: &Folder) -> Signature {
        Self::of_shingles(shingles(&shingle_chars(text, folder)))
    }

    /// One-permutation hashing: each shingle hash picks a slot with its high bits and competes for
    /// that slot's minimum with its low 32 bits; one hash per shingle instead of one per slot.
    fn of_shingles(hashes: impl Iterator<Item = u64>) -> Signature {
        let mut mins = [EMPTY_SLOT; SLOTS];
        let mut any = false;
        for h in hashes {
            let slot = ((h >> 32) as usize * SLOTS) >> 32;
            let value = u64::from(h as u32);
            if value < mins[slot] {
                mins[slot] = value;
            }
            any = true;
        }
        if !any {
            return Signature::empty();
        }
        Signature {
            slots: densify(&mins),
        }
    }

    /// True for a document without any text: it is never a duplicate. A stored signature of the
    /// wrong size (from another version) counts as empty rather than failing.
    pub fn is_empty(&self) -> bool {
        self.slots.len() != SLOTS
    }

    /// The estimated Jaccard similarity of the two documents' shingle sets (0 when either is empty).
    pub fn similarity(&self, other: &Signature) -> f64 {
        if self.is_empty() || other.is_empty() {
            return 0.0;
        }
        let equal = self
            .slots
            .iter()
            .zip(&other.slots)
            .filter(|(a, b)| a == b)
            .count();
        equal as f64 / SLOTS as f64
    }

    /// The LSH key of band `band` of `rows` slots (the band index is the seed, so that equal values
    /// in different bands do not collide). Values go through a small buffer 16 at a time, chaining
    /// the seed, so any `rows` works without allocating.
    pub(super) fn band_key(&self, band: usize, rows: usize) -> u64 {
        let mut key = band as u64;
        for chunk in self.slots[band * rows..(band + 1) * rows].chunks(16) {
            let mut buf = [0u8; 64];
            for (i, v) in chunk.iter().enumerate() {
                buf[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
            }
            key = xxh3_64_with_seed(&buf[..4 * chunk.len()], key);
        }
        key
    }
}

/// Fill empty slots by borrowing from a non-empty slot chosen by a hash of (slot, attempt), the
/// "optimal densification" of Shrivastava (2017): two documents probe the same sequence, so a filled
/// slot still agrees with probability equal to their Jaccard similarity.
fn densify(mins: &[u64; SLOTS]) -> Vec<u32> {
    (0..SLOTS)
        .map(|slot| {
            let mut attempt = 0u64;
            let mut source = slot;
            while mins[source] == EMPTY_SLOT {
                let probe = xxh3_64_with_seed(&(slot as u64).to_le_bytes(), attempt);
                source = (probe % SLOTS as u64) as usize;
                attempt += 1;
            }
            mins[source] as u32
        })
        .collect()
}
