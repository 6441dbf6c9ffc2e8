//! UTF-16 and UTF-32: byte-order marks, recognising them without one, and a UTF-32 decoder
//! (encoding_rs has none: the Encoding Standard leaves UTF-32 out of the web).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

use super::charset::{Charset, Endian, Sink};
use super::score::{READS_WELL, chinese_score};

/// Bytes of a document the recognition of a wide encoding reads: enough units for the shares it
/// counts, and a bound on its cost.
const SAMPLE_BYTES: usize = 64 << 10;

/// The charset a byte-order mark names, and the mark's length. UTF-32LE's mark begins with
/// UTF-16LE's, so it is tried first (a UTF-16LE text that starts with U+0000 is not text).
pub fn bom(bytes: &[u8]) -> Option<(Charset, usize)> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) && bytes.len().is_multiple_of(4) {
        return Some((Charset::Utf32(Endian::Little), 4));
    }
    if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Some((Charset::Utf32(Endian::Big), 4));
    }
    let (encoding, len) = Encoding::for_bom(bytes)?;
    Some((Charset::Whatwg(encoding), len))
}

/// A wide encoding recognised without a byte-order mark, and what showed it.
pub struct WideGuess {
    pub charset: Charset,
    pub evidence: String,
}

/// UTF-32 or UTF-16 without a byte-order mark, told by the shape of its code units in the first
/// [`SAMPLE_BYTES`]: every unit valid, no U+0000, hardly any control characters, and either
/// (ASCII-heavy text) most units ASCII, which is the NUL byte every second or fourth byte, or
/// (CJK text, which has no NUL bytes) most units CJK and the text reading as Chinese. Binary
/// files fail on U+0000 units, unpaired surrogates or control characters; ASCII and UTF-8 text
/// is never read this way (pairs of ASCII letters are CJK code points in UTF-16).
pub fn detect_without_bom(bytes: &[u8]) -> Option<WideGuess> {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if !sample.contains(&0) && reads_as_utf8(sample) {
        return None;
    }
    let candidates = [
        Charset::Utf32(Endian::Little),
        Charset::Utf32(Endian::Big),
        Charset::Whatwg(UTF_16LE),
        Charset::Whatwg(UTF_16BE),
    ];
    // A cut last unit (a truncated file) does not rule a candidate out: it decodes as malformed.
    candidates.into_iter().find_map(|charset| {
        let width = charset.unit_width()?;
        let sample = &sample[..sample.len() - sample.len() % width];
        UnitShares::count(charset, sample)?.evidence(charset, sample)
    })
}

