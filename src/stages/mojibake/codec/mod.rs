//! Charsets as mojibake hypotheses: re-encode garbled text to get the bytes back, decode them as
//! what they really were. encoding_rs does the work; Latin-1 (which WHATWG folds into windows-1252)
//! is the identity on bytes and is written here.
//!
//! A U+FFFD in garbled text stands for bytes a decoder threw away; re-encoding turns it into one
//! *unknown byte*, which [`resolve_unknowns`] later fills with the value the language model prefers.

use std::collections::HashMap;
use std::str::FromStr;

use encoding_rs::{BIG5, Encoding, GB18030, SHIFT_JIS, UTF_8, WINDOWS_1252};

use crate::error::RuleError;
use crate::text::table::{self, single_char};

mod fill;
mod whole;

use fill::resolve_outer;
pub use fill::{resolve_rejected, resolve_unknowns};
pub use whole::{Guess, WholeCharacters};
/// Stand-in for an unknown byte while decoding: invalid in every multi-byte charset used here.
pub const UNKNOWN: u8 = 0xFF;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Gb18030,
    Big5,
    ShiftJis,
    Windows1252,
    Latin1,
}

impl FromStr for Charset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "utf-8" => Charset::Utf8,
            "gb18030" => Charset::Gb18030,
            "big5" => Charset::Big5,
            "shift_jis" => Charset::ShiftJis,
            "windows-1252" => Charset::Windows1252,
            "latin-1" => Charset::Latin1,
            other => {
                return Err(format!(
                    "unknown charset `{other}` (utf-8, gb18030, big5, shift_jis, windows-1252, latin-1)"
                ));
            }
        })
    }
}

impl Charset {
    fn encoding(self) -> Option<&'static Encoding> {
        match self {
            Charset::Utf8 => Some(UTF_8),
            Charset::Gb18030 => Some(GB18030),
            Charset::Big5 => Some(BIG5),
            Charset::ShiftJis => Some(SHIFT_JIS),
            Charset::Windows1252 => Some(WINDOWS_1252),
            Charset::Latin1 => None,
        }
    }

    /// Whether a valid character can be one byte of the charset (so a lost byte is non-ASCII).
    pub fn is_multibyte(self) -> bool {
        matches!(
            self,
            Charset::Utf8 | Charset::Gb18030 | Charset::Big5 | Charset::ShiftJis
        )
    }
}

/// Bytes recovered from text, with the positions of unknown bytes (each holding [`UNKNOWN`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes {
    pub bytes: Vec<u8>,
    pub unknown: Vec<usize>,
}

/// Encode `text` in `charset`; `None` when a character has no encoding there (wrong hypothesis).
pub fn encode(text: &str, charset: Charset) -> Option<Bytes> {
    encode_with(text, charset, &PlainBig5::default())
}

/// [`encode`], taking Big5 to be plain Big5 where it differs from web Big5 (`plain`).
pub fn encode_with(text: &str, charset: Charset, plain: &PlainBig5) -> Option<Bytes> {
    let mut out = Bytes::default();
    for (i, chunk) in text.split('\u{FFFD}').enumerate() {
        if i > 0 {
            out.unknown.push(out.bytes.len());
            out.bytes.push(UNKNOWN);
        }
        if charset == Charset::Big5 && !plain.bytes.is_empty() {
            encode_plain_big5(chunk, plain, &mut out.bytes)?;
        } else {
            encode_chunk(chunk, charset, &mut out.bytes)?;
        }
    }
    Some(out)
}

/// What undoing a chain reads besides the text: the plain Big5 bytes, and the characters a whole
/// lost character may have been (without a model, none: such a character stays lost).
#[derive(Default)]
pub struct Tables {
    pub plain_big5: PlainBig5,
    pub whole: WholeCharacters,
}

/// The characters that plain Big5 (as Python's and other non-web decoders read it) has at other
/// bytes than web Big5 (HKSCS, encoding_rs): kana, Cyrillic and circled numbers of the ETEN rows
/// `C6A1`–`C7FE`. Text a plain decoder wrote must be re-encoded with these bytes.
#[derive(Debug, Default)]
pub struct PlainBig5 {
    bytes: HashMap<char, [u8; 2]>,
}

