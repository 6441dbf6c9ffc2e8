//! CNS 11643 and its EUC form, EUC-TW.
//!
//! No maintained crate decodes EUC-TW or CNS 11643 (encoding_rs follows the Encoding Standard,
//! which leaves them out; the `encoding` crate is unmaintained and lacks them too), so the table is
//! data (`data/charset/cns11643.txt`, derived from Unihan and the 全字庫 open data by
//! `scripts/derive_cns11643.py`) and the decoder is a few lines here.

use std::ops::ControlFlow;
use std::sync::OnceLock;

use super::charset::Sink;
use crate::error::RuleError;
use crate::text::table;

static TABLE_TEXT: &str = include_str!("../../../data/charset/cns11643.txt");
/// The table's name in errors.
const TABLE_FILE: &str = "data/charset/cns11643.txt";

/// Planes 1–7, the ones EUC-TW and ISO-2022-CN-EXT reach and the table holds.
pub const PLANES: u8 = 7;

const CELLS_PER_PLANE: usize = 94 * 94;

/// EUC-TW's single shift 2: `8E`, a plane byte `A1..A7`, then a two-byte code.
const SS2: u8 = 0x8E;

/// The character at a plane, row and cell of CNS 11643 (row and cell 0x21–0x7E).
pub fn cns_char(plane: u8, row: u8, cell: u8) -> Option<char> {
    if !(1..=PLANES).contains(&plane) || !is_gl(row) || !is_gl(cell) {
        return None;
    }
    let index = (plane as usize - 1) * CELLS_PER_PLANE
        + (row as usize - 0x21) * 94
        + (cell as usize - 0x21);
    table().as_ref().ok()?[index]
}

fn is_gl(byte: u8) -> bool {
    (0x21..=0x7E).contains(&byte)
}

fn is_gr(byte: u8) -> bool {
    (0xA1..=0xFE).contains(&byte)
}

/// The table, read on first use; an unreadable table leaves every code unmapped, and
/// [`check_table`] reports it when the pipeline is built.
fn table() -> &'static Result<Vec<Option<char>>, RuleError> {
    static TABLE: OnceLock<Result<Vec<Option<char>>, RuleError>> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(TABLE_FILE, TABLE_TEXT))
}

/// Whether the bundled table reads.
pub fn check_table() -> Result<(), RuleError> {
    table().as_ref().map(|_| ()).map_err(Clone::clone)
}

/// `PLANE-CODE<TAB>characters` lines, the characters filling consecutive cells of one row.
fn parse_table(file: &str, text: &str) -> Result<Vec<Option<char>>, RuleError> {
    let mut cells = vec![None; PLANES as usize * CELLS_PER_PLANE];
    for entry in table::entries(file, text) {
        let (start, chars) = parse_line(entry.text).ok_or_else(|| {
            entry.malformed("PLANE-CODE<TAB>characters, plane 1-7, code 2121-7E7E")
        })?;
        for (i, c) in chars.chars().enumerate() {
            if let Some(cell) = cells.get_mut(start + i) {
                *cell = Some(c);
            }
        }
    }
    Ok(cells)
}

fn parse_line(line: &str) -> Option<(usize, &str)> {
    let (key, chars) = line.split_once('\t')?;
    let (plane, code) = key.split_once('-')?;
    let plane: usize = plane.parse().ok()?;
    let code = u16::from_str_radix(code, 16).ok()?;
    let [row, cell] = code.to_be_bytes();
    let in_range = (1..=PLANES as usize).contains(&plane) && is_gl(row) && is_gl(cell);
    let start = (plane.checked_sub(1)? * CELLS_PER_PLANE)
        + (row as usize).checked_sub(0x21)? * 94
        + (cell as usize).checked_sub(0x21)?;
    in_range.then_some((start, chars))
}

/// EUC-TW: ASCII; plane 1 as two bytes `A1..FE A1..FE`; planes 1–7 as `8E A1..A7` and two such
/// bytes. A byte that cannot start or continue a sequence is malformed and decoding goes on at
/// the next byte.
pub fn decode_euc_tw(bytes: &[u8], sink: &mut Sink) {
    let _ = euc_tw_chars(bytes, |item| {
        match item {
            Ok(c) => sink.push(c),
            Err(offset) => sink.malformed(offset),
        }
        ControlFlow::Continue(())
    });
}

/// Whether the bytes decode as EUC-TW without a malformed or unmapped sequence; stops at the
/// first, which comes early in GB 2312 or Big5 text.
pub fn decodes_cleanly(bytes: &[u8]) -> bool {
    euc_tw_chars(bytes, |item| match item {
        Ok(_) => ControlFlow::Continue(()),
        Err(_) => ControlFlow::Break(()),
    })
    .is_continue()
}

