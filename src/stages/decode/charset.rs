//! The charsets the stage decodes, their labels, and decoding with malformed sequences counted.
//!
//! encoding_rs implements the WHATWG Encoding Standard, which leaves out UTF-32 and names
//! `hz-gb-2312` and `iso-2022-cn` only to map them to its replacement decoder; EUC-TW is not in it
//! at all. Those four have their own small decoders here (see [`super::cns`], [`super::iso2022`],
//! [`super::unicode`]).

use encoding_rs::{DecoderResult, Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE};

use super::score::chinese_score;
use super::{cns, iso2022, unicode};

/// How many malformed-sequence offsets a report lists.
const MAX_ERROR_OFFSETS: usize = 64;

/// Bytes of UTF-8 decoded per call into encoding_rs. Each call touches every memory page of the
/// output space it is given, so handing it the whole remaining output (as decoding into one
/// `String` does) costs the size of the document per malformed sequence: quadratic on a long
/// document decoded with the wrong charset. A fixed buffer keeps each call's cost to its chunk.
const CHUNK: usize = 32 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

/// A charset the stage can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// One of the WHATWG Encoding Standard's, through encoding_rs.
    Whatwg(&'static Encoding),
    Utf32(Endian),
    /// EUC-TW: CNS 11643 planes in the EUC form (plane 1 in two bytes, `8E A1..A7` for planes 1–7).
    EucTw,
    /// ISO-2022-CN and ISO-2022-CN-EXT (RFC 1922): 7-bit, GB 2312 and CNS 11643 by escapes.
    Iso2022Cn,
    /// HZ (RFC 1843): 7-bit GB 2312 between `~{` and `~}`.
    Hz,
}

/// Where a label came from: a document's own declaration cannot be in a wide encoding (it was
/// read as ASCII), so the WHATWG prescan turns UTF-16 labels there into UTF-8; a transport header
/// can name one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSource {
    Document,
    Transport,
}

impl Charset {
    pub const GB18030: Charset = Charset::Whatwg(GB18030);
    pub const UTF_8: Charset = Charset::Whatwg(UTF_8);

    /// The name the report gives.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Whatwg(encoding) => encoding.name(),
            Charset::Utf32(Endian::Little) => "UTF-32LE",
            Charset::Utf32(Endian::Big) => "UTF-32BE",
            Charset::EucTw => "EUC-TW",
            Charset::Iso2022Cn => "ISO-2022-CN",
            Charset::Hz => "HZ-GB-2312",
        }
    }

    /// The charset a label names, or `None` for labels that name no usable decoder. GBK and
    /// GB 2312 labels decode as GB18030, their superset.
    pub fn for_label(label: &str, source: LabelSource) -> Option<Charset> {
        let label = label.trim().to_ascii_lowercase();
        let own = match label.as_str() {
            "euc-tw" | "x-euc-tw" | "euctw" | "cns11643" => Some(Charset::EucTw),
            "iso-2022-cn" | "iso-2022-cn-ext" | "csiso2022cn" => Some(Charset::Iso2022Cn),
            "hz-gb-2312" | "hz" | "hz-gb2312" => Some(Charset::Hz),
            "utf-32le" => Some(Charset::Utf32(Endian::Little)),
            // Without a byte-order mark, UTF-32 is big-endian (Unicode, section 3.10).
            "utf-32" | "utf-32be" | "ucs-4" | "iso-10646-ucs-4" => {
                Some(Charset::Utf32(Endian::Big))
            }
            _ => None,
        };
        if let Some(charset) = own {
            let wide = matches!(charset, Charset::Utf32(_));
            return (!wide || source == LabelSource::Transport).then_some(charset);
        }
        let encoding = Encoding::for_label(label.as_bytes())?;
        if encoding == encoding_rs::REPLACEMENT || encoding == encoding_rs::X_USER_DEFINED {
            return None;
        }
        Some(Charset::from_whatwg(match source {
            LabelSource::Document => encoding.output_encoding(),
            LabelSource::Transport => encoding,
        }))
    }

    /// GBK decodes as GB18030, its superset (the same bytes, and four-byte sequences besides).
    pub fn from_whatwg(encoding: &'static Encoding) -> Charset {
        Charset::Whatwg(if encoding == GBK { GB18030 } else { encoding })
    }

    /// The size of a code unit of a wide encoding (UTF-16, UTF-32); `None` for the others.
    pub fn unit_width(self) -> Option<usize> {
        match self {
            Charset::Utf32(_) => Some(4),
            Charset::Whatwg(encoding) if encoding == UTF_16LE || encoding == UTF_16BE => Some(2),
            _ => None,
        }
    }

    pub fn is_single_byte(self) -> bool {
        matches!(self, Charset::Whatwg(encoding) if encoding.is_single_byte())
    }

    /// Decode with replacement, counting malformed sequences and where they start (`base` is
    /// added to the offsets, for a stripped byte-order mark).
    pub fn decode(self, bytes: &[u8], base: usize) -> Decoded {
        let mut sink = Sink::new(bytes.len(), base);
        match self {
            Charset::Whatwg(encoding) => decode_whatwg(encoding, bytes, &mut sink),
            Charset::Utf32(endian) => unicode::decode_utf32(endian, bytes, &mut sink),
            Charset::EucTw => cns::decode_euc_tw(bytes, &mut sink),
            Charset::Iso2022Cn => iso2022::decode_iso2022_cn(bytes, &mut sink),
            Charset::Hz => iso2022::decode_hz(bytes, &mut sink),
        }
        sink.finish(self)
    }
}