impl PlainBig5 {
    /// Parse the table `file` of `HEX<TAB>char` lines (`C6B7\tこ`).
    pub fn parse(file: &str, table: &str) -> Result<Self, RuleError> {
        const FORMAT: &str = "HEX<TAB>char";
        let mut bytes = HashMap::new();
        for entry in table::entries(file, table) {
            let (hex, char) = entry.split_once('\t', FORMAT)?;
            let code = u16::from_str_radix(hex, 16).map_err(|_| entry.malformed(FORMAT))?;
            let c = single_char(char).ok_or_else(|| entry.malformed(FORMAT))?;
            bytes.insert(c, code.to_be_bytes());
        }
        Ok(PlainBig5 { bytes })
    }
}

fn encode_plain_big5(chunk: &str, plain: &PlainBig5, out: &mut Vec<u8>) -> Option<()> {
    let mut start = 0;
    for (at, c) in chunk.char_indices() {
        if let Some(pair) = plain.bytes.get(&c) {
            encode_chunk(&chunk[start..at], Charset::Big5, out)?;
            out.extend_from_slice(pair);
            start = at + c.len_utf8();
        }
    }
    encode_chunk(&chunk[start..], Charset::Big5, out)
}

fn encode_chunk(chunk: &str, charset: Charset, out: &mut Vec<u8>) -> Option<()> {
    match charset.encoding() {
        Some(encoding) => {
            let (bytes, _, had_unmappable) = encoding.encode(chunk);
            if had_unmappable {
                return None;
            }
            out.extend_from_slice(&bytes);
        }
        None => {
            for c in chunk.chars() {
                out.push(u8::try_from(u32::from(c)).ok()?);
            }
        }
    }
    Some(())
}