/// Valid UTF-8, allowing a character cut by the end of the sample.
fn reads_as_utf8(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// What the code units of a sample are, counted until the first that rules the candidate out.
struct UnitShares {
    units: usize,
    controls: usize,
    ascii: usize,
    cjk: usize,
}

impl UnitShares {
    /// `None` as soon as a unit is invalid (an unpaired surrogate, a value over U+10FFFF) or
    /// U+0000, which no text has, or as soon as the units that are neither ASCII nor CJK are too
    /// many for either reading: half of them rule out ASCII-heavy text, a tenth CJK text, and
    /// without a NUL byte only CJK text is possible. Narrow text read this way stops early.
    fn count(charset: Charset, sample: &[u8]) -> Option<UnitShares> {
        let width = charset.unit_width().unwrap_or(1);
        let divisor = if sample.contains(&0) { 2 } else { 10 };
        let max_others = sample.len() / width / divisor;
        let mut shares = UnitShares {
            units: 0,
            controls: 0,
            ascii: 0,
            cjk: 0,
        };
        for c in CodePoints::new(charset, sample) {
            let c = c?;
            shares.units += 1;
            match c {
                '\0' => return None,
                '\t' | '\n' | '\r' | '\x0C' | ' '..='~' => shares.ascii += 1,
                c if c.is_control() => shares.controls += 1,
                c if is_cjk_text(c) => shares.cjk += 1,
                _ => {}
            }
            if shares.units - shares.ascii - shares.cjk > max_others {
                return None;
            }
        }
        (shares.units > 0).then_some(shares)
    }

    fn evidence(&self, charset: Charset, sample: &[u8]) -> Option<WideGuess> {
        let share = |n: usize| n as f64 / self.units as f64;
        if share(self.controls) > 0.01 {
            return None;
        }
        let name = charset.name();
        let width = charset.unit_width().unwrap_or(1);
        let evidence = if share(self.ascii) >= 0.5 {
            format!(
                "{name} without a byte-order mark: {:.0}% of the {width}-byte units are ASCII (NUL bytes \
                 in their place), none invalid",
                100.0 * share(self.ascii)
            )
        } else {
            let score = chinese_score(&charset.decode(sample, 0).text);
            if share(self.cjk) < 0.5 || share(self.cjk + self.ascii) < 0.9 || score < READS_WELL {
                return None;
            }
            format!(
                "{name} without a byte-order mark: every {width}-byte unit valid, {:.0}% CJK, reads as \
                 Chinese {score:.2}",
                100.0 * share(self.cjk)
            )
        };
        Some(WideGuess { charset, evidence })
    }
}

/// Han ideographs, CJK and general punctuation, full-width forms, bopomofo: what Chinese text
/// is made of besides ASCII.
fn is_cjk_text(c: char) -> bool {
    matches!(c as u32,
        0x2000..=0x206F | 0x3000..=0x303F | 0x3100..=0x312F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// The code points of UTF-16 or UTF-32 bytes, `None` for an invalid unit; a high surrogate cut
/// by the end of the bytes is left out.
struct CodePoints<'a> {
    charset: Charset,
    bytes: &'a [u8],
}

impl<'a> CodePoints<'a> {
    fn new(charset: Charset, bytes: &'a [u8]) -> Self {
        CodePoints { charset, bytes }
    }

    fn unit16(&self, at: usize) -> Option<u16> {
        let pair = [*self.bytes.get(at)?, *self.bytes.get(at + 1)?];
        Some(if self.charset == Charset::Whatwg(UTF_16BE) {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        })
    }
}

impl Iterator for CodePoints<'_> {
    type Item = Option<char>;

    fn next(&mut self) -> Option<Option<char>> {
        if let Charset::Utf32(endian) = self.charset {
            let unit = self.bytes.get(..4)?;
            self.bytes = &self.bytes[4..];
            return Some(char::from_u32(utf32_value(endian, unit)));
        }
        let first = self.unit16(0)?;
        if !(0xD800..=0xDFFF).contains(&first) {
            self.bytes = &self.bytes[2..];
            return Some(char::from_u32(first.into()));
        }
        let Some(second) = self.unit16(2) else {
            self.bytes = &[];
            return None;
        };
        self.bytes = &self.bytes[4..];
        Some(
            char::decode_utf16([first, second])
                .next()
                .and_then(Result::ok),
        )
    }
}

fn utf32_value(endian: Endian, unit: &[u8]) -> u32 {
    let bytes = [unit[0], unit[1], unit[2], unit[3]];
    match endian {
        Endian::Little => u32::from_le_bytes(bytes),
        Endian::Big => u32::from_be_bytes(bytes),
    }
}

/// UTF-32: each 4-byte unit one scalar value; a surrogate, a value over U+10FFFF or a cut unit at
/// the end is malformed.
pub fn decode_utf32(endian: Endian, bytes: &[u8], sink: &mut Sink) {
    let units = bytes.chunks_exact(4);
    let cut = units.remainder().len();
    for (i, unit) in units.enumerate() {
        match char::from_u32(utf32_value(endian, unit)) {
            Some(c) => sink.push(c),
            None => sink.malformed(4 * i),
        }
    }
    if cut > 0 {
        sink.malformed(bytes.len() - cut);
    }
}

/// The first `chars` characters of a document as one byte each, for sniffing its markup: a
/// byte-order mark dropped, UTF-16 and UTF-32 (marked or recognised) narrowed to their ASCII
/// characters, other characters as 0x80.
pub fn markup_head(bytes: &[u8], chars: usize) -> Cow<'_, [u8]> {
    let (charset, start) = match bom(bytes) {
        Some(found) => found,
        None => match detect_without_bom(bytes) {
            Some(guess) => (guess.charset, 0),
            None => return Cow::Borrowed(&bytes[..bytes.len().min(chars)]),
        },
    };
    let body = &bytes[start..];
    if charset.unit_width().is_none() {
        return Cow::Borrowed(&body[..body.len().min(chars)]);
    }
    let narrow = CodePoints::new(charset, body)
        .take(chars)
        .map(|c| match c {
            Some(c) if c.is_ascii() => c as u8,
            _ => 0x80,
        })
        .collect();
    Cow::Owned(narrow)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "秋天的早晨，城市還沒有完全醒來。街角的早餐店已經排起了長隊。\n";

    fn utf16(text: &str, endian: Endian) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| match endian {
                Endian::Little => u.to_le_bytes(),
                Endian::Big => u.to_be_bytes(),
            })
            .collect()
    }

    fn utf32(text: &str, endian: Endian) -> Vec<u8> {
        text.chars()
            .flat_map(|c| match endian {
                Endian::Little => (c as u32).to_le_bytes(),
                Endian::Big => (c as u32).to_be_bytes(),
            })
            .collect()
    }

    fn detected(bytes: &[u8]) -> Option<&'static str> {
        detect_without_bom(bytes).map(|g| g.charset.name())
    }

    #[test]
    fn wide_encodings_are_recognised_without_a_byte_order_mark() {
        let ascii = "Plain words, a few of them. ";
        for (endian, sixteen, thirtytwo) in [
            (Endian::Little, "UTF-16LE", "UTF-32LE"),
            (Endian::Big, "UTF-16BE", "UTF-32BE"),
        ] {
            assert_eq!(detected(&utf16(TEXT, endian)), Some(sixteen), "CJK");
            assert_eq!(detected(&utf16(ascii, endian)), Some(sixteen), "ASCII");
            assert_eq!(detected(&utf32(TEXT, endian)), Some(thirtytwo));
            assert_eq!(detected(&utf32(ascii, endian)), Some(thirtytwo));
            let mut cut = utf16(TEXT, endian);
            cut.pop();
            assert_eq!(detected(&cut), Some(sixteen), "a truncated last unit");
        }
    }

    #[test]
    fn narrow_text_and_binary_are_not_taken_for_wide_text() {
        assert_eq!(
            detected(b"Bush hid the facts"),
            None,
            "ASCII pairs are CJK code points"
        );
        assert_eq!(detected(TEXT.as_bytes()), None);
        let gbk = encoding_rs::GBK.encode(TEXT).0.into_owned();
        assert_eq!(detected(&gbk), None);
        let latin = encoding_rs::WINDOWS_1252
            .encode("Le café où l'on dîne, près de la gare.")
            .0;
        assert_eq!(
            detected(&latin),
            None,
            "letter pairs are CJK code points, not Chinese"
        );
        let mut rng = fastrand::Rng::with_seed(12);
        for len in [64, 1000, 100_000] {
            let random: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            assert_eq!(detected(&random), None, "{len} random bytes");
        }
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(detected(&exe), None, "an ELF executable");
    }

    #[test]
    fn utf32_decodes_and_marks_bad_units() {
        let mut bytes = utf32("好的", Endian::Little);
        bytes.extend_from_slice(&0xD800u32.to_le_bytes());
        bytes.extend_from_slice(&[0x41, 0]);
        let decoded = Charset::Utf32(Endian::Little).decode(&bytes, 0);
        assert_eq!(decoded.text, "好的\u{FFFD}\u{FFFD}");
        assert_eq!(decoded.error_offsets, vec![8, 12]);
    }

    #[test]
    fn byte_order_marks_of_utf32_are_told_from_utf16() {
        let mut bytes = vec![0xFF, 0xFE, 0, 0];
        bytes.extend(utf32("好", Endian::Little));
        assert_eq!(
            bom(&bytes).map(|(c, n)| (c.name(), n)),
            Some(("UTF-32LE", 4))
        );
        assert_eq!(
            bom(&[0xFF, 0xFE, 0x7D, 0x59]).map(|(c, n)| (c.name(), n)),
            Some(("UTF-16LE", 2))
        );
    }

    #[test]
    fn the_markup_head_drops_the_mark_and_narrows_wide_text() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(b"<!DOCTYPE html>");
        assert_eq!(&*markup_head(&bytes, 1024), b"<!DOCTYPE html>");
        let wide = utf16("<p>好</p>", Endian::Big);
        assert_eq!(&*markup_head(&wide, 1024), b"<p>\x80</p>");
    }
}
