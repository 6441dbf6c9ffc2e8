//! Whether input bytes are text at all, before any stage runs.

use crate::error::Error;

use super::charset::Charset;
use super::{iso2022, unicode};

/// How much of a document the binary checks read.
const HEAD_BYTES: usize = 8192;

/// Reject inputs that are not text: empty files, files of a known binary format, and files with
/// NUL bytes or many control bytes near the start, unless they are UTF-16 or UTF-32 (with a
/// byte-order mark or recognised without one) or ISO-2022 text, whose NUL bytes or shift bytes
/// are part of the text.
pub fn check_is_text(bytes: &[u8]) -> Result<(), Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Input("empty document".into()));
    }
    if unicode::bom(bytes).is_some_and(|(charset, _)| charset != Charset::UTF_8) {
        return Ok(());
    }
    let head = &bytes[..bytes.len().min(HEAD_BYTES)];
    if let Some(kind) = known_binary_format(head) {
        return Err(Error::Input(format!("binary file ({kind}), not text")));
    }
    if unicode::detect_without_bom(bytes).is_some() {
        return Ok(());
    }
    let shifts_are_text = iso2022::has_designation(head);
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C | 0x1B))
        .filter(|&&b| !(shifts_are_text && matches!(b, 0x0E | 0x0F)))
        .count();
    if head.contains(&0) || controls * 20 > head.len() {
        return Err(Error::Input(
            "binary file (NUL or control bytes), not text".into(),
        ));
    }
    Ok(())
}

fn known_binary_format(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "gzip data"),
        (b"PK\x03\x04", "zip archive"),
        (b"%PDF", "PDF"),
        (b"\x89PNG", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"\x7fELF", "ELF executable"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn binary_inputs_are_rejected() {
        assert!(
            check_is_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02").is_err()
        );
        assert!(check_is_text(b"abc\0def").is_err());
        assert!(check_is_text(b"   \n").is_err());
        assert!(check_is_text("正文".as_bytes()).is_ok());
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(check_is_text(&exe).is_err(), "an ELF executable");
        // The ELF file less its magic number: refused for what it holds, not for its signature.
        assert!(check_is_text(&exe[4..]).is_err());
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all("正文".repeat(100).as_bytes()).unwrap();
        let gzip = gzip.finish().unwrap();
        assert!(check_is_text(&gzip).is_err());
        assert!(
            check_is_text(&gzip[2..]).is_err(),
            "deflate data without the gzip magic"
        );
        let mut rng = fastrand::Rng::with_seed(7);
        for len in [256, 4096, 65_536] {
            let random: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            assert!(check_is_text(&random).is_err(), "{len} random bytes");
        }
    }

    #[test]
    fn wide_and_iso_2022_text_is_text() {
        let utf16: Vec<u8> = "正文 text\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(
            check_is_text(&utf16).is_ok(),
            "UTF-16LE without a byte-order mark"
        );
        let utf32: Vec<u8> = "正文\n"
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        assert!(
            check_is_text(&utf32).is_ok(),
            "UTF-32BE without a byte-order mark"
        );
        let iso = b"\x1B$)A\x0EVPND\x0F\n".repeat(10);
        assert!(check_is_text(&iso).is_ok(), "ISO-2022-CN shifts");
        assert!(
            check_is_text(&b"\x0EVPND\x0F\n".repeat(10)).is_err(),
            "shifts without a designation"
        );
    }
}
