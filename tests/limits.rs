//! The limits README lists, each at its edge: the time budget per document, the input size for
//! files and WARC records, long lines and the number of records in a WARC file. (Nesting is tested in
//! `tests/html.rs`, JSON Lines records in `tests/cli.rs` and `src/io/jsonl.rs`, decompression in
//! `src/io/mod.rs` and `src/io/warc.rs`.)

use std::io::Cursor;

use sluice::{Pipeline, RuleSet, StageName};

#[path = "support/warc_record.rs"]
mod support;

fn rules_with(settings: &[(StageName, &str, toml::Value)]) -> RuleSet {
    let mut rules = RuleSet::defaults().unwrap();
    for (stage, key, value) in settings {
        rules.override_setting(*stage, key, value.clone());
    }
    rules
}

/// A budget of nothing: decode runs (without it there is no text), then every later stage is left
/// out and the document is flagged, naming them; the text is what decode gave.
#[test]
fn a_spent_time_budget_skips_the_stages_left_and_flags_them() {
    let rules = rules_with(&[
        (StageName::Decode, "time_budget_seconds", 0.0.into()),
        (StageName::Decode, "time_budget_seconds_per_mib", 0.0.into()),
    ]);
    let pipeline = Pipeline::from_rules(&rules).unwrap();
    let page = "標題\n\n正文第一段，有內容。\n正文第一段，有內容。\n";
    let cleaned = pipeline.clean(page.as_bytes()).unwrap();
    assert_eq!(cleaned.report.stages, [StageName::Decode]);
    let flag = &cleaned.report.flags[0];
    assert_eq!(
        (flag.stage, flag.rule.as_str()),
        (StageName::Decode, "decode.time-budget")
    );
    assert!(
        flag.message.contains("markup, mojibake"),
        "{}",
        flag.message
    );
    assert_eq!(cleaned.text.lines().count(), 2, "dedup did not run");

    // HTML: the html stage runs whatever the budget, so the output is text, not markup.
    let html =
        "<html><head><title>標題</title></head><body><p>正文第一段，有內容。</p></body></html>";
    let cleaned = pipeline.clean(html.as_bytes()).unwrap();
    assert_eq!(cleaned.report.stages, [StageName::Decode, StageName::Html]);
    assert!(!cleaned.text.contains('<'), "{}", cleaned.text);
}

#[test]
fn the_default_time_budget_leaves_ordinary_pages_alone() {
    let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
    let cleaned = pipeline.clean("正文第一段，有內容。".as_bytes()).unwrap();
    // Every stage but html, which runs on markup only.
    assert_eq!(cleaned.report.stages.len(), StageName::ALL.len() - 1);
    assert!(
        cleaned
            .report
            .flags
            .iter()
            .all(|f| f.rule != "decode.time-budget")
    );
}

#[test]
fn a_negative_time_budget_is_a_rule_error() {
    let rules = rules_with(&[(StageName::Decode, "time_budget_seconds", (-1.0).into())]);
    let error = Pipeline::from_rules(&rules).err().unwrap().to_string();
    assert!(error.contains("time_budget_seconds"), "{error}");
}

/// `decode.max_input_mib` holds for text and HTML bytes and for a WARC record's payload alike.
#[test]
fn input_over_max_input_mib_is_refused_for_every_kind() {
    let rules = rules_with(&[(StageName::Decode, "max_input_mib", 1.into())]);
    let pipeline = Pipeline::from_rules(&rules).unwrap();
    let text = "正文。".repeat(120_000); // 1.08 MB
    let html = format!("<html><body><p>{text}</p></body></html>");
    let warc = support::warc_record("resource", "text/html", "http://x/", html.as_bytes());
    let (_, record) = sluice::run::warc::records(Cursor::new(warc))
        .unwrap()
        .next()
        .unwrap();
    let errors = [
        pipeline.clean(text.as_bytes()).err().unwrap(),
        pipeline.clean(html.as_bytes()).err().unwrap(),
        pipeline
            .clean_document(record.unwrap().document)
            .err()
            .unwrap(),
    ];
    for error in errors {
        assert!(
            error.to_string().contains("decode.max_input_mib"),
            "{error}"
        );
    }
    assert!(pipeline.clean("正文。".repeat(100_000).as_bytes()).is_ok());
}

/// Lines have no length limit of their own: a 3 MB line without a break is cleaned whole.
#[test]
fn a_line_of_megabytes_is_cleaned() {
    let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
    let line = "這是一個沒有換行的很長的句子，".repeat(70_000);
    let cleaned = pipeline.clean(line.as_bytes()).unwrap();
    assert_eq!(
        cleaned.text.len() + cleaned.title.map_or(0, |t| t.len()),
        line.len()
    );
}

/// Records per WARC file have no limit: the reader streams, holding one record at a time.
#[test]
fn a_warc_of_many_records_is_read_through() {
    const RECORDS: usize = 20_000;
    let mut warc = Vec::new();
    for n in 0..RECORDS {
        let url = format!("http://x/{n}");
        warc.extend(support::warc_record(
            "resource",
            "text/plain",
            &url,
            "正文。".as_bytes(),
        ));
    }
    let records = sluice::run::warc::records(Cursor::new(warc)).unwrap();
    let read: Vec<usize> = records
        .map(|(index, doc)| doc.map(|_| index).unwrap())
        .collect();
    assert_eq!(read, (0..RECORDS).collect::<Vec<_>>());
}
