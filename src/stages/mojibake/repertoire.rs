//! Which characters the plain Chinese charsets hold, as their encoders say. Asking encoding_rs's
//! Big5 encoder about every Han character took a third of a process's start-up, so the answers
//! for the Basic Multilingual Plane are derived once into `data/charset/repertoires.bin` (by
//! `sluice-eval`'s `derive_repertoires`) and read in place; characters beyond it are asked of the
//! encoders. A unit test derives the sets again and fails when the image is stale.

use std::sync::OnceLock;

use encoding_rs::{BIG5, Encoding, GB18030, GBK};

use super::lost::Lean;
use crate::text::image::{ImageError, Reader, Writer};

static IMAGE: &[u8] = include_bytes!("../../../data/charset/repertoires.bin");
const MAGIC: &[u8; 4] = b"SLRP";
const VERSION: u32 = 1;
/// One bit per character of the Basic Multilingual Plane.
const SET_BYTES: usize = 0x10000 / 8;

/// A charset whose encoder writes `?` for what it lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repertoire {
    Gb2312,
    Big5,
}

impl Repertoire {
    pub const ALL: [Repertoire; 2] = [Repertoire::Gb2312, Repertoire::Big5];

    /// The script whose own characters the charset lacks.
    pub fn script(self) -> Lean {
        match self {
            Repertoire::Gb2312 => Lean::Traditional,
            Repertoire::Big5 => Lean::Simplified,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Repertoire::Gb2312 => "GB2312",
            Repertoire::Big5 => "Big5",
        }
    }

    /// Whether the charset has `c` (see [`Repertoire::encodes`]).
    pub fn contains(self, c: char) -> bool {
        let set = match self {
            Repertoire::Gb2312 => Set::Gb2312,
            Repertoire::Big5 => Set::Big5,
        };
        sets().contains(set, c).unwrap_or_else(|| self.encodes(c))
    }

    /// Whether the charset has `c`, by its encoder. encoding_rs has neither plain GB2312 nor plain
    /// Big5, so their repertoires are the rows of GBK and of web Big5 that the plain charsets
    /// hold: GB2312's symbol rows A1–A9 and Han rows B0–F7 (trail bytes A1–FE), plain Big5's
    /// symbols A140–A3BF, level 1 A440–C67E and level 2 C940–F9D5 (no ETEN or HKSCS extension).
    fn encodes(self, c: char) -> bool {
        if c.is_ascii() {
            return true;
        }
        let encoding = match self {
            Repertoire::Gb2312 => GBK,
            Repertoire::Big5 => BIG5,
        };
        let Some([lead, trail]) = pair(encoding, c) else {
            return false;
        };
        let code = u16::from_be_bytes([lead, trail]);
        match self {
            Repertoire::Gb2312 => {
                matches!(lead, 0xA1..=0xA9 | 0xB0..=0xF7) && (0xA1..=0xFE).contains(&trail)
            }
            Repertoire::Big5 => {
                matches!(code, 0xA140..=0xA3BF | 0xA440..=0xC67E | 0xC940..=0xF9D5)
            }
        }
    }
}

/// In GB2312 (A1A1–F7FE) or in the first level of Big5 (A440–C67E): a character any Chinese page
/// may hold.
pub fn is_standard(c: char) -> bool {
    sets()
        .contains(Set::Standard, c)
        .unwrap_or_else(|| encodes_standard(c))
}

fn encodes_standard(c: char) -> bool {
    let code = |encoding| pair(encoding, c).map(u16::from_be_bytes);
    code(GB18030)
        .is_some_and(|p| (0xA1A1..=0xF7FE).contains(&p) && (0xA1..=0xFE).contains(&(p & 0xFF)))
        || code(BIG5).is_some_and(|p| (0xA440..=0xC67E).contains(&p))
}

/// The two bytes `encoding` writes for `c`, when it writes two and can encode it.
fn pair(encoding: &'static Encoding, c: char) -> Option<[u8; 2]> {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding.encode(c.encode_utf8(&mut buf));
    match (unmappable, &bytes[..]) {
        (false, &[lead, trail]) => Some([lead, trail]),
        _ => None,
    }
}

/// The sets of the image, in its order.
#[derive(Clone, Copy)]
enum Set {
    Gb2312,
    Big5,
    Standard,
}

const SETS: [Set; 3] = [Set::Gb2312, Set::Big5, Set::Standard];

/// The bit sets of the image, over the Basic Multilingual Plane.
struct Sets {
    bits: [&'static [u8]; 3],
}

impl Sets {
    /// Whether `c` is in `set`; `None` beyond the Basic Multilingual Plane.
    fn contains(&self, set: Set, c: char) -> Option<bool> {
        let cp = c as usize;
        let byte = self.bits[set as usize].get(cp / 8)?;
        Some(byte & (1 << (cp % 8)) != 0)
    }

    fn read(image: &'static [u8]) -> Result<Self, ImageError> {
        let mut r = Reader::new(image);
        if r.bytes()? != MAGIC || r.u32()? != VERSION {
            return Err(ImageError("not a repertoire image of this version"));
        }
        let mut bits: [&'static [u8]; 3] = [&[]; 3];
        for set in &mut bits {
            *set = r.bytes()?;
            if set.len() != SET_BYTES {
                return Err(ImageError("a repertoire of the wrong size"));
            }
        }
        Ok(Sets { bits })
    }
}

/// The bundled sets; when the image cannot be read (a bug the tests catch), every answer comes
/// from the encoders, as before there was an image.
fn sets() -> &'static Sets {
    static SETS_READ: OnceLock<Sets> = OnceLock::new();
    SETS_READ.get_or_init(|| Sets::read(IMAGE).unwrap_or(Sets { bits: [&[]; 3] }))
}

/// The image of the sets, from the encoders.
pub fn derive_image() -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(MAGIC);
    w.u32(VERSION);
    for set in SETS {
        let mut bits = vec![0u8; SET_BYTES];
        for c in (0..0x10000u32).filter_map(char::from_u32) {
            let member = match set {
                Set::Gb2312 => Repertoire::Gb2312.encodes(c),
                Set::Big5 => Repertoire::Big5.encodes(c),
                Set::Standard => encodes_standard(c),
            };
            if member {
                bits[c as usize / 8] |= 1 << (c as usize % 8);
            }
        }
        w.bytes(&bits);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_image_is_what_the_encoders_say() {
        assert!(
            derive_image() == IMAGE,
            "run `cargo run --release -p sluice-eval --bin derive_repertoires`"
        );
        assert!(Sets::read(IMAGE).is_ok());
    }

    #[test]
    fn repertoires_are_the_plain_charsets() {
        assert!(Repertoire::Gb2312.contains('这'));
        assert!(!Repertoire::Gb2312.contains('這'));
        assert!(Repertoire::Big5.contains('這'));
        assert!(!Repertoire::Big5.contains('这'));
        // 麽 is HKSCS, not plain Big5 (which has 麼).
        assert!(!Repertoire::Big5.contains('麽'));
        assert!(Repertoire::Big5.contains('麼'));
        assert!(Repertoire::Gb2312.contains('。') && Repertoire::Big5.contains('。'));
        // Beyond the plane, the encoders answer.
        assert!(!Repertoire::Big5.contains('\u{20000}'));
        assert!(is_standard('国') && is_standard('國') && !is_standard('\u{20000}'));
    }
}
