//! Records of WARC and JSON Lines files as documents of trees and shards, near-duplicates among them.

use super::*;

#[test]
fn warc_records_printed_to_stdout_lose_their_later_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let article = seed("002");
    let records: Vec<u8> = [(0, &article), (1, &seed("003")), (2, &article)]
        .iter()
        .flat_map(|(i, text)| {
            let http =
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}");
            let url = format!("http://example.cn/{i}");
            warc_support::warc_record(
                "response",
                "application/http; msgtype=response",
                &url,
                http.as_bytes(),
            )
        })
        .collect();
    let warc = dir.path().join("crawl.warc");
    std::fs::write(&warc, records).unwrap();
    let stdout = |args: &[&str]| stdout_of(sluice().arg("clean").args(args).arg(&warc));
    let text = stdout(&[]);
    assert!(
        text.contains("crawl.warc#0 <==") && text.contains("crawl.warc#1 <=="),
        "{text}"
    );
    assert!(
        !text.contains("crawl.warc#2"),
        "the later copy is not printed"
    );
    assert_eq!(stdout(&["--keep-duplicates"]).matches(" <==").count(), 3);
    let reports: Vec<Value> = stdout(&["--format", "json"])
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(reports.len(), 3);
    assert!(reports[0].get("duplicate_of").is_none() && reports[0]["text"].is_string());
    assert_eq!(reports[2]["duplicate_of"], 0);
    assert!(reports[2].get("text").is_none());
}

#[test]
fn json_lines_records_are_documents_of_a_tree_with_their_fields_as_given() {
    let (dir, file) = records_file();
    let out = dir.path().join("tree");
    let stderr = clean_records(&file, &out, &[]);
    assert!(
        stderr.contains("records.jsonl.gz#2: line 4: invalid JSON"),
        "{stderr}"
    );
    let raw = std::fs::read_to_string(out.join("records/00000.json")).unwrap();
    assert!(
        raw.contains("\"id\": 1234567890123456789012345") && raw.contains("2.50"),
        "{raw}"
    );
    let report = json_file(&out.join("records/00000.json"));
    assert_eq!(keys(&report["record"]), ["zeta", "id", "alpha"]);
    assert_eq!(report["source"], format!("{}#0", file.display()));
    assert_eq!(
        json_file(&out.join("records/00001.json"))["record"],
        json!({"lang": "zh"})
    );
    assert!(
        std::fs::read_to_string(out.join("records/00001.txt"))
            .unwrap()
            .contains("平臺")
    );
    // The copy is as long as the first record: the first is kept, the copy's text deleted.
    assert!(out.join("records/00000.txt").exists() && !out.join("records/00003.txt").exists());
    let summary = json_file(&out.join("summary.json"));
    assert_eq!(
        (
            &summary["documents"],
            &summary["failed"],
            &summary["duplicates_not_written"]
        ),
        (&json!(4), &json!(1), &json!(1))
    );
}

#[test]
fn json_lines_records_are_sharded_with_their_fields_as_given() {
    let (dir, file) = records_file();
    let out = dir.path().join("jsonl");
    clean_records(&file, &out, &["--output-format", "jsonl"]);
    let shard = std::fs::read_to_string(out.join("00000.jsonl")).unwrap();
    let lines: Vec<&str> = shard.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the failed record and the copy are not written"
    );
    assert!(
        lines[0].starts_with(
            r#"{"zeta":1,"id":1234567890123456789012345,"alpha":{"z":2.50,"a":[-0.0]},"text":"#
        ),
        "{}",
        lines[0]
    );
    let second: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(keys(&second), ["id", "lang", "text", "title", "sluice"]);
    assert_eq!(second["id"], format!("{}#1", file.display()));
    let summary = std::fs::read_to_string(out.join("_summary.json")).unwrap();
    assert_eq!(summary.lines().count(), 1, "one line: {summary}");
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(
        (
            &summary["records"],
            &summary["failed"],
            &summary["duplicates_not_written"]
        ),
        (&json!(2), &json!(1), &json!(1))
    );

    let out = dir.path().join("parquet");
    clean_records(&file, &out, &["--output-format", "parquet"]);
    let shard = std::fs::File::open(out.join("00000.parquet")).unwrap();
    let batches: Vec<_> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(shard)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let column = |name: &str| -> Vec<Option<String>> {
        let array = batches[0].column_by_name(name).unwrap();
        let strings = array
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        strings.iter().map(|s| s.map(str::to_string)).collect()
    };
    assert_eq!(
        column("id"),
        [
            Some("1234567890123456789012345".to_string()),
            Some(format!("{}#1", file.display()))
        ]
    );
    assert_eq!(
        column("metadata"),
        [
            Some(r#"{"zeta":1,"alpha":{"z":2.50,"a":[-0.0]}}"#.to_string()),
            Some(r#"{"lang":"zh"}"#.to_string())
        ]
    );
}
