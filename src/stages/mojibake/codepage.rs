//! Single-byte code pages as the wrong decoder of UTF-8: the tables to re-encode text that a
//! Latin-1, Windows-125x, ISO-8859-2, Mac OS Roman or DOS (437) decoder wrote.
//!
//! The tables come from encoding_rs, whose WHATWG decoders leave some bytes unassigned; like ftfy's
//! "sloppy" codecs, a byte a code page leaves unassigned stands for the Latin-1 character of the same
//! value (what many real decoders write), and byte 0x1A stands for U+FFFD, the mark of a byte a strict
//! decoder threw away. Code page 437 is not in encoding_rs (WHATWG has no DOS code pages), so its
//! upper half is written out below.

use std::collections::HashMap;
use std::str::FromStr;

use encoding_rs::Encoding;

/// Byte 0x1A (SUBSTITUTE) stands for U+FFFD in a sloppy code page.
const SUBSTITUTE: u8 = 0x1A;

/// Code page 437's bytes 0x80–0xFF (IBM PC; the `cp437` codec of Python and ICU).
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}";

/// One single-byte code page: what each byte decodes to and back.
pub struct Codepage {
    pub name: String,
    decode: [char; 256],
    encode: HashMap<char, u8>,
    /// Whether byte 0x1A stands for U+FFFD (the sloppy code pages), so lost bytes survive re-encoding.
    pub sloppy: bool,
}

impl FromStr for Codepage {
    type Err = String;

    /// `latin-1`, `cp437`, or an encoding_rs label (`windows-1252`, `iso-8859-2`, `macintosh`),
    /// prefixed with `sloppy-` for the sloppy form.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let (sloppy, base) = match name.strip_prefix("sloppy-") {
            Some(base) => (true, base),
            None => (false, name),
        };
        let high: Vec<char> = match base {
            "latin-1" => (0x80..=0xFF_u8).map(char::from).collect(),
            "cp437" => CP437_HIGH.chars().collect(),
            label => {
                let encoding = Encoding::for_label(label.as_bytes())
                    .filter(|e| e.is_single_byte())
                    .ok_or_else(|| format!("unknown single-byte code page `{name}`"))?;
                (0x80..=0xFF_u8)
                    .map(|b| {
                        let byte = [b];
                        let (decoded, _) = encoding.decode_without_bom_handling(&byte);
                        match decoded.chars().next() {
                            Some('\u{FFFD}') | None if sloppy => char::from(b),
                            Some(c) => c,
                            None => '\u{FFFD}',
                        }
                    })
                    .collect()
            }
        };
        let mut decode = ['\0'; 256];
        for (b, slot) in decode.iter_mut().enumerate().take(0x80) {
            *slot = char::from(b as u8);
        }
        decode[0x80..].copy_from_slice(&high);
        if sloppy {
            decode[usize::from(SUBSTITUTE)] = '\u{FFFD}';
        }
        let encode = decode
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != '\u{FFFD}' || sloppy)
            .map(|(b, &c)| (c, b as u8))
            .collect();
        Ok(Codepage {
            name: name.to_string(),
            decode,
            encode,
            sloppy,
        })
    }
}

impl Codepage {
    /// The bytes of `text`, or `None` when a character is not in the code page.
    pub fn encode(&self, text: &str) -> Option<Vec<u8>> {
        text.chars().map(|c| self.encode.get(&c).copied()).collect()
    }

    pub fn decode_byte(&self, b: u8) -> char {
        self.decode[usize::from(b)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> Codepage {
        name.parse().expect("a known code page")
    }

    #[test]
    fn sloppy_windows_1252_keeps_unassigned_bytes_and_the_substitute() {
        let cp = page("sloppy-windows-1252");
        assert_eq!(cp.encode("â€™"), Some(vec![0xE2, 0x80, 0x99]));
        assert_eq!(cp.decode_byte(0x81), '\u{81}');
        assert_eq!(cp.decode_byte(SUBSTITUTE), '\u{FFFD}');
        assert_eq!(page("latin-1").encode("\u{FFFD}"), None);
    }

    #[test]
    fn cp437_and_mac_roman_have_their_own_upper_halves() {
        assert_eq!(page("cp437").encode("─î"), Some(vec![0xC4, 0x8C]));
        assert_eq!(page("macintosh").encode("√©"), Some(vec![0xC3, 0xA9]));
        assert!("sloppy-klingon".parse::<Codepage>().is_err());
    }
}
