//! The 7-bit Chinese encodings: ISO-2022-CN (RFC 1922, with the CNS planes of ISO-2022-CN-EXT)
//! and HZ (RFC 1843). Both carry GB 2312 or CNS 11643 codes as pairs of printable ASCII bytes
//! between escapes, so a document in them is pure ASCII and every byte-oriented detector reads it
//! as English. encoding_rs maps both labels to its replacement decoder (the Encoding Standard
//! retired them as a security risk for the web) and no maintained crate decodes them, hence these
//! small decoders; GB 2312 codes go through encoding_rs's GB18030 table.

use std::sync::OnceLock;

use encoding_rs::GB18030;

use super::charset::{Charset, Sink};
use super::cns::cns_char;

const ESC: u8 = 0x1B;
const SO: u8 = 0x0E;
const SI: u8 = 0x0F;

/// A 94×94 character set a designation can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Set {
    Gb2312,
    Cns(u8),
    /// Designated but not decoded (ISO-IR-165): its characters are malformed.
    Unsupported,
}

impl Set {
    fn char(self, row: u8, cell: u8) -> Option<char> {
        match self {
            Set::Gb2312 => gb2312_char(row, cell),
            Set::Cns(plane) => cns_char(plane, row, cell),
            Set::Unsupported => None,
        }
    }
}

/// The character at a row and cell (0x21–0x7E) of GB 2312, from encoding_rs's GB18030 table; the
/// cells GB 2312 leaves empty, which GB18030 fills with GBK additions or private-use code points,
/// are `None`.
fn gb2312_char(row: u8, cell: u8) -> Option<char> {
    static TABLE: OnceLock<Vec<Option<char>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0x21..=0x7Eu8)
            .flat_map(|row| (0x21..=0x7Eu8).map(move |cell| [row | 0x80, cell | 0x80]))
            .map(|pair| {
                let (text, had_errors) = GB18030.decode_without_bom_handling(&pair);
                let c = text.chars().next().filter(|_| !had_errors)?;
                let gbk_only = (0xAA..=0xAF).contains(&pair[0]) || pair[0] >= 0xF8;
                let private = ('\u{E000}'..='\u{F8FF}').contains(&c);
                (!gbk_only && !private).then_some(c)
            })
            .collect()
    });
    if !(0x21..=0x7E).contains(&row) || !(0x21..=0x7E).contains(&cell) {
        return None;
    }
    table[(row as usize - 0x21) * 94 + (cell as usize - 0x21)]
}

/// What an escape sequence at the start of `bytes` does, and its length.
enum Escape {
    /// `ESC $ ) F`: a set for G1, shifted in with SO.
    G1(Set),
    /// `ESC $ * H`: CNS plane 2 for G2, reached by SS2.
    G2(Set),
    /// `ESC $ + I..M`: CNS planes 3–7 for G3, reached by SS3.
    G3(Set),
    /// `ESC N`: the next two bytes are from G2.
    SingleShift2,
    /// `ESC O`: the next two bytes are from G3.
    SingleShift3,
}

fn escape(bytes: &[u8]) -> Option<(Escape, usize)> {
    match bytes {
        [ESC, b'N', ..] => Some((Escape::SingleShift2, 2)),
        [ESC, b'O', ..] => Some((Escape::SingleShift3, 2)),
        [ESC, b'$', b')', b'A', ..] => Some((Escape::G1(Set::Gb2312), 4)),
        [ESC, b'$', b')', b'G', ..] => Some((Escape::G1(Set::Cns(1)), 4)),
        [ESC, b'$', b')', b'E', ..] => Some((Escape::G1(Set::Unsupported), 4)),
        [ESC, b'$', b'*', b'H', ..] => Some((Escape::G2(Set::Cns(2)), 4)),
        [ESC, b'$', b'+', f @ b'I'..=b'M', ..] => Some((Escape::G3(Set::Cns(f - b'I' + 3)), 4)),
        _ => None,
    }
}

/// One character from a designated set at `at`: two bytes 0x21–0x7E. Returns the bytes used.
fn set_char(set: Option<Set>, bytes: &[u8], at: usize, sink: &mut Sink) -> usize {
    match bytes.get(at..at + 2) {
        Some(&[row, cell]) if (0x21..=0x7E).contains(&row) && (0x21..=0x7E).contains(&cell) => {
            match set.and_then(|s| s.char(row, cell)) {
                Some(c) => sink.push(c),
                None => sink.malformed(at),
            }
            2
        }
        _ => {
            sink.malformed(at);
            1
        }
    }
}

/// ISO-2022-CN and ISO-2022-CN-EXT. A line starts in ASCII (RFC 1922), so a line end leaves the
/// shifted state; designations are kept across lines, which decodes text from encoders that do
/// not repeat them as well as from those that do.
pub fn decode_iso2022_cn(bytes: &[u8], sink: &mut Sink) {
    let (mut g1, mut g2, mut g3) = (None, None, None);
    let mut shifted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            ESC => match escape(&bytes[i..]) {
                Some((Escape::G1(set), n)) => (g1, i) = (Some(set), i + n),
                Some((Escape::G2(set), n)) => (g2, i) = (Some(set), i + n),
                Some((Escape::G3(set), n)) => (g3, i) = (Some(set), i + n),
                Some((Escape::SingleShift2, n)) => i += n + set_char(g2, bytes, i + n, sink),
                Some((Escape::SingleShift3, n)) => i += n + set_char(g3, bytes, i + n, sink),
                None => {
                    sink.malformed(i);
                    i += 1;
                }
            },
            SO => (shifted, i) = (true, i + 1),
            SI => (shifted, i) = (false, i + 1),
            b @ (b'\n' | b'\r') => {
                sink.push(b as char);
                (shifted, i) = (false, i + 1);
            }
            0x21..=0x7E if shifted => i += set_char(g1, bytes, i, sink),
            b @ 0x00..=0x7F => {
                sink.push(b as char);
                i += 1;
            }
            _ => {
                sink.malformed(i);
                i += 1;
            }
        }
    }
}

