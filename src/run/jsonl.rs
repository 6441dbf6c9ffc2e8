//! The JSON Lines record contract: one record in, one record out, unknown fields passed through.
//!
//! An input record carries its content in `html` or `text` (strings) or `content_base64` (raw bytes in
//! any charset); a `charset` field, when present, is taken as transport evidence for raw bytes. The
//! output record keeps every other field, puts the cleaned text in `text` and the title in `title`, and
//! the report under `sluice`. A line that cannot be a record becomes an output record with
//! `sluice.error` and `sluice.line`, and the stream goes on.

use std::io::BufRead;

use base64::Engine;
use serde_json::{Map, Value};

use super::input::limit_in_words;
use crate::document::{Document, Format};
use crate::stages::StageName;

/// The content fields, in the order they are looked for.
pub const CONTENT_FIELDS: [&str; 3] = ["html", "text", "content_base64"];

/// The longest line read for a record whose content may be `max_content` bytes: JSON escapes double
/// the size of Chinese text (`\u4e2d` for the three bytes of `中`, as Python's `json.dumps` writes by
/// default), and base64 takes a third more.
pub fn line_limit(max_content: usize) -> usize {
    max_content.saturating_mul(2)
}

/// One line of a stream: its number (1-based, blank lines counted) and its bytes, or its length when
/// it was longer than the limit and was passed over unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub bytes: Result<Vec<u8>, u64>,
}

/// The non-blank lines of a stream, none held longer than `max_line` bytes: a longer line is read
/// past in pieces, so a runaway record takes no more memory than the limit.
pub struct Lines<R> {
    reader: R,
    max_line: u64,
    number: usize,
}

impl Line {
    /// The bytes held in memory for the line.
    pub fn held(&self) -> usize {
        self.bytes.as_ref().map_or(0, Vec::len)
    }

    /// The line's length in bytes, whether it was held or passed over.
    pub fn length(&self) -> usize {
        self.bytes.as_ref().map_or_else(
            |&length| usize::try_from(length).unwrap_or(usize::MAX),
            Vec::len,
        )
    }
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R, max_line: usize) -> Self {
        Lines {
            reader,
            max_line: max_line as u64,
            number: 0,
        }
    }

    /// The next line, blank or not; `None` at the end of the stream.
    fn read_line(&mut self) -> std::io::Result<Option<Line>> {
        let (mut bytes, mut length) = (Vec::new(), 0u64);
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                if length == 0 {
                    return Ok(None);
                }
                break;
            }
            let newline = memchr::memchr(b'\n', available);
            let piece = &available[..newline.unwrap_or(available.len())];
            length += piece.len() as u64;
            if length <= self.max_line {
                bytes.extend_from_slice(piece);
            } else {
                bytes = Vec::new();
            }
            let consumed = piece.len() + usize::from(newline.is_some());
            self.reader.consume(consumed);
            if newline.is_some() {
                break;
            }
        }
        self.number += 1;
        Ok(Some(Line {
            number: self.number,
            bytes: if length <= self.max_line {
                Ok(bytes)
            } else {
                Err(length)
            },
        }))
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = std::io::Result<Line>;

    /// The next line that is not blank.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.read_line() {
                Ok(Some(Line {
                    bytes: Ok(bytes), ..
                })) if bytes.trim_ascii().is_empty() => continue,
                other => return other.transpose(),
            }
        }
    }
}

/// Why a line gave no document, with the other fields of its record when it was one.
#[derive(Debug)]
pub struct Rejected {
    pub fields: Map<String, Value>,
    pub error: String,
}

impl Rejected {
    fn bare(error: impl Into<String>) -> Self {
        Rejected {
            fields: Map::new(),
            error: error.into(),
        }
    }
}

/// The error of a line passed over unread for its length.
fn too_long(length: u64, max_line: usize) -> Rejected {
    Rejected::bare(format!(
        "a line of {length} bytes, over the limit of {} for a record (twice the setting \
         decode.max_input_mib), passed over unread",
        limit_in_words(max_line as u64)
    ))
}

/// Turn a line of a stream into its record (without the content field) and its document: a line
/// passed over for its length is refused. The content may be at most `max_content` bytes.
pub fn parse(line: &Line, max_content: usize) -> Result<(Map<String, Value>, Document), Rejected> {
    match &line.bytes {
        Ok(bytes) => parse_line(bytes, max_content),
        Err(length) => Err(too_long(*length, line_limit(max_content))),
    }
}

/// Turn one line into its record (without the content field) and its document. The content may be
/// at most `max_content` bytes.
fn parse_line(line: &[u8], max_content: usize) -> Result<(Map<String, Value>, Document), Rejected> {
    let text = std::str::from_utf8(line).map_err(|e| {
        Rejected::bare(format!(
            "invalid UTF-8 at byte {} of the line",
            e.valid_up_to()
        ))
    })?;
    let (value, repaired) = parse_json(text).map_err(Rejected::bare)?;
    let Value::Object(mut record) = value else {
        return Err(Rejected::bare("a record must be a JSON object"));
    };
    match take_document(&mut record, max_content) {
        Ok(mut document) => {
            if repaired > 0 {
                document.flag(
                    StageName::Decode,
                    "decode.json-lone-surrogate",
                    format!(
                        "{repaired} escaped lone UTF-16 surrogates (`\\ud800` with no pair), which \
                         are no text, read as U+FFFD so the record keeps its fields"
                    ),
                    None,
                );
            }
            Ok((record, document))
        }
        Err(error) => Err(Rejected {
            fields: record,
            error,
        }),
    }
}

