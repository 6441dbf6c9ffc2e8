//! `decode`: bytes → UTF-8 text.
//!
//! Order of evidence: a byte-order mark; valid UTF-8 that has non-ASCII bytes; then the charset the
//! transport header and the document itself declare, each checked against chardetng's guess over the
//! whole document; and a near-miss fallback for CJK bytes that chardetng took for a single-byte
//! encoding (one lost byte is enough for that). A declaration is evidence, not an order: it is
//! overridden when it decodes with errors, or reads far less like Chinese than the guess does.

use std::sync::OnceLock;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{BIG5, DecoderResult, Encoding, GB18030, GBK, UTF_8};
use regex::bytes::Regex;

use crate::document::{Document, Format};
use crate::error::{Error, RuleError};
use crate::report::DecodeReport;
use crate::rules::RuleSet;
use crate::stages::{Stage, StageName};
use crate::text::chars::is_cjk_punct;

/// A [`chinese_score`] no wrong decode of Chinese text reaches (right decodes score 0.95 and more).
const CONVINCING_SCORE: f64 = 0.9;

/// How many malformed-sequence offsets a report lists.
const MAX_ERROR_OFFSETS: usize = 64;

pub struct Decode {
    /// At most this many content bytes go to chardetng.
    detector_sample: usize,
    /// How much worse (in [`chinese_score`]) a declared charset may read than the detected one
    /// before it is overridden.
    override_margin: f64,
}

impl Decode {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let sample_kib: usize = rules.setting(StageName::Decode, "detector_sample_kib", 4)?;
        Ok(Decode {
            detector_sample: sample_kib.max(1) << 10,
            override_margin: rules.setting(StageName::Decode, "override_margin", 0.25)?,
        })
    }

    /// Decide the encoding of `bytes` and decode them.
    pub fn decode(&self, bytes: &[u8], transport: Option<&str>) -> (String, DecodeReport) {
        let declared = prescan_declared_charset(bytes);
        let mut report = DecodeReport {
            declared: declared.clone(),
            transport: transport.map(str::to_string),
            ..DecodeReport::default()
        };
        if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
            let decoded = decode_counting(encoding, &bytes[bom_len..], bom_len);
            return finish(report, "bom", decoded);
        }
        let claims: Vec<(&str, &'static Encoding)> =
            [("transport", transport), ("declared", declared.as_deref())]
                .into_iter()
                .filter_map(|(how, label)| Some((how, resolve_label(label?)?)))
                .collect();
        if has_non_ascii(bytes) && std::str::from_utf8(bytes).is_ok() {
            if let Some((how, enc)) = claims.iter().find(|(_, e)| *e != UTF_8) {
                report.overridden = Some(format!(
                    "{how} charset {} ignored: the bytes are valid UTF-8",
                    enc.name()
                ));
            }
            return finish(report, "utf8", decode_counting(UTF_8, bytes, 0));
        }
        let mut claimed: Vec<(&str, Decoded)> = claims
            .iter()
            .map(|(how, encoding)| (*how, decode_counting(encoding, bytes, 0)))
            .collect();
        // A claim that decodes cleanly into text that reads as Chinese needs no second opinion,
        // which saves running the detector on most declared pages.
        if let Some(i) = claimed
            .iter()
            .position(|(_, d)| d.errors == 0 && d.score >= CONVINCING_SCORE)
        {
            let (how, decoded) = claimed.swap_remove(i);
            return finish(report, how, decoded);
        }
        let (guess_method, guess) = self.guess(bytes);
        for (how, claimed) in claimed {
            if claimed.encoding == guess.encoding {
                return finish(report, how, claimed);
            }
            match self.claim_loses(&claimed, &guess) {
                None => return finish(report, how, claimed),
                Some(why) => {
                    report.overridden.get_or_insert(format!(
                        "{how} charset {} overridden by {}: {why}",
                        claimed.encoding.name(),
                        guess.encoding.name()
                    ));
                }
            }
        }
        finish(report, guess_method, guess)
    }

    /// chardetng over the whole document, with the near-miss fallback: when its answer is doubtful
    /// (a single-byte encoding for non-ASCII bytes, decode errors, or text that reads poorly as
    /// Chinese), UTF-8, GB18030 and Big5 are decoded too and the clearly better one is kept.
    fn guess(&self, bytes: &[u8]) -> (&'static str, Decoded) {
        let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
        detector.feed(&content_for_detection(bytes, self.detector_sample), true);
        let detected = to_decoder_encoding(detector.guess(None, Utf8Detection::Allow));
        let decoded = decode_counting(detected, bytes, 0);
        let doubtful = detected.is_single_byte() || decoded.errors > 0 || decoded.score < 0.8;
        if !has_non_ascii(bytes) || !doubtful {
            return ("detected", decoded);
        }
        let best = [UTF_8, GB18030, BIG5]
            .into_iter()
            .filter(|e| *e != detected)
            .map(|e| decode_counting(e, bytes, 0))
            .max_by(|a, b| a.quality().total_cmp(&b.quality()))
            .expect("at least two candidates");
        if best.score >= 0.5 && best.quality() > decoded.quality() + 0.05 {
            ("near-miss", best)
        } else {
            ("detected", decoded)
        }
    }

    /// Why a claimed charset loses to the guess, or `None` when the claim stands.
    fn claim_loses(&self, claimed: &Decoded, guess: &Decoded) -> Option<String> {
        if claimed.errors > guess.errors && guess.quality() > claimed.quality() {
            return Some(format!(
                "{} decode errors against {}",
                claimed.errors, guess.errors
            ));
        }
        if guess.errors <= claimed.errors && guess.score >= claimed.score + self.override_margin {
            return Some(format!(
                "reads as Chinese {:.2} against {:.2}",
                claimed.score, guess.score
            ));
        }
        None
    }
}

