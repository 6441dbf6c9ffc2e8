//! Charsets as mojibake hypotheses: re-encode garbled text to get the bytes back, decode them as
//! what they really were. encoding_rs does the work; Latin-1 (which WHATWG folds into windows-1252)
//! is the identity on bytes and is written here.
//!
//! A U+FFFD in garbled text stands for bytes a decoder threw away; re-encoding turns it into one
//! *unknown byte*, which [`resolve_unknowns`] later fills with the value the language model prefers.

use std::str::FromStr;

use encoding_rs::{BIG5, Encoding, GB18030, SHIFT_JIS, UTF_8, WINDOWS_1252};

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
    let mut out = Bytes::default();
    for (i, chunk) in text.split('\u{FFFD}').enumerate() {
        if i > 0 {
            out.unknown.push(out.bytes.len());
            out.bytes.push(UNKNOWN);
        }
        encode_chunk(chunk, charset, &mut out.bytes)?;
    }
    Some(out)
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

/// Fill each unknown byte with the non-ASCII value whose decoding `score` prefers in its
/// neighbourhood (`left`/`right` are context the bytes sit between). Left to right first, then once
/// more with every other unknown filled, so neighbouring unknowns agree (`一樣`, not `不樓`).
pub fn resolve_unknowns(
    bytes: &mut Bytes,
    charset: Charset,
    score: &dyn Fn(&str) -> f64,
    left: &str,
    right: &str,
) {
    let unknown = std::mem::take(&mut bytes.unknown);
    for &at in &unknown {
        bytes.bytes[at] = best_value(&mut bytes.bytes, at, charset, score, left, right);
    }
    if unknown.len() > 1 {
        for &at in &unknown {
            bytes.bytes[at] = best_value(&mut bytes.bytes, at, charset, score, left, right);
        }
    }
}

fn best_value(
    bytes: &mut [u8],
    at: usize,
    charset: Charset,
    score: &dyn Fn(&str) -> f64,
    left: &str,
    right: &str,
) -> u8 {
    const REACH: usize = 15;
    let lo = at.saturating_sub(REACH);
    let hi = (at + REACH).min(bytes.len());
    let mut best: Option<(f64, u8)> = None;
    for value in 0x80..=0xFE_u8 {
        bytes[at] = value;
        let window = decode(&bytes[lo..hi], charset);
        let mut scored = String::with_capacity(left.len() + window.len() + right.len());
        if lo == 0 {
            scored.push_str(left);
        }
        scored.push_str(&window);
        if hi == bytes.len() {
            scored.push_str(right);
        }
        let value_score = score(&scored);
        if best.is_none_or(|(s, _)| value_score > s) {
            best = Some((value_score, value));
        }
    }
    best.map_or(UNKNOWN, |(_, v)| v)
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
    /// Undo the chain on `text`; `None` when the text cannot have come from it. Unknown bytes of the
    /// last layer are resolved with the model; those of an inner layer travel on as U+FFFD.
    pub fn undo(
        &self,
        text: &str,
        score: &dyn Fn(&str) -> f64,
        left: &str,
        right: &str,
    ) -> Option<String> {
        let mut current = text.to_string();
        let last = self.layers.len() - 1;
        for (i, &(read_as, really)) in self.layers.iter().enumerate() {
            let mut bytes = encode(&current, read_as)?;
            if bytes.unknown.len() * 3 > bytes.bytes.len() {
                return None;
            }
            if i == last && really.is_multibyte() {
                resolve_unknowns(&mut bytes, really, score, left, right);
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

    fn chain(s: &str) -> Chain {
        s.parse().unwrap()
    }

    #[test]
    fn undoes_utf8_read_as_gbk_with_a_lost_byte() {
        // What a GB18030 decoder with replacement (Python's) makes of the UTF-8 bytes.
        let garbled = "寰\u{e1bc}晢瑭查\u{FFFD}欐ǎ銆\u{FFFD}";
        let fixed = chain("gb18030>utf-8").undo(garbled, &|t| model().score(t), "", "");
        assert_eq!(fixed.as_deref(), Some("微商該這樣。"));
    }

    #[test]
    fn undoes_double_utf8_through_windows_1252() {
        let once = decode("營銷".as_bytes(), Charset::Windows1252);
        let twice = decode(once.as_bytes(), Charset::Windows1252);
        let fixed = chain("windows-1252>utf-8,windows-1252>utf-8").undo(
            &twice,
            &|t| model().score(t),
            "",
            "",
        );
        assert_eq!(fixed.as_deref(), Some("營銷"));
    }

    #[test]
    fn unencodable_text_is_not_a_hypothesis() {
        assert_eq!(encode("營", Charset::Latin1), None);
        assert!(
            chain("windows-1252>utf-8")
                .undo("營銷", &|t| model().score(t), "", "")
                .is_none()
        );
        assert!("gb18030>klingon".parse::<Chain>().is_err());
    }
}