/// Parse a JSON text. serde_json refuses an escaped lone surrogate (`"\ud800"`: valid JSON syntax
/// that is no Unicode text) and has no lenient mode, so when a text fails, its lone surrogates are
/// replaced by `\ufffd` and it is parsed again. Returns the value and how many were replaced.
fn parse_json(text: &str) -> Result<(Value, usize), String> {
    let first = match serde_json::from_str(text) {
        Ok(value) => return Ok((value, 0)),
        Err(e) => format!("invalid JSON: {e}"),
    };
    let (repaired, count) = replace_lone_surrogates(text);
    if count == 0 {
        return Err(first);
    }
    serde_json::from_str(&repaired)
        .map(|value| (value, count))
        .map_err(|_| first)
}

/// `text` with every `\uXXXX` escape of a lone surrogate replaced by `\ufffd`, and how many were.
/// Hand-written (no crate does this): in valid JSON a backslash only starts an escape, so a scan for
/// backslashes finds every escape.
fn replace_lone_surrogates(text: &str) -> (String, usize) {
    let bytes = text.as_bytes();
    let (mut out, mut copied, mut count) = (String::new(), 0, 0);
    let mut at = 0;
    while let Some(found) = bytes.get(at..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let escape = at + found;
        at = escape + 2;
        let Some(unit) = escaped_unit(bytes, escape) else {
            continue;
        };
        at = escape + 6;
        let paired = (0xD800..0xDC00).contains(&unit)
            && escaped_unit(bytes, at).is_some_and(|low| (0xDC00..0xE000).contains(&low));
        if paired {
            at += 6;
        } else if (0xD800..0xE000).contains(&unit) {
            out.push_str(&text[copied..escape]);
            out.push_str("\\ufffd");
            copied = at;
            count += 1;
        }
    }
    out.push_str(&text[copied..]);
    (out, count)
}

/// The code unit of a `\uXXXX` escape at `at`.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    if !escape.starts_with(b"\\u") {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(&escape[2..]).ok()?, 16).ok()
}

/// Take the content field out of a record and make it a document of at most `max_content` bytes.
fn take_document(record: &mut Map<String, Value>, max_content: usize) -> Result<Document, String> {
    let field = *CONTENT_FIELDS
        .iter()
        .find(|f| record.contains_key(**f))
        .ok_or("no content field (html, text or content_base64)")?;
    let Some(Value::String(content)) = record.shift_remove(field) else {
        return Err(format!("`{field}` must be a string"));
    };
    let mut doc = match field {
        "html" => {
            check_size(content.len(), max_content)?;
            let mut doc = Document::from_text("");
            doc.format = Format::Html;
            doc.html = Some(content);
            doc
        }
        "text" => {
            check_size(content.len(), max_content)?;
            Document::from_text(content)
        }
        _ => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content.trim())
                .map_err(|e| format!("`content_base64` is not base64: {e}"))?;
            check_size(bytes.len(), max_content)?;
            let format = Format::sniff(&bytes);
            Document::from_bytes(bytes, format)
        }
    };
    doc.transport_charset = record
        .get("charset")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(doc)
}

fn check_size(length: usize, max_content: usize) -> Result<(), String> {
    if length > max_content {
        return Err(format!(
            "{length} bytes of content, over the limit of {} (setting decode.max_input_mib)",
            limit_in_words(max_content as u64)
        ));
    }
    Ok(())
}

/// The output record: the input's fields without its content field, plus `fields` (text, title,
/// sluice report…).
pub fn output_record(
    mut record: Map<String, Value>,
    fields: impl IntoIterator<Item = (String, Value)>,
) -> Map<String, Value> {
    for field in CONTENT_FIELDS {
        record.shift_remove(field);
    }
    record.extend(fields);
    record
}

