//! JSON shapes of results, shared by `clean --format json`, sidecar reports and JSON Lines.

use serde_json::{Map, Value, json};
use sluice::{Cleaned, Report};

/// The report fields of a cleaned document: everything but the text.
pub fn report_fields(cleaned: &Cleaned) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("title".into(), json!(cleaned.title));
    fields.insert("format".into(), json!(cleaned.format));
    if !cleaned.kinds.is_empty() {
        fields.insert("kinds".into(), json!(cleaned.kinds));
    }
    fields.extend(report_only(&cleaned.report));
    fields
}

/// The fields of a report alone (for repairs, which have no title or layout).
pub fn report_only(report: &Report) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert(
        "encoding".into(),
        json!(report.decode.as_ref().map(|d| &d.encoding)),
    );
    if let Some(decode) = &report.decode {
        fields.insert("decode".into(), json!(decode));
    }
    fields.insert("stages".into(), json!(report.stages));
    fields.insert("edits".into(), json!(report.edits));
    fields.insert("flags".into(), json!(report.flags));
    fields
}

/// `sluice clean FILE --format json`: the text and the whole report in one object.
pub fn document_json(cleaned: &Cleaned, source: &str) -> Value {
    let mut object = Map::new();
    object.insert("source".into(), json!(source));
    object.insert("text".into(), json!(cleaned.text));
    object.extend(report_fields(cleaned));
    Value::Object(object)
}