/// The characters of EUC-TW bytes in order, `Err(offset)` for each malformed sequence, until
/// `emit` breaks.
fn euc_tw_chars(
    bytes: &[u8],
    mut emit: impl FnMut(Result<char, usize>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut i = 0;
    while i < bytes.len() {
        let lead = bytes[i];
        if lead < 0x80 {
            emit(Ok(lead as char))?;
            i += 1;
            continue;
        }
        let (plane, code_at) = match (lead, bytes.get(i + 1)) {
            (SS2, Some(&p)) if (0xA1..=0xB0).contains(&p) => (p - 0xA0, i + 2),
            (lead, _) if is_gr(lead) => (1, i),
            _ => {
                emit(Err(i))?;
                i += 1;
                continue;
            }
        };
        match (bytes.get(code_at), bytes.get(code_at + 1)) {
            (Some(&row), Some(&cell)) if is_gr(row) && is_gr(cell) => {
                emit(cns_char(plane, row & 0x7F, cell & 0x7F).ok_or(i))?;
                i = code_at + 2;
            }
            _ => {
                emit(Err(i))?;
                i += 1;
            }
        }
    }
    ControlFlow::Continue(())
}

/// Whether the bytes could be EUC-TW: none of the bytes it never uses (0x80–0xA0 other than
/// its single shift, and 0xFF).
pub fn could_be_euc_tw(bytes: &[u8]) -> bool {
    !bytes
        .iter()
        .any(|&b| matches!(b, 0x80..=0x8D | 0x8F..=0xA0 | 0xFF))
}

/// How many four-byte EUC-TW sequences (`8E A1..A7 A1..FE A1..FE`) the bytes hold: characters of
/// planes 2–7, which GB18030 and Big5 read as two unrelated characters without an error.
pub fn four_byte_sequences(bytes: &[u8]) -> usize {
    memchr::memchr_iter(SS2, bytes)
        .filter(|&i| match bytes.get(i + 1..i + 4) {
            Some(&[plane, row, cell]) => {
                (0xA1..=0xA0 + PLANES).contains(&plane) && is_gr(row) && is_gr(cell)
            }
            _ => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::super::charset::Charset;
    use super::*;

    #[test]
    fn the_table_parses_whole() {
        check_table().unwrap();
        let listed: usize = table::entries(TABLE_FILE, TABLE_TEXT)
            .map(|e| e.text.split_once('\t').unwrap().1.chars().count())
            .sum();
        let cells = table().as_ref().unwrap();
        assert_eq!(cells.iter().flatten().count(), listed);
        assert!(listed > 48_000, "planes 1-7 hold about 49,000 characters");
        assert_eq!(cns_char(1, 0x44, 0x21), Some('一'));
        assert_eq!(cns_char(1, 0x21, 0x22), Some('，'));
        assert_eq!(cns_char(2, 0x21, 0x21), Some('乂'));
        assert_eq!(cns_char(8, 0x21, 0x21), None);
    }

    #[test]
    fn a_line_outside_the_planes_is_an_error_naming_its_line() {
        let error = parse_table("t.txt", "# c\n1-4421\t一\n9-2121\t乂\n").unwrap_err();
        assert_eq!((error.file.as_str(), error.line), ("t.txt", 3));
    }

    #[test]
    fn euc_tw_decodes_planes_and_marks_what_it_cannot() {
        // 中文 (plane 1), 乂 (plane 2, four bytes), ASCII, then a lone lead and an unmapped code.
        let bytes = b"\xC4\xE3\xC5\xC6\x8E\xA2\xA1\xA1a\xC4b\x8E\xA8\xA1\xA1";
        let decoded = Charset::EucTw.decode(bytes, 0);
        assert_eq!(decoded.text, "中文乂a\u{FFFD}b\u{FFFD}");
        assert_eq!(decoded.error_offsets, vec![9, 11]);
    }

    #[test]
    fn evidence_counts_four_byte_sequences_and_rules_out_other_bytes() {
        assert_eq!(
            four_byte_sequences(b"\x8E\xA2\xA1\xA1 \x8E\xA2\xA1 \x8E\xA9\xA1\xA1"),
            1
        );
        assert!(could_be_euc_tw(b"\xC4\xE3\x8E\xA2\xA1\xA1"));
        assert!(decodes_cleanly(b"\xC4\xE3\x8E\xA2\xA1\xA1a"));
        assert!(
            !decodes_cleanly(b"\xC4\xE3\xB0\xA1"),
            "GB 2312 level 1: an empty CNS row"
        );
        assert!(
            !could_be_euc_tw("的".as_bytes()),
            "UTF-8 continuation bytes"
        );
    }
}