/// The output record for a line that gave no cleaned document: the record's fields when it had
/// any, and `sluice.error` and `sluice.line` (1-based).
pub fn error_record(rejected: Rejected, line: usize) -> Map<String, Value> {
    let report = Value::Object(Map::from_iter([
        ("error".to_string(), Value::String(rejected.error)),
        ("line".to_string(), Value::from(line)),
    ]));
    output_record(rejected.fields, [("sluice".to_string(), report)])
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    const LIMIT: usize = 1 << 20;

    fn parse(line: &str) -> Result<(Map<String, Value>, Document), Rejected> {
        parse_line(line.as_bytes(), LIMIT)
    }

    #[test]
    fn reads_each_content_field() {
        let (record, doc) = parse(r#"{"id":1,"text":"正文"}"#).unwrap();
        assert_eq!(doc.text, "正文");
        assert_eq!(Value::Object(record), serde_json::json!({"id": 1}));
        let (_, doc) = parse(r#"{"html":"<p>正文</p>"}"#).unwrap();
        assert_eq!(doc.html.as_deref(), Some("<p>正文</p>"));
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xD5, 0xFD, 0xCE, 0xC4]);
        let (_, doc) = parse(&format!(r#"{{"content_base64":"{b64}","charset":"gbk"}}"#)).unwrap();
        assert_eq!(doc.raw, vec![0xD5, 0xFD, 0xCE, 0xC4]);
        assert_eq!(doc.transport_charset.as_deref(), Some("gbk"));
    }

    #[test]
    fn bad_records_say_why_and_keep_their_fields() {
        assert!(parse("{").unwrap_err().error.contains("invalid JSON"));
        assert!(
            parse(r#"{"id":2}"#)
                .unwrap_err()
                .error
                .contains("no content")
        );
        let rejected = parse(r#"{"id":2,"text":3}"#).unwrap_err();
        assert_eq!(rejected.error, "`text` must be a string");
        let out = error_record(rejected, 7);
        assert_eq!(out["id"], 2);
        assert!(!out.contains_key("text"));
        assert_eq!(out["sluice"]["error"], "`text` must be a string");
        assert_eq!(out["sluice"]["line"], 7);
        let err = parse_line(b"{\"text\":\"\xff\"}", LIMIT).unwrap_err().error;
        assert_eq!(err, "invalid UTF-8 at byte 9 of the line");
    }

    #[test]
    fn content_over_the_limit_is_refused_with_the_record_s_fields() {
        let text = "正".repeat(400_000);
        let rejected = parse(&format!(r#"{{"id":3,"text":"{text}"}}"#)).unwrap_err();
        assert!(
            rejected.error.contains("decode.max_input_mib"),
            "{}",
            rejected.error
        );
        assert_eq!(rejected.fields["id"], 3);
        let b64 = base64::engine::general_purpose::STANDARD.encode(text);
        let rejected = parse(&format!(r#"{{"content_base64":"{b64}"}}"#)).unwrap_err();
        assert!(
            rejected.error.starts_with("1200000 bytes of content"),
            "{}",
            rejected.error
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters_and_pairs_stay() {
        let text_of = |line: &str| {
            let (repaired, count) = replace_lone_surrogates(line);
            let value: Value = serde_json::from_str(&repaired).unwrap();
            (count, value["text"].as_str().unwrap().to_string())
        };
        assert_eq!(text_of(r#"{"text":"a\ud800b"}"#), (1, "a\u{FFFD}b".into()));
        assert_eq!(
            text_of(r#"{"text":"\udc00\ud83d"}"#),
            (2, "\u{FFFD}\u{FFFD}".into())
        );
        assert_eq!(
            text_of(r#"{"text":"\ud83d\ude00\u4e2d"}"#),
            (0, "😀中".into())
        );
        assert_eq!(text_of(r#"{"text":"\\ud800"}"#), (0, "\\ud800".into()));
        let (record, doc) = parse(r#"{"id":"s","text":"正文\ud800。"}"#).unwrap();
        assert_eq!(
            (record["id"].as_str(), doc.text.as_str()),
            (Some("s"), "正文\u{FFFD}。")
        );
        assert_eq!(doc.report.flags[0].rule, "decode.json-lone-surrogate");
        // Still invalid JSON after the repair, or a backslash at the very end: the first error.
        for line in [r#"{"text":"\ud800""#, r#"{"text":"\ud800\"#] {
            assert!(
                parse(line).unwrap_err().error.contains("invalid JSON"),
                "{line}"
            );
        }
    }

    /// A stream of `'x'` bytes with a newline after the first `length`, then a short line.
    fn long_line_then(length: usize) -> impl BufRead {
        std::io::BufReader::new(
            std::io::repeat(b'x')
                .take(length as u64)
                .chain(&b"\n{\"text\":\"a\"}"[..]),
        )
    }

    #[test]
    fn lines_are_numbered_blank_ones_skipped_and_long_ones_passed_over() {
        let input = b"{\"a\":1}\r\n\n   \n{\"b\":2}";
        let lines: Vec<Line> = Lines::new(&input[..], 100).map(Result::unwrap).collect();
        assert_eq!(
            lines,
            [
                Line {
                    number: 1,
                    bytes: Ok(b"{\"a\":1}\r".to_vec())
                },
                Line {
                    number: 4,
                    bytes: Ok(b"{\"b\":2}".to_vec())
                },
            ]
        );
        // 64 MiB in one line against a 1 MiB limit: passed over, never held.
        let mut lines = Lines::new(long_line_then(64 << 20), 1 << 20);
        assert_eq!(lines.next().unwrap().unwrap().bytes, Err(64 << 20));
        assert_eq!(
            lines.next().unwrap().unwrap().bytes,
            Ok(b"{\"text\":\"a\"}".to_vec())
        );
        assert!(lines.next().is_none());
        assert!(
            too_long(64 << 20, 1 << 20)
                .error
                .contains("passed over unread")
        );
        assert_eq!(line_limit(LIMIT), 2 * LIMIT);
    }
}