/// Decode bytes; malformed sequences become U+FFFD.
pub fn decode(bytes: &[u8], charset: Charset) -> String {
    match charset.encoding() {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Whether a decoder for `charset` rejects byte `value` (writes U+FFFD and goes on with the next
/// byte, as Python's decoders do) when `next` follows it. [`UNKNOWN`] in `next` could be anything:
/// where the answer depends on it, the value is not ruled out. Validity is the strict form of each
/// charset (plain Big5, JIS X 0208 Shift_JIS, no windows-1252 C1 fill-ins), not its web superset.
pub fn rejects(charset: Charset, value: u8, next: &[u8]) -> bool {
    if value.is_ascii() {
        return false;
    }
    let pair = |valid_lead: bool| -> bool {
        match next.first() {
            None => true,
            Some(&UNKNOWN) => true,
            Some(&trail) => !(valid_lead && decodes(charset, &[value, trail])),
        }
    };
    match charset {
        Charset::Latin1 => false,
        Charset::Windows1252 => matches!(value, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D),
        Charset::Utf8 => utf8_rejects(value, next),
        Charset::Big5 => pair((0xA1..=0xF9).contains(&value)) || big5_extension(value, next),
        Charset::ShiftJis => {
            let katakana = (0xA1..=0xDF).contains(&value);
            let lead = matches!(value, 0x81..=0x84 | 0x88..=0x9F | 0xE0..=0xEA);
            !katakana && pair(lead)
        }
        Charset::Gb18030 => gb18030_rejects(value, next),
    }
}

/// Whether the pair is one that web Big5 (HKSCS) decodes but plain Big5 does not: the user-defined
/// rows `C6A1`–`C8FE` and the ETEN additions from `F9D6`.
fn big5_extension(lead: u8, next: &[u8]) -> bool {
    let trail = next.first().copied().unwrap_or(0);
    match lead {
        0xC6 => trail >= 0xA1 && trail != UNKNOWN,
        0xC7 | 0xC8 => trail != UNKNOWN,
        0xF9 => trail >= 0xD6 && trail != UNKNOWN,
        _ => false,
    }
}

fn gb18030_rejects(value: u8, next: &[u8]) -> bool {
    if value == 0x80 || value == 0xFF {
        return true;
    }
    match next {
        [] => true,
        [UNKNOWN, ..] => true,
        [second @ 0x30..=0x39, rest @ ..] => match rest {
            [third, fourth, ..] if ![*third, *fourth].contains(&UNKNOWN) => {
                !decodes(Charset::Gb18030, &[value, *second, *third, *fourth])
            }
            [_, _, ..] => true,
            _ => true,
        },
        [trail, ..] => !decodes(Charset::Gb18030, &[value, *trail]),
    }
}

fn utf8_rejects(value: u8, next: &[u8]) -> bool {
    let needed = match value {
        0xC2..=0xDF => 1,
        0xE0..=0xEF => 2,
        0xF0..=0xF4 => 3,
        _ => return true,
    };
    let Some(following) = next.get(..needed) else {
        return true;
    };
    if following.contains(&UNKNOWN) {
        return true;
    }
    let mut sequence = vec![value];
    sequence.extend_from_slice(following);
    std::str::from_utf8(&sequence).is_err()
}

/// Whether `bytes` are exactly valid characters of `charset`.
fn decodes(charset: Charset, bytes: &[u8]) -> bool {
    charset.encoding().is_none_or(|encoding| {
        encoding
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
    })
}

/// One hypothesis of how text was garbled: layers of "these bytes were decoded as `read_as` but were
/// `really`", outermost first. `gb18030>utf-8` undoes UTF-8 read as GB18030.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    layers: Vec<(Charset, Charset)>,
}

impl FromStr for Chain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let layers = s
            .split(',')
            .map(|layer| {
                let (read_as, really) = layer
                    .split_once('>')
                    .ok_or_else(|| format!("layer `{layer}` is not `read-as>really`"))?;
                Ok((read_as.trim().parse()?, really.trim().parse()?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if layers.is_empty() || layers.len() > 2 {
            return Err(format!("chain `{s}` must have one or two layers"));
        }
        Ok(Chain {
            name: s.to_string(),
            layers,
        })
    }
}

impl Chain {
    /// Whether the text was last decoded by a single-byte charset (Windows-1252, Latin-1): its
    /// garbling is then Latin-1 letters and symbols, which Latin text has too.
    pub fn read_as_single_byte(&self) -> bool {
        self.layers
            .first()
            .is_some_and(|&(read_as, _)| !read_as.is_multibyte())
    }

    /// Undo the chain on `text`; `None` when the text cannot have come from it. Unknown bytes of the
    /// last layer are resolved with the model; those of an outer layer with what the layer under
    /// it can make of each value ([`resolve_outer`]); a whole lost character only as `guess`
    /// allows.
    pub fn undo(
        &self,
        text: &str,
        tables: &Tables,
        score: &dyn Fn(&str) -> f64,
        context: (&str, &str),
        guess: Guess,
    ) -> Option<String> {
        let mut current = text.to_string();
        let last = self.layers.len() - 1;
        for (i, &(read_as, really)) in self.layers.iter().enumerate() {
            let mut bytes = encode_with(&current, read_as, &tables.plain_big5)?;
            if bytes.unknown.len() * 3 > bytes.bytes.len() {
                return None;
            }
            if i == last && really.is_multibyte() {
                let whole = (&tables.whole, guess);
                resolve_rejected(&mut bytes, read_as, really, score, context, whole);
            } else if let Some(&inner) = self.layers.get(i + 1) {
                let outer = (read_as, really);
                resolve_outer(&mut bytes, outer, inner, tables, score, guess);
            }
            current = decode(&bytes.bytes, really);
        }
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::lm::model;
    use fill::{guesses_whole_character, utf8_flaws};

    /// The default rules' `whole_character_margin`, the search unbounded.
    const MARGIN: Guess = Guess {
        margin: 4.0,
        charge: &|_| true,
    };

    fn chain(s: &str) -> Chain {
        s.parse().unwrap()
    }

    #[test]
    fn undoes_utf8_read_as_gbk_with_a_lost_byte() {
        // What a GB18030 decoder with replacement (Python's) makes of the UTF-8 bytes.
        let garbled = "寰\u{e1bc}晢瑭查\u{FFFD}欐ǎ銆\u{FFFD}";
        let fixed = chain("gb18030>utf-8").undo(
            garbled,
            &Tables::default(),
            &|t| model().score(t),
            ("", ""),
            MARGIN,
        );
        assert_eq!(fixed.as_deref(), Some("微商該這樣。"));
    }

    #[test]
    fn undoes_double_utf8_through_windows_1252() {
        let once = decode("營銷".as_bytes(), Charset::Windows1252);
        let twice = decode(once.as_bytes(), Charset::Windows1252);
        let fixed = chain("windows-1252>utf-8,windows-1252>utf-8").undo(
            &twice,
            &Tables::default(),
            &|t| model().score(t),
            ("", ""),
            MARGIN,
        );
        assert_eq!(fixed.as_deref(), Some("營銷"));
    }

    #[test]
    fn unencodable_text_is_not_a_hypothesis() {
        assert_eq!(encode("營", Charset::Latin1), None);
        assert!(
            chain("windows-1252>utf-8")
                .undo(
                    "營銷",
                    &Tables::default(),
                    &|t| model().score(t),
                    ("", ""),
                    MARGIN
                )
                .is_none()
        );
        assert!("gb18030>klingon".parse::<Chain>().is_err());
    }

    #[test]
    fn a_whole_lost_character_is_as_many_unknowns_side_by_side_as_the_charset_needs() {
        assert!(guesses_whole_character(&[4, 5], Charset::Gb18030));
        assert!(!guesses_whole_character(&[4, 6], Charset::Gb18030));
        // Two lost bytes of a three-byte UTF-8 character leave its structure to go by.
        assert!(!guesses_whole_character(&[4, 5], Charset::Utf8));
        assert!(guesses_whole_character(&[3, 4, 5], Charset::Utf8));
    }

    #[test]
    fn a_lost_byte_is_one_the_wrong_decoder_rejects() {
        // UTF-8 read as GB18030: 0x83 before 0xE6 would have made a character, 0x80 could not.
        assert!(rejects(Charset::Gb18030, 0x80, &[0xE6]));
        assert!(!rejects(Charset::Gb18030, 0x83, &[0xE6]));
        // Before an ASCII comma any lead is lost; before an unknown byte nothing is ruled out.
        assert!(rejects(Charset::Gb18030, 0x83, b","));
        assert!(rejects(Charset::ShiftJis, 0x83, &[UNKNOWN]));
        // Half-width katakana are whole characters in Shift_JIS; plain Big5 has no lead 0x85.
        assert!(!rejects(Charset::ShiftJis, 0xB1, b","));
        assert!(rejects(Charset::Big5, 0x85, &[0xA4]));
        assert!(!rejects(Charset::Big5, 0xA4, &[0xA4]));
    }

    #[test]
    fn plain_big5_table_overrides_web_big5_bytes() {
        let plain = PlainBig5::parse("t.txt", "# comment\nC6B7\tこ\n").unwrap();
        let bytes = encode_with("一こ", Charset::Big5, &plain).unwrap();
        assert_eq!(bytes.bytes, [0xA4, 0x40, 0xC6, 0xB7]);
        assert!(PlainBig5::parse("t.txt", "C6B7 こ").is_err());
    }

    #[test]
    fn utf8_flaws_count_broken_sequences_but_not_cut_ends_or_unknowns() {
        let text = "微商".as_bytes();
        assert_eq!(utf8_flaws(text), 0);
        assert_eq!(utf8_flaws(&text[1..5]), 0);
        assert_eq!(utf8_flaws(&[0xE5, UNKNOWN, 0xAE]), 0);
        assert_eq!(utf8_flaws(&[0xE5, 0x41, 0xE5, 0xBE, 0xAE]), 1);
    }

    #[test]
    fn undoes_double_utf8_read_as_gbk_with_a_lost_replacement_byte() {
        let garbled = "婵″倹鐏夐弰锟\u{FFFD}";
        let fixed = chain("gb18030>utf-8,gb18030>utf-8").undo(
            garbled,
            &Tables::default(),
            &|t| model().score(t) + 10.0 * t.chars().count() as f64,
            ("", ","),
            MARGIN,
        );
        assert_eq!(fixed.as_deref(), Some("如果是"));
    }
}