/// Where a decoder writes: the text, and each malformed sequence as U+FFFD with its offset.
pub struct Sink {
    text: String,
    errors: usize,
    error_offsets: Vec<usize>,
    base: usize,
}

impl Sink {
    fn new(input_len: usize, base: usize) -> Sink {
        Sink {
            text: String::with_capacity(input_len + input_len / 2),
            errors: 0,
            error_offsets: Vec::new(),
            base,
        }
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
    }

    fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// A malformed sequence starting at `offset` of the decoder's input.
    pub fn malformed(&mut self, offset: usize) {
        self.errors += 1;
        if self.error_offsets.len() < MAX_ERROR_OFFSETS {
            self.error_offsets.push(self.base + offset);
        }
        self.text.push('\u{FFFD}');
    }

    fn finish(self, charset: Charset) -> Decoded {
        let score = chinese_score(&self.text);
        // Every non-ASCII character has exactly one lead byte of 0xC0 or more: a byte count is
        // a fraction of the cost of walking the characters.
        let non_ascii = self.text.bytes().filter(|&b| b >= 0xC0).count();
        Decoded {
            charset,
            text: self.text,
            errors: self.errors,
            error_offsets: self.error_offsets,
            score,
            non_ascii,
        }
    }
}

fn decode_whatwg(encoding: &'static Encoding, bytes: &[u8], sink: &mut Sink) {
    // Straight into the sink's text (no intermediate buffer to copy from): the decoder writes
    // into the string's spare capacity and asks for more with `OutputFull`.
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut read_total = 0;
    loop {
        let rest = &bytes[read_total..];
        let needed = decoder.max_utf8_buffer_length_without_replacement(rest.len());
        sink.text.reserve(needed.unwrap_or(CHUNK).min(CHUNK));
        let (result, read) =
            decoder.decode_to_string_without_replacement(rest, &mut sink.text, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, after) => {
                sink.malformed(read_total - after as usize - bad as usize);
            }
        }
    }
}

/// The result of decoding with one charset.
pub struct Decoded {
    pub charset: Charset,
    pub text: String,
    pub errors: usize,
    pub error_offsets: Vec<usize>,
    /// [`chinese_score`] of the text.
    pub score: f64,
    non_ascii: usize,
}

impl Decoded {
    /// Text already known to be valid UTF-8 (no second pass through a decoder).
    pub fn utf8(text: &str) -> Decoded {
        let mut sink = Sink::new(text.len(), 0);
        sink.push_str(text);
        sink.finish(Charset::UTF_8)
    }

    /// One number to rank candidates: how Chinese the text reads, less a cost per error.
    pub fn quality(&self) -> f64 {
        self.score - 2.0 * self.errors as f64 / self.non_ascii.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_and_located_through_chunk_boundaries() {
        // Far more output than one chunk, with a malformed byte every 1,000 bytes.
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..200 {
            bytes.extend_from_slice("中".repeat(333).as_bytes());
            expected.push(bytes.len());
            bytes.push(0xFF);
        }
        let decoded = Charset::UTF_8.decode(&bytes, 3);
        assert_eq!(decoded.errors, 200);
        let shifted: Vec<usize> = expected
            .iter()
            .take(MAX_ERROR_OFFSETS)
            .map(|o| o + 3)
            .collect();
        assert_eq!(decoded.error_offsets, shifted);
        assert_eq!(
            decoded.text.chars().filter(|&c| c == '中').count(),
            200 * 333
        );
    }

    #[test]
    fn labels_name_own_decoders_and_wide_labels_only_from_the_transport() {
        let doc = |l| Charset::for_label(l, LabelSource::Document).map(Charset::name);
        assert_eq!(doc("HZ-GB-2312"), Some("HZ-GB-2312"));
        assert_eq!(doc(" x-euc-tw "), Some("EUC-TW"));
        assert_eq!(doc("iso-2022-cn-ext"), Some("ISO-2022-CN"));
        assert_eq!(doc("gb2312"), Some("gb18030"));
        assert_eq!(doc("utf-16le"), Some("UTF-8"));
        assert_eq!(doc("utf-32le"), None);
        assert_eq!(doc("no-such-charset"), None);
        let transport = |l| Charset::for_label(l, LabelSource::Transport).map(Charset::name);
        assert_eq!(transport("utf-16le"), Some("UTF-16LE"));
        assert_eq!(transport("utf-32le"), Some("UTF-32LE"));
    }
}
