//! `decode`: bytes → UTF-8 text.
//!
//! Order of evidence: a byte-order mark; the code-unit pattern of UTF-16 or UTF-32 without one;
//! valid UTF-8 that has non-ASCII bytes; then the charset the transport header and the document
//! itself declare, each checked against a guess: the escapes of a 7-bit encoding (ISO-2022-CN,
//! HZ), or chardetng's answer, with the candidates that answer can miss (UTF-8, GB18030 and Big5
//! for a page that lost a byte, EUC-TW for CNS bytes GB18030 reads without an error) compared by
//! how well their decodings read as Chinese. A declaration is evidence, not an order: it is
//! overridden when it decodes with errors, or reads far less like Chinese than the guess does.
//! The report names the method and the evidence.

mod charset;
mod cns;
mod iso2022;
mod prescan;
mod score;
mod text_check;
mod unicode;

use std::sync::Arc;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};

use crate::document::Document;
use crate::error::RuleError;
use crate::report::DecodeReport;
use crate::rules::RuleSet;
use crate::rules::settings::DecodeSettings;
use crate::stages::Stage;
use crate::text::lm::LanguageModel;
use crate::types::Format;
use crate::types::StageName;

use charset::{Charset, Decoded, LabelSource};
pub use prescan::prescan_declared_charset;
use score::{CONVINCING_SCORE, PLAUSIBLE_SCORE, READS_WELL};
pub use text_check::check_is_text;
pub use unicode::markup_head;

/// How much better per character the language model must find one clean decoding than another,
/// in natural-log units: a right decoding reads as words, a wrong one as unrelated characters
/// (several units worse).
const LANGUAGE_MODEL_MARGIN: f64 = 1.0;

/// Characters of each decoding the language model reads: enough to tell text from unrelated
/// characters, and a bound on its cost.
const LANGUAGE_MODEL_SAMPLE: usize = 1000;

/// How much better (in [`Decoded::quality`]) another candidate must read than chardetng's answer
/// to replace it.
const CANDIDATE_MARGIN: f64 = 0.05;

/// The `decode` stage: a document's bytes to UTF-8 text.
pub struct Decode {
    /// At most this many content bytes go to chardetng.
    detector_sample: usize,
    /// How much worse (in [`score::chinese_score`]) a declared charset may read than the detected
    /// one before it is overridden.
    override_margin: f64,
    /// The rule set's word model, which decides between EUC-TW and another clean decoding.
    model: Arc<LanguageModel>,
}

/// The decision: a decoding, how it was chosen and what showed it.
struct Verdict {
    method: &'static str,
    decoded: Decoded,
    evidence: Option<String>,
}

impl Verdict {
    fn new(method: &'static str, decoded: Decoded) -> Self {
        Verdict {
            method,
            decoded,
            evidence: None,
        }
    }

    fn because(mut self, evidence: String) -> Self {
        self.evidence = Some(evidence);
        self
    }
}