impl Stage for Decode {
    fn name(&self) -> StageName {
        StageName::Decode
    }

    fn run(&self, doc: &mut Document) {
        let raw = std::mem::take(&mut doc.raw);
        let (text, report) = self.decode(&raw, doc.transport_charset.as_deref());
        doc.report.decode = Some(report);
        match doc.format {
            Format::Html => doc.html = Some(text),
            Format::Text => doc.text = text,
        }
    }
}

/// The bytes the detector needs, at most `limit` of them: every non-ASCII byte and the ASCII byte
/// right after it (a GBK or Big5 trail byte can be ASCII), with the rest of each ASCII run (markup,
/// mostly) shortened to one space. chardetng costs per byte (1.7 MB/s measured on a CJK-dense page)
/// and markup tells it nothing about Chinese text; a bounded sample keeps detection cheap on long
/// pages, and the candidates' quality check after it covers what a sample could miss.
fn content_for_detection(bytes: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(limit.min(bytes.len()));
    let mut previous_high = false;
    let mut in_ascii_run = false;
    for &b in bytes {
        if b >= 0x80 {
            out.push(b);
            previous_high = true;
            in_ascii_run = false;
        } else if previous_high {
            out.push(b);
            previous_high = false;
        } else if !in_ascii_run {
            out.push(b' ');
            in_ascii_run = true;
        }
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// The result of decoding with one encoding.
struct Decoded {
    encoding: &'static Encoding,
    text: String,
    errors: usize,
    error_offsets: Vec<usize>,
    score: f64,
}

impl Decoded {
    /// One number to rank candidates: how Chinese the text reads, less a cost per error.
    fn quality(&self) -> f64 {
        let chars = self.text.chars().filter(|c| !c.is_ascii()).count().max(1);
        self.score - 2.0 * self.errors as f64 / chars as f64
    }
}

fn finish(mut report: DecodeReport, method: &str, decoded: Decoded) -> (String, DecodeReport) {
    report.encoding = decoded.encoding.name().to_string();
    report.method = method.to_string();
    report.errors = decoded.errors;
    report.error_offsets = decoded.error_offsets;
    (decoded.text, report)
}

/// Decode with replacement, counting malformed sequences and where they start (`base` is added to
/// the offsets, for a stripped BOM).
fn decode_counting(encoding: &'static Encoding, bytes: &[u8], base: usize) -> Decoded {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3);
    let mut text = String::with_capacity(capacity);
    let mut errors = 0;
    let mut error_offsets = Vec::new();
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], &mut text, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => break,
            // Each U+FFFD (3 bytes) takes the place of at least one input byte the capacity
            // counted, so this is rare; grow geometrically when it happens.
            DecoderResult::OutputFull => text.reserve(text.capacity().max(64)),
            DecoderResult::Malformed(bad, after) => {
                errors += 1;
                if error_offsets.len() < MAX_ERROR_OFFSETS {
                    error_offsets.push(base + read_total - after as usize - bad as usize);
                }
                if text.capacity() - text.len() < 3 {
                    text.reserve(text.capacity().max(64));
                }
                text.push('\u{FFFD}');
            }
        }
    }
    let score = chinese_score(&text);
    Decoded {
        encoding,
        text,
        errors,
        error_offsets,
        score,
    }
}

/// GBK and GB2312 labels decode as GB18030 (its superset); labels that name no usable decoder
/// (`replacement`, UTF-16 in a byte-oriented declaration) are ignored as WHATWG says.
fn resolve_label(label: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    if encoding == encoding_rs::REPLACEMENT || encoding == encoding_rs::X_USER_DEFINED {
        return None;
    }
    Some(to_decoder_encoding(encoding.output_encoding()))
}

