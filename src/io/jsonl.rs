//! The JSON Lines record contract: one record in, one record out, unknown fields passed through.
//!
//! An input record carries its content in `html` or `text` (strings) or `content_base64` (raw bytes in
//! any charset); a `charset` field, when present, is taken as transport evidence for raw bytes. The
//! output record keeps every other field, puts the cleaned text in `text` and the title in `title`, and
//! the report under `sluice`.

use base64::Engine;
use serde_json::{Map, Value};

use crate::document::{Document, Format};

/// The content fields, in the order they are looked for.
pub const CONTENT_FIELDS: [&str; 3] = ["html", "text", "content_base64"];

/// Turn one JSON line into a document, or say why it can't be.
pub fn parse_record(line: &str) -> Result<(Map<String, Value>, Document), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(record) = value else {
        return Err("a record must be a JSON object".into());
    };
    let document = document_of(&record)?;
    Ok((record, document))
}

fn document_of(record: &Map<String, Value>) -> Result<Document, String> {
    let field = CONTENT_FIELDS
        .iter()
        .find(|f| record.contains_key(**f))
        .ok_or("no content field (html, text or content_base64)")?;
    let content = record[*field]
        .as_str()
        .ok_or_else(|| format!("`{field}` must be a string"))?;
    let mut doc = match *field {
        "html" => {
            let mut doc = Document::from_text("");
            doc.format = Format::Html;
            doc.html = Some(content.to_string());
            doc
        }
        "text" => Document::from_text(content),
        _ => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content.trim())
                .map_err(|e| format!("`content_base64` is not base64: {e}"))?;
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

/// The output record: the input's fields without its content field, plus `fields` (text, title,
/// sluice report…).
pub fn output_record(
    mut record: Map<String, Value>,
    fields: impl IntoIterator<Item = (String, Value)>,
) -> Map<String, Value> {
    for field in CONTENT_FIELDS {
        record.remove(field);
    }
    record.extend(fields);
    record
}

/// The output record for a line that could not be processed: its fields when it was an object, and
/// `sluice.error`.
pub fn error_record(line: &str, error: &str) -> Map<String, Value> {
    let record = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(record)) => record,
        _ => Map::new(),
    };
    let report = Value::Object(Map::from_iter([(
        "error".to_string(),
        Value::String(error.to_string()),
    )]));
    output_record(record, [("sluice".to_string(), report)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_content_field() {
        let (_, doc) = parse_record(r#"{"id":1,"text":"正文"}"#).unwrap();
        assert_eq!(doc.text, "正文");
        let (_, doc) = parse_record(r#"{"html":"<p>正文</p>"}"#).unwrap();
        assert_eq!(doc.html.as_deref(), Some("<p>正文</p>"));
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xD5, 0xFD, 0xCE, 0xC4]);
        let (_, doc) =
            parse_record(&format!(r#"{{"content_base64":"{b64}","charset":"gbk"}}"#)).unwrap();
        assert_eq!(doc.raw, vec![0xD5, 0xFD, 0xCE, 0xC4]);
        assert_eq!(doc.transport_charset.as_deref(), Some("gbk"));
    }

    #[test]
    fn bad_records_say_why_and_keep_their_fields() {
        assert!(parse_record("{").unwrap_err().contains("invalid JSON"));
        assert!(
            parse_record(r#"{"id":2}"#)
                .unwrap_err()
                .contains("no content")
        );
        let out = error_record(r#"{"id":2,"text":3}"#, "`text` must be a string");
        assert_eq!(out["id"], 2);
        assert!(!out.contains_key("text"));
        assert_eq!(out["sluice"]["error"], "`text` must be a string");
    }
}