/// HZ: ASCII, with GB 2312 pairs between `~{` and `~}`; `~~` is a tilde and `~` before a line
/// end continues the line. Any other `~` sequence, and any byte over 0x7F, is malformed. A line
/// end inside GB mode ends it (a lenient reading of a malformed file).
pub fn decode_hz(bytes: &[u8], sink: &mut Sink) {
    let mut gb = false;
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), gb) {
            (b'~', Some(b'{'), false) => (gb, i) = (true, i + 2),
            (b'~', Some(b'}'), true) => (gb, i) = (false, i + 2),
            (b'~', Some(b'\n'), _) => i += 2,
            (b'~', Some(b'~'), false) => {
                sink.push('~');
                i += 2;
            }
            (b @ (b'\n' | b'\r'), _, _) => {
                sink.push(b as char);
                (gb, i) = (false, i + 1);
            }
            (0x21..=0x7D, _, true) => i += set_char(Some(Set::Gb2312), bytes, i, sink),
            (b, _, false) if b.is_ascii() && b != b'~' => {
                sink.push(b as char);
                i += 1;
            }
            _ => {
                sink.malformed(i);
                i += 1;
            }
        }
    }
}

/// A 7-bit Chinese encoding the escapes of `bytes` show, and a description of them: ISO-2022-CN
/// by its designations followed by shift-outs, HZ by its `~{` openings. Only the structure is
/// looked at; whether the decoding reads as Chinese is for the caller to judge.
pub fn recognise(bytes: &[u8]) -> Option<(Charset, String)> {
    if !bytes.is_ascii() {
        return None;
    }
    let designations = memchr::memchr_iter(ESC, bytes)
        .filter(|&i| {
            matches!(
                escape(&bytes[i..]),
                Some((Escape::G1(_) | Escape::G2(_) | Escape::G3(_), _))
            )
        })
        .count();
    let shift_outs = memchr::memchr_iter(SO, bytes).count();
    if designations > 0 && shift_outs > 0 {
        return Some((
            Charset::Iso2022Cn,
            format!(
                "{designations} ISO-2022-CN designations (ESC $ …) and {shift_outs} shift-outs"
            ),
        ));
    }
    let openings = memchr::memmem::find_iter(bytes, b"~{").count();
    (openings > 0).then(|| (Charset::Hz, format!("{openings} HZ `~{{` openings")))
}

/// Whether `head` designates an ISO 2022 set (`ESC $`): its SO and SI bytes are then shifts in
/// text, not binary control bytes.
pub fn has_designation(head: &[u8]) -> bool {
    memchr::memmem::find(head, b"\x1B$").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_2022_cn_switches_sets_and_shifts() {
        // 中 (GB 2312 56 50), 這 (CNS plane 1 5D 55), 乂 (CNS plane 2 21 21 by SS2), ASCII; a
        // line end shifts in, and the designation of G1 holds on the next line.
        let bytes = b"\x1B$)A\x0EVP\x1B$)G]U\x1B$*H\x1BN!!\x0Fok\nVP\x0E]U\x0F";
        let decoded = Charset::Iso2022Cn.decode(bytes, 0);
        assert_eq!(decoded.text, "中這乂ok\nVP這");
        assert_eq!(decoded.errors, 0);
        let broken = Charset::Iso2022Cn.decode(b"\x0EVP\x0F\x1B(Bx", 0);
        assert_eq!(broken.text, "\u{FFFD}\u{FFFD}(Bx");
        assert_eq!(broken.error_offsets, vec![1, 4]);
    }

    #[test]
    fn hz_reads_gb_runs_tildes_and_continuations() {
        let decoded = Charset::Hz.decode(b"a~~b~{VPND~}c~\nd", 0);
        assert_eq!((decoded.text.as_str(), decoded.errors), ("a~b中文cd", 0));
        let broken = Charset::Hz.decode(b"~x~{V", 0);
        assert_eq!(broken.text, "\u{FFFD}x\u{FFFD}");
    }

    #[test]
    fn escapes_are_recognised_only_in_7_bit_text() {
        assert_eq!(recognise(b"~{VPND~}").map(|(c, _)| c), Some(Charset::Hz));
        assert_eq!(
            recognise(b"\x1B$)A\x0EVP\x0F").map(|(c, _)| c),
            Some(Charset::Iso2022Cn)
        );
        assert_eq!(recognise(b"plain text"), None);
        assert_eq!(recognise("~{中".as_bytes()), None);
        assert_eq!(gb2312_char(0x2A, 0x21), None, "a row GB 2312 leaves empty");
    }
}