impl Decode {
    /// The stage with the `[settings.decode]` of `rules` and its word model.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let settings: DecodeSettings = rules.settings()?;
        cns::check_table()?;
        Ok(Decode {
            detector_sample: settings.detector_sample_kib.max(1) << 10,
            override_margin: settings.override_margin,
            model: rules.resources()?.model,
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
        let verdict = self.decide(bytes, transport, declared.as_deref(), &mut report);
        report.encoding = verdict.decoded.charset.name().to_string();
        report.method = verdict.method.to_string();
        report.evidence = verdict.evidence;
        report.errors = verdict.decoded.errors;
        report.error_offsets = verdict.decoded.error_offsets;
        (verdict.decoded.text, report)
    }

    fn decide(
        &self,
        bytes: &[u8],
        transport: Option<&str>,
        declared: Option<&str>,
        report: &mut DecodeReport,
    ) -> Verdict {
        if let Some((charset, bom_len)) = unicode::bom(bytes) {
            // Every mark at the start goes (files joined, a mark written before a mark): a U+FEFF
            // left there would be taken as the mark by the next decoding, so a repair's output
            // would change when repaired again.
            let mark = &bytes[..bom_len];
            let marks = bytes.chunks(bom_len).take_while(|c| *c == mark).count() * bom_len;
            return Verdict::new("bom", charset.decode(&bytes[marks..], marks))
                .because(format!("{} byte-order mark", charset.name()));
        }
        if let Some(wide) = unicode::detect_without_bom(bytes) {
            return Verdict::new("pattern", wide.charset.decode(bytes, 0)).because(wide.evidence);
        }
        let claims: Vec<(&'static str, Charset)> = [
            ("transport", transport, LabelSource::Transport),
            ("declared", declared, LabelSource::Document),
        ]
        .into_iter()
        .filter_map(|(how, label, source)| Some((how, Charset::for_label(label?, source)?)))
        .collect();
        if let Some(text) = std::str::from_utf8(bytes).ok().filter(|t| !t.is_ascii()) {
            if let Some((how, charset)) = claims.iter().find(|(_, c)| *c != Charset::UTF_8) {
                report.overridden = Some(format!(
                    "{how} charset {} ignored: the bytes are valid UTF-8",
                    charset.name()
                ));
            }
            return Verdict::new("utf8", Decoded::utf8(text));
        }
        let mut claimed: Vec<(&'static str, Decoded)> = claims
            .iter()
            .map(|(how, charset)| (*how, charset.decode(bytes, 0)))
            .collect();
        // A claim that decodes cleanly into text that reads as Chinese needs no second opinion,
        // which saves running the detector on most declared pages.
        if let Some(i) = claimed
            .iter()
            .position(|(_, d)| d.errors == 0 && d.score >= CONVINCING_SCORE)
        {
            let (how, decoded) = claimed.swap_remove(i);
            return Verdict::new(how, decoded);
        }
        let guess = self.guess(bytes);
        for (how, claimed) in claimed {
            if claimed.charset == guess.decoded.charset {
                return Verdict::new(how, claimed);
            }
            match self.claim_loses(&claimed, &guess.decoded) {
                None => return Verdict::new(how, claimed),
                Some(why) => {
                    report.overridden.get_or_insert(format!(
                        "{how} charset {} overridden by {}: {why}",
                        claimed.charset.name(),
                        guess.decoded.charset.name()
                    ));
                }
            }
        }
        guess
    }

    /// The guess without a declaration: the escapes of a 7-bit encoding, else chardetng over a
    /// sample of the content, with the candidates it can miss decoded too when its answer is
    /// doubtful (a single-byte encoding for non-ASCII bytes, decode errors, or text that reads
    /// poorly as Chinese) or EUC-TW is possible; the clearly better one is kept.
    fn guess(&self, bytes: &[u8]) -> Verdict {
        if !has_non_ascii(bytes)
            && let Some(verdict) = seven_bit(bytes)
        {
            return verdict;
        }
        let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
        detector.feed(&content_for_detection(bytes, self.detector_sample), true);
        let detected = Charset::from_whatwg(detector.guess(None, Utf8Detection::Allow));
        let decoded = detected.decode(bytes, 0);
        if !has_non_ascii(bytes) {
            return detected_verdict(decoded);
        }
        let four_byte = cns::four_byte_sequences(bytes);
        let euc_tw_possible = detected != Charset::EucTw && cns::could_be_euc_tw(bytes);
        if euc_tw_possible
            && decoded.errors == 0
            && decoded.score >= READS_WELL
            && cns::decodes_cleanly(bytes)
            && let Some(verdict) = euc_tw_by_language_model(&self.model, bytes, &decoded, four_byte)
        {
            return verdict;
        }
        // No decoding reads better than perfectly, so a good enough answer cannot be beaten by
        // the margin and the candidates are not decoded (a long UTF-8 page with one stray byte
        // would pay for two decodings full of errors).
        if decoded.quality() + CANDIDATE_MARGIN >= 1.0 {
            return detected_verdict(decoded);
        }
        let doubtful =
            detected.is_single_byte() || decoded.errors > 0 || decoded.score < READS_WELL;
        let euc_tw = euc_tw_possible && (four_byte > 0 || decoded.score < CONVINCING_SCORE);
        let near_misses = [
            Charset::UTF_8,
            Charset::GB18030,
            Charset::Whatwg(encoding_rs::BIG5),
        ];
        let candidates = near_misses
            .into_iter()
            .filter(|c| doubtful && *c != detected)
            .chain(euc_tw.then_some(Charset::EucTw));
        let best = candidates
            .map(|c| c.decode(bytes, 0))
            .reduce(|a, b| if b.quality() > a.quality() { b } else { a });
        match best {
            Some(best)
                if best.score >= PLAUSIBLE_SCORE
                    && best.quality() > decoded.quality() + CANDIDATE_MARGIN =>
            {
                candidate_verdict(best, &decoded, four_byte)
            }
            _ => detected_verdict(decoded),
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

/// A candidate that read clearly better than chardetng's answer, with both figures.
fn candidate_verdict(best: Decoded, detected: &Decoded, four_byte: usize) -> Verdict {
    let mut evidence = format!(
        "reads as Chinese {:.2} with {} decode errors, against {:.2} with {} as {}",
        best.score,
        best.errors,
        detected.score,
        detected.errors,
        detected.charset.name()
    );
    let method = if best.charset == Charset::EucTw {
        if four_byte > 0 {
            evidence.push_str(&format!(
                "; {four_byte} four-byte EUC-TW sequences (8E A1–A7 …)"
            ));
        }
        "detected"
    } else {
        "near-miss"
    };
    Verdict::new(method, best).because(evidence)
}

/// EUC-TW against another clean decoding that reads as Chinese too (short texts of common
/// characters can: the CNS rows of frequent characters overlap GB 2312 level 1): the language
/// model decides, by a clear margin.
fn euc_tw_by_language_model(
    model: &LanguageModel,
    bytes: &[u8],
    other: &Decoded,
    four_byte: usize,
) -> Option<Verdict> {
    let euc_tw = Charset::EucTw.decode(bytes, 0);
    if euc_tw.score < READS_WELL {
        return None;
    }
    let per_char = |text: &str| {
        let sample: String = text.chars().take(LANGUAGE_MODEL_SAMPLE).collect();
        model.score_per_char(&sample)
    };
    let (ours, theirs) = (per_char(&euc_tw.text), per_char(&other.text));
    if ours <= theirs + LANGUAGE_MODEL_MARGIN {
        return None;
    }
    let evidence = format!(
        "decodes cleanly as EUC-TW and as {}, both reading as Chinese ({:.2}, {:.2}); the language \
         model prefers EUC-TW, {ours:.1} against {theirs:.1} per character; {four_byte} four-byte \
         EUC-TW sequences",
        other.charset.name(),
        euc_tw.score,
        other.score
    );
    Some(Verdict::new("detected", euc_tw).because(evidence))
}

fn detected_verdict(decoded: Decoded) -> Verdict {
    let evidence = format!("chardetng; reads as Chinese {:.2}", decoded.score);
    Verdict::new("detected", decoded).because(evidence)
}

/// ISO-2022-CN or HZ when their escapes are there and the decoding reads as Chinese with few
/// errors (a lost byte misreads one run): plain ASCII text with a stray `~{` decodes into rare
/// characters and errors.
fn seven_bit(bytes: &[u8]) -> Option<Verdict> {
    let (charset, escapes) = iso2022::recognise(bytes)?;
    let decoded = charset.decode(bytes, 0);
    if decoded.quality() < PLAUSIBLE_SCORE {
        return None;
    }
    let evidence = format!(
        "{escapes}; reads as Chinese {:.2} with {} decode errors",
        decoded.score, decoded.errors
    );
    Some(Verdict::new("escapes", decoded).because(evidence))
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

fn has_non_ascii(bytes: &[u8]) -> bool {
    !bytes.is_ascii()
}

#[cfg(test)]
mod tests {
    use encoding_rs::{BIG5, Encoding, GBK};

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
    fn every_mark_at_the_start_goes() {
        let bytes = [
            &[0xEF, 0xBB, 0xBF][..],
            &[0xEF, 0xBB, 0xBF],
            "好\u{feff}".as_bytes(),
        ]
        .concat();
        let (text, report) = decode(&bytes, None);
        assert_eq!(
            (text.as_str(), report.method.as_str()),
            ("好\u{feff}", "bom")
        );
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
    fn short_euc_tw_that_gb18030_reads_cleanly_goes_to_the_language_model() {
        // 苦呀！苦呀！苦呀！ in EUC-TW; GB18030 reads 雍稍—雍稍—雍稍— without an error.
        let bytes = b"\xD3\xBA\xC9\xD4\xA1\xAA".repeat(3);
        let (text, report) = decode(&bytes, None);
        assert_eq!(text, "苦呀！苦呀！苦呀！");
        assert_eq!(report.encoding, "EUC-TW");
        assert!(report.evidence.unwrap().contains("language model"));
        // And GB 2312 text stays GB18030.
        let (text, report) = decode(&encode(GBK, SIMP), None);
        assert_eq!((text.as_str(), report.encoding.as_str()), (SIMP, "gb18030"));
    }

    #[test]
    fn seven_bit_escapes_beat_a_wrong_declaration() {
        let page = b"<meta charset=utf-8>~{VPND~}~{VPND~}";
        let (text, report) = decode(page, None);
        assert!(text.ends_with("中文中文"), "{text}");
        assert_eq!(report.method, "escapes");
        assert!(
            report
                .overridden
                .unwrap()
                .contains("UTF-8 overridden by HZ-GB-2312")
        );
        let (text, report) = decode(b"a ~{ tilde in plain text ~} here", None);
        assert_eq!(
            (text.as_str(), report.method.as_str()),
            ("a ~{ tilde in plain text ~} here", "detected")
        );
    }

    #[test]
    fn adversarial_bytes_neither_panic_nor_misplace_errors() {
        // Bytes that start or cut the sequences of every decoder: escapes, shifts, tildes, SS2,
        // byte-order marks, surrogates, markup of the prescan.
        const ALPHABET: &[u8] = b"\x00\x0E\x0F\x1B$)(*+AGHIMNO~{}\n<!-/>meta charset=\"'\x8E\xA1\xA2\xC4\xE3\xD8\xDC\xFE\xFF\xEF\xBB\xBF";
        let stage = Decode::from_rules(&RuleSet::default()).unwrap();
        let mut rng = fastrand::Rng::with_seed(2026);
        for _ in 0..3000 {
            let len = rng.usize(0..200);
            let bytes: Vec<u8> = (0..len)
                .map(|_| match rng.u8(0..4) {
                    0 => rng.u8(..),
                    _ => ALPHABET[rng.usize(..ALPHABET.len())],
                })
                .collect();
            let _ = check_is_text(&bytes);
            let _ = Format::sniff(&bytes);
            let (_, report) = stage.decode(&bytes, Some("iso-2022-cn"));
            assert!(
                report.error_offsets.iter().all(|&at| at < bytes.len()),
                "{bytes:?}: {report:?}"
            );
        }
    }
}
