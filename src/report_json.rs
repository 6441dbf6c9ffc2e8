//! The JSON report of a document: the one shape every output writes, whether `clean --format json`,
//! the sidecar reports of an output tree, the `sluice` object of a JSON Lines record, or a repair.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::document::{BlockKind, Format};
use crate::pipeline::Cleaned;
use crate::report::{DecodeReport, Edit, Flag, HtmlAccounting, Report};
use crate::stages::StageName;

/// A document's report as JSON. Each output leaves out what it carries elsewhere: the JSON Lines
/// record holds the text and the title beside its `sluice` report, a repair has no layout.
///
/// [`ReportJson::to_value`] is the only way it is written: through a JSON map, whose keys are sorted,
/// so a report read back and rewritten (an output tree adds `duplicates` at the end of a run) is
/// byte for byte the report one pass would have written.
#[derive(Debug, Clone, Serialize)]
pub struct ReportJson<'a> {
    /// How messages name the document (a path, `-`, `crawl.warc#3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// The cleaned text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// The title: `null` for a cleaned document without one, left out where it is not part of the
    /// report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Option<&'a str>>,
    /// Whether the input was HTML or text; left out of repairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// The kind of each line of the text, when the input was typed (HTML).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub kinds: &'a [BlockKind],
    /// The encoding the bytes were decoded from (`null` for text given already decoded).
    pub encoding: Option<&'a str>,
    /// How the encoding was decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode: Option<&'a DecodeReport>,
    /// The stages that ran, in order.
    pub stages: &'a [StageName],
    /// Every edit, in the order made.
    pub edits: &'a [Edit],
    /// What the stages noticed and left alone.
    pub flags: &'a [Flag],
    /// What the `html` stage left out of a page's text, by byte ranges of the decoded markup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<&'a HtmlAccounting>,
    /// Where a WARC record came from.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<&'a Provenance>,
}

/// Where a document read from a WARC file came from: its record's `WARC-Target-URI` and
/// `WARC-Record-ID` (`null` when the record has none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The record's target URI.
    pub url: Option<String>,
    /// The record's id.
    pub warc_record_id: Option<String>,
}

/// The `duplicates` entry of a cluster member's report in an output tree.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicates {
    /// The cluster's number.
    pub cluster: usize,
    /// Whether this document is the copy kept.
    pub kept: bool,
    /// How messages name the copy kept.
    pub kept_copy: String,
    /// Estimated Jaccard similarity with the copy kept.
    pub similarity: Option<f64>,
    /// Whether this document's text was written.
    pub written: bool,
}

impl<'a> ReportJson<'a> {
    /// What a report says about the changes made: the report of a repair.
    pub fn of_report(report: &'a Report) -> Self {
        ReportJson {
            source: None,
            text: None,
            title: None,
            format: None,
            kinds: &[],
            encoding: report.decode.as_ref().map(|d| d.encoding.as_str()),
            decode: report.decode.as_ref(),
            stages: &report.stages,
            edits: &report.edits,
            flags: &report.flags,
            html: report.html.as_ref(),
            provenance: None,
        }
    }

    /// The report of a cleaned document, with its title and layout but not its text.
    pub fn of_cleaned(cleaned: &'a Cleaned) -> Self {
        ReportJson {
            title: Some(cleaned.title.as_deref()),
            format: Some(cleaned.format),
            kinds: &cleaned.kinds,
            ..Self::of_report(&cleaned.report)
        }
    }

    /// The report as a JSON object, keys sorted at every level.
    pub fn to_value(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // A struct of strings, numbers and lists always serializes to an object.
            _ => unreachable!("a report serializes to a JSON object"),
        }
    }
}

/// Add an output tree's `duplicates` entry to a report read back from its file.
pub(crate) fn add_duplicates(report: &mut Map<String, Value>, entry: &Duplicates) {
    report.insert("duplicates".into(), json_of(entry));
}

/// Mark a JSON Lines report as a later copy of record `first` (0-based, first seen wins).
pub(crate) fn add_duplicate_of(report: &mut Map<String, Value>, first: u64) {
    report.insert("duplicate_of".into(), Value::from(first));
}

fn json_of(entry: &Duplicates) -> Value {
    serde_json::to_value(entry).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pipeline, RuleSet};

    #[test]
    fn a_cleaned_report_has_its_layout_and_a_repair_report_does_not() {
        let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let cleaned = pipeline.clean("標題\n\n正文，內容。".as_bytes()).unwrap();
        let report = ReportJson::of_cleaned(&cleaned).to_value();
        let keys: Vec<&str> = report.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "decode", "edits", "encoding", "flags", "format", "stages", "title"
            ]
        );
        assert_eq!(report["title"], "標題");
        let repair = ReportJson::of_report(&cleaned.report).to_value();
        assert!(!repair.contains_key("title") && !repair.contains_key("format"));
        let with_source = ReportJson {
            source: Some("a.txt"),
            provenance: Some(&Provenance::default()),
            ..ReportJson::of_cleaned(&cleaned)
        }
        .to_value();
        assert_eq!(with_source["source"], "a.txt");
        assert!(with_source["url"].is_null() && with_source["warc_record_id"].is_null());
    }
}