fn to_decoder_encoding(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == GBK { GB18030 } else { encoding }
}

fn has_non_ascii(bytes: &[u8]) -> bool {
    !bytes.is_ascii()
}

/// The share of non-ASCII characters that are common Chinese: the frequent Han characters of
/// GB2312 level 1 and Big5 level 1, and Chinese punctuation. Text decoded with the wrong charset is
/// full of rare characters, so this separates right from wrong decodes in both scripts.
fn chinese_score(text: &str) -> f64 {
    let common = CommonHan::get();
    let (mut good, mut total) = (0usize, 0usize);
    let sample = text
        .chars()
        .filter(|c| !c.is_ascii() && !c.is_whitespace())
        .take(SCORE_SAMPLE_CHARS);
    for c in sample {
        total += 1;
        if common.contains(c) || is_cjk_punct(c) || ('\u{FF01}'..='\u{FF5E}').contains(&c) {
            good += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        good as f64 / total as f64
    }
}

/// Non-ASCII characters [`chinese_score`] reads: enough to tell a right decode from a wrong one.
const SCORE_SAMPLE_CHARS: usize = 8192;

/// The common Han characters as a bitset over the CJK Unified Ideographs block, where all of them
/// are: a lookup per character is on the hot path of every decode.
struct CommonHan {
    bits: Vec<u64>,
}

const CJK_BLOCK: std::ops::RangeInclusive<u32> = 0x4E00..=0x9FFF;

impl CommonHan {
    fn get() -> &'static CommonHan {
        static COMMON: OnceLock<CommonHan> = OnceLock::new();
        COMMON.get_or_init(|| {
            let mut common = CommonHan {
                bits: vec![0; (CJK_BLOCK.end() - CJK_BLOCK.start()) as usize / 64 + 1],
            };
            common.add(GB18030, 0xB0..=0xD7, &[0xA1..=0xFE]);
            common.add(BIG5, 0xA4..=0xC6, &[0x40..=0x7E, 0xA1..=0xFE]);
            common
        })
    }

    /// Every character of level 1 of a double-byte table (its lead and trail byte ranges).
    fn add(
        &mut self,
        encoding: &'static Encoding,
        leads: std::ops::RangeInclusive<u8>,
        trails: &[std::ops::RangeInclusive<u8>],
    ) {
        for lead in leads {
            for trail in trails.iter().flat_map(|r| r.clone()) {
                let pair = [lead, trail];
                let (text, had_errors) = encoding.decode_without_bom_handling(&pair);
                for c in text.chars().filter(|_| !had_errors) {
                    if CJK_BLOCK.contains(&(c as u32)) {
                        let i = (c as u32 - CJK_BLOCK.start()) as usize;
                        self.bits[i / 64] |= 1 << (i % 64);
                    }
                }
            }
        }
    }

    fn contains(&self, c: char) -> bool {
        let code = c as u32;
        CJK_BLOCK.contains(&code) && {
            let i = (code - CJK_BLOCK.start()) as usize;
            self.bits[i / 64] & (1 << (i % 64)) != 0
        }
    }
}

