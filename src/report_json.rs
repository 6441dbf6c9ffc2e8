//! The JSON report of a document: the one shape every output writes, whether `clean --format json`,
//! the sidecar reports of an output tree, the `sluice` object of a JSON Lines record, or a repair.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::document::{BlockKind, Format};
use crate::error::RuleError;
use crate::pipeline::Cleaned;
use crate::report::{DecodeReport, Edit, Flag, HtmlAccounting, Report};
use crate::rules::RuleSet;
use crate::stages::StageName;

/// A document's report as JSON. Each output leaves out what it carries elsewhere: the JSON Lines
/// record holds the text and the title beside its `sluice` report, a repair has no layout.
///
/// [`ReportJson::to_value`] is the only way it is written: through a JSON map whose keys it sorts,
/// at every level, so a report read back and rewritten (an output tree adds `duplicates` at the end
/// of a run) is byte for byte the report one pass would have written.
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
    /// Which sluice, rules and settings made the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<&'a RunInfo>,
}

/// Which sluice and which rules made a report or a summary: the version, a digest of every rule and
/// data file ([`RuleSet::digest`]) and a digest of the settings in effect (the summary lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    /// sluice's version.
    pub version: &'static str,
    /// The rule set's digest.
    pub rules: String,
    /// The digest of `settings` (XXH3-128 of its JSON, keys sorted).
    pub settings_digest: String,
    /// Every stage setting in effect (`stage.name`), and the run's own options (`run.name`).
    #[serde(skip)]
    pub settings: Map<String, Value>,
}

impl RunInfo {
    /// The provenance of a run with `rules`.
    pub fn new(rules: &RuleSet) -> Result<Self, RuleError> {
        let mut settings = Map::new();
        for stage in StageName::ALL {
            for described in rules.describe_settings(stage)? {
                let value = described.value.as_deref().map_or(Value::Null, toml_to_json);
                settings.insert(format!("{stage}.{}", described.name), value);
            }
        }
        Ok(RunInfo {
            version: env!("CARGO_PKG_VERSION"),
            rules: rules.digest(),
            settings_digest: String::new(),
            settings,
        }
        .sealed())
    }

    /// The digest of the settings as they now are, with the settings sorted by name.
    fn sealed(mut self) -> Self {
        self.settings.sort_keys();
        self.settings_digest = digest_of(&self.settings);
        self
    }

    /// With one of the run's own options (`run.keep_duplicates` …) among the settings.
    pub fn option(mut self, name: &str, value: Value) -> Self {
        self.settings.insert(format!("run.{name}"), value);
        self.sealed()
    }

    /// The summary's `run` entry: the digests with the settings themselves.
    pub fn with_settings(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("settings".into(), Value::Object(self.settings.clone()));
        }
        value
    }
}

/// The digest of settings, as written in reports.
fn digest_of(settings: &Map<String, Value>) -> String {
    digest(Value::Object(settings.clone()).to_string().as_bytes())
}

/// The stable digest reports write for bytes they do not carry: XXH3-128, the same on every machine.
fn digest(bytes: &[u8]) -> String {
    format!("xxh3-128:{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// In a summarized `html` entry, each removed element's `markup` and each dropped block's `text`
/// becomes `<field>_digest` and `<field>_bytes`: the positions and rules stay, and what was removed
/// can still be checked against a page, without the report carrying the page again.
fn digest_html(html: &mut Value) {
    for (list, field) in [("removed", "markup"), ("dropped", "text")] {
        let Some(Value::Array(entries)) = html.get_mut(list) else {
            continue;
        };
        for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::String(text)) = entry.shift_remove(field) {
                entry.insert(format!("{field}_bytes"), Value::from(text.len()));
                entry.insert(
                    format!("{field}_digest"),
                    Value::from(digest(text.as_bytes())),
                );
                entry.sort_keys();
            }
        }
    }
}

/// A setting's value, as `sluice rules` prints it in TOML, as JSON (a string when it does not parse).
fn toml_to_json(value: &str) -> Value {
    value
        .parse::<toml::Value>()
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or_else(|| Value::String(value.to_string()))
}

/// How much of each document's report an output keeps (`--report`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ReportLevel {
    /// Every edit and flag, with its text and position.
    #[default]
    Full,
    /// The counts: edits per rule and the ids of the flags raised, with the encoding, the format and
    /// the provenance, and the html stage's removals by position with a digest of what they held
    /// (`ReportJson::summarized`).
    Summary,
    /// No report.
    None,
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
            run: None,
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

    /// The report without its edits and flags, which are counted instead: `edits_per_rule` (rule id:
    /// edits) and `flag_ids` (the rule of each flag raised, in order); the html stage's removals keep
    /// their rules and positions, with a digest and the length of what they held.
    pub fn summarized(&self) -> Map<String, Value> {
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for edit in self.edits {
            *per_rule.entry(edit.rule.as_str()).or_default() += 1;
        }
        let flag_ids: Vec<&str> = self.flags.iter().map(|f| f.rule.as_str()).collect();
        let mut value = self.to_value();
        for field in ["edits", "flags", "kinds", "decode"] {
            value.shift_remove(field);
        }
        value.insert("edits_per_rule".into(), serde_json::json!(per_rule));
        value.insert("flag_ids".into(), serde_json::json!(flag_ids));
        if let Some(html) = value.get_mut("html") {
            digest_html(html);
        }
        value.sort_keys();
        value
    }

    /// The report at `level`: full, summarized, or none.
    pub fn at(&self, level: ReportLevel) -> Option<Map<String, Value>> {
        match level {
            ReportLevel::Full => Some(self.to_value()),
            ReportLevel::Summary => Some(self.summarized()),
            ReportLevel::None => None,
        }
    }

    /// The report as a JSON object, keys sorted at every level.
    pub fn to_value(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => {
                map.sort_keys();
                map.values_mut().for_each(Value::sort_all_objects);
                map
            }
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

    #[test]
    fn a_summary_carries_a_digest_of_what_the_html_stage_removed() {
        let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let page = "<html><head><title>標題</title><script>track();</script></head><body>\
                    <p>第一段正文，內容足夠長，說明這一頁是文章。</p></body></html>";
        let cleaned = pipeline.clean(page.as_bytes()).unwrap();
        let report = ReportJson::of_cleaned(&cleaned);
        let full = report.to_value();
        let removed = &full["html"]["removed"][0];
        let markup = removed["markup"].as_str().unwrap();
        assert!(markup.contains("track()"), "{full:?}");
        let summary = Value::Object(report.summarized());
        let digested = &summary["html"]["removed"][0];
        assert!(!summary.to_string().contains("track()"));
        assert_eq!(digested["markup_bytes"], markup.len());
        assert_eq!(digested["markup_digest"], digest(markup.as_bytes()));
        assert_eq!(digested["start"], removed["start"]);
        assert_eq!(digested["rule"], removed["rule"]);
        assert_eq!(
            digest(b"abc"),
            "xxh3-128:06b05ab6733a618578af5f94892f3950",
            "the digest is the same on every machine and in every version"
        );
    }
}