/// The charset a document declares in its first 1024 bytes: `<meta charset>`, `<meta http-equiv
/// content="…; charset=…">` or an XML declaration. html5ever has no prescan (it is given text, not
/// bytes), so this follows the WHATWG prescan's reach: comments are skipped, only `meta` tags and a
/// leading XML declaration count.
pub fn prescan_declared_charset(bytes: &[u8]) -> Option<String> {
    static COMMENT: OnceLock<Regex> = OnceLock::new();
    static META: OnceLock<Regex> = OnceLock::new();
    static CHARSET: OnceLock<Regex> = OnceLock::new();
    static XML: OnceLock<Regex> = OnceLock::new();
    let head = &bytes[..bytes.len().min(1024)];
    let xml = XML.get_or_init(|| {
        Regex::new(r#"(?i-u)^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"#)
            .expect("valid regex")
    });
    if let Some(c) = xml.captures(head) {
        return Some(String::from_utf8_lossy(&c[1]).into_owned());
    }
    let comment =
        COMMENT.get_or_init(|| Regex::new(r"(?s-u)<!--.*?(-->|\z)").expect("valid regex"));
    let head = comment.replace_all(head, &b""[..]);
    let meta = META.get_or_init(|| Regex::new(r"(?i-u)<meta\b[^>]*>?").expect("valid regex"));
    let charset = CHARSET.get_or_init(|| {
        Regex::new(r#"(?i-u)charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"#).expect("valid regex")
    });
    meta.find_iter(&head)
        .find_map(|m| charset.captures(m.as_bytes()))
        .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
}

/// Reject inputs that are not text: empty files and binary files (NUL bytes or many control bytes
/// near the start, unless a UTF-16 BOM explains them).
pub fn check_is_text(bytes: &[u8]) -> Result<(), Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Input("empty document".into()));
    }
    if matches!(Encoding::for_bom(bytes), Some((e, _)) if e != UTF_8) {
        return Ok(());
    }
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(kind) = known_binary_format(head) {
        return Err(Error::Input(format!("binary file ({kind}), not text")));
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C | 0x1B))
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
    use super::*;

    fn decode(bytes: &[u8], transport: Option<&str>) -> (String, DecodeReport) {
        Decode::from_rules(&RuleSet::default())
            .unwrap()
            .decode(bytes, transport)
    }

    const TRAD: &str = "這兩者是截然不同的。雖然都是網上玩的，但性質卻大大不同。那區別在哪裡呢？區別不在地面或網絡的售賣形式上，而在人的行為習慣上。";
    const SIMP: &str = "这两者是截然不同的。虽然都是网上玩的，但性质却大大不同。那区别在哪里呢？区别不在地面或网络的售卖形式上，而在人的行为习惯上。";

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        encoding.encode(text).0.into_owned()
    }

    #[test]
    fn detects_gbk_big5_and_utf8() {
        let (text, report) = decode(&encode(GBK, SIMP), None);
        assert_eq!((text.as_str(), report.encoding.as_str()), (SIMP, "gb18030"));
        let (text, report) = decode(&encode(BIG5, TRAD), None);
        assert_eq!((text.as_str(), report.encoding.as_str()), (TRAD, "Big5"));
        let (text, report) = decode(TRAD.as_bytes(), None);
        assert_eq!((text.as_str(), report.method.as_str()), (TRAD, "utf8"));
    }

    #[test]
    fn a_wrong_declaration_is_overridden_and_reported() {
        let page = format!("<html><head><meta charset=\"utf-8\"></head><body>{SIMP}</body></html>");
        let (text, report) = decode(&encode(GBK, &page), None);
        assert!(text.contains(SIMP));
        assert_eq!(report.declared.as_deref(), Some("utf-8"));
        assert_eq!(report.encoding, "gb18030");
        assert!(report.overridden.unwrap().contains("overridden"));
    }

    #[test]
    fn big5_declared_as_gbk_is_overridden() {
        let page = format!(
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">{TRAD}"
        );
        let (text, report) = decode(&encode(BIG5, &page), None);
        assert!(text.contains(TRAD), "{text}");
        assert_eq!(report.declared.as_deref(), Some("gb2312"));
        assert!(report.overridden.is_some());
    }

    #[test]
    fn a_right_declaration_is_used() {
        let page = format!("<meta charset=gbk>{SIMP}");
        let (_, report) = decode(&encode(GBK, &page), None);
        assert_eq!(
            (report.method.as_str(), report.overridden),
            ("declared", None)
        );
    }

    #[test]
    fn a_lost_byte_still_decodes_as_chinese() {
        let mut bytes = encode(GBK, &format!("{SIMP}\n").repeat(3));
        bytes.remove(40);
        let (text, report) = decode(&bytes, None);
        assert_eq!(report.encoding, "gb18030");
        assert!(text.ends_with("而在人的行为习惯上。\n"), "{text}");
    }

    #[test]
    fn bom_wins_and_errors_are_located() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("好".as_bytes());
        let (text, report) = decode(&bytes, Some("gbk"));
        assert_eq!((text.as_str(), report.method.as_str()), ("好", "bom"));
        let mut bytes = b"<meta charset=utf-8>".to_vec();
        bytes.extend_from_slice(TRAD.as_bytes());
        let at = bytes.len();
        bytes.push(0xFF);
        bytes.extend_from_slice(TRAD.as_bytes());
        let (text, report) = decode(&bytes, None);
        assert_eq!((report.encoding.as_str(), report.errors), ("UTF-8", 1));
        assert_eq!(report.error_offsets, vec![at]);
        assert!(text.contains('\u{FFFD}'));
    }

    #[test]
    fn prescan_finds_declarations_outside_comments() {
        assert_eq!(
            prescan_declared_charset(b"<!-- <meta charset=big5> --><meta charset='GBK'>")
                .as_deref(),
            Some("GBK")
        );
        assert_eq!(
            prescan_declared_charset(b"<?xml version=\"1.0\" encoding=\"big5\"?>").as_deref(),
            Some("big5")
        );
        assert_eq!(prescan_declared_charset(b"<p>charset=gbk</p>"), None);
    }

    #[test]
    fn binary_inputs_are_rejected() {
        assert!(check_is_text(b"\x89PNG\r\n\x1a\n").is_err());
        assert!(check_is_text(b"abc\0def").is_err());
        assert!(check_is_text(b"   \n").is_err());
        assert!(check_is_text("正文".as_bytes()).is_ok());
    }
}
