//! JSON Lines and WARC inputs: records in order, unknown fields kept, bad records failing alone.

use super::*;

#[test]
fn jsonl_passes_unknown_fields_through_and_keeps_order_with_two_threads() {
    let mut input = String::new();
    for i in 0..300 {
        input.push_str(&format!(
            "{{\"id\":{i},\"meta\":{{\"k\":[1,2]}},\"text\":\"第{i}段。\\\\下一句。\"}}\n"
        ));
    }
    input.push_str("not json\n");
    input.push_str("{\"id\":\"no-content\"}\n");
    let output = sluice()
        .args(["clean", "--jsonl", "-", "-j", "2", "--keep-duplicates"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "bad records are output records: exit 0 without --fail-on-error"
    );
    let records: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 302);
    for (i, record) in records.iter().take(300).enumerate() {
        assert_eq!(record["id"], i);
        assert_eq!(record["meta"]["k"][1], 2);
        assert_eq!(record["text"], format!("第{i}段。下一句。"));
        assert!(record["sluice"]["edits"].is_array());
    }
    assert!(
        records[300]["sluice"]["error"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
    assert_eq!(records[301]["id"], "no-content");
    assert!(records[301]["sluice"]["error"].is_string());
}

fn warc_record(url: &str, http: &[u8]) -> Vec<u8> {
    warc_support::warc_record("response", "application/http; msgtype=response", url, http)
}

#[test]
fn warc_records_become_documents_with_their_urls() {
    let dir = tempfile::tempdir().unwrap();
    let mut page = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=big5\r\n\r\n".to_vec();
    page.extend_from_slice(&std::fs::read(fixture("charset/big5-no-declaration.txt")).unwrap());
    let mut warc = warc_record("http://example.cn/a", &page);
    warc.extend(warc_record(
        "http://example.cn/b.png",
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
    ));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &warc).unwrap();
    std::fs::write(dir.path().join("crawl.warc.gz"), gz.finish().unwrap()).unwrap();
    let out = dir.path().join("out");
    sluice()
        .arg("clean")
        .arg(dir.path().join("crawl.warc.gz"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let cleaned = std::fs::read_to_string(out.join("crawl/00000.txt")).unwrap();
    let expected =
        std::fs::read_to_string(fixture("charset/big5-no-declaration.expected.txt")).unwrap();
    assert_eq!(cleaned, expected);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("crawl/00000.json")).unwrap()).unwrap();
    assert_eq!(report["url"], "http://example.cn/a");
    assert_eq!(
        (&report["decode"]["transport"], &report["decode"]["method"]),
        (&json!("big5"), &json!("transport"))
    );
    assert!(
        !out.join("crawl/00001.txt").exists(),
        "the image record is skipped"
    );
}

#[test]
fn jsonl_marks_later_copies_first_seen_wins() {
    let a = std::fs::read_to_string(fixture("seeds/002.txt")).unwrap();
    let c = std::fs::read_to_string(fixture("seeds/003.txt")).unwrap();
    let records = [
        json!({"id": "a", "text": a}),
        json!({"id": "c", "text": c}),
        json!({"id": "a2", "text": format!("轉載自別處\n{a}")}),
    ];
    let input: String = records.iter().map(|r| format!("{r}\n")).collect();
    let output = stdout_of(
        sluice()
            .args(["clean", "--jsonl", "-j", "2"])
            .write_stdin(input.clone()),
    );
    let out: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 3);
    assert!(out[0]["sluice"].get("duplicate_of").is_none() && out[0]["text"].is_string());
    assert!(out[1]["sluice"].get("duplicate_of").is_none());
    assert_eq!(out[2]["sluice"]["duplicate_of"], 0);
    assert_eq!(out[2]["id"], "a2");
    assert!(
        out[2].get("text").is_none(),
        "a dropped copy loses its text"
    );
    let kept = stdout_of(
        sluice()
            .args(["clean", "--jsonl", "--keep-duplicates"])
            .write_stdin(input),
    );
    let last: Value = serde_json::from_str(kept.lines().last().unwrap()).unwrap();
    assert_eq!(last["sluice"]["duplicate_of"], 0);
    assert!(last["text"].is_string());
}

#[test]
fn jsonl_a_line_of_invalid_utf8_is_an_error_record_and_the_stream_goes_on() {
    let mut input = Vec::new();
    for i in 0..3 {
        input.extend_from_slice(format!("{{\"id\":{i},\"text\":\"第{i}段正文。\"}}\n").as_bytes());
    }
    input.extend_from_slice(b"{\"id\":3,\"text\":\"\xd5\xfd\xce\xc4\"}\n\n");
    input.extend_from_slice("{\"id\":4,\"text\":\"第四段正文。\"}\n".as_bytes());
    let records = clean_jsonl(&["--fail-on-error"], input).records(1);
    assert_eq!(records.len(), 5);
    for i in [0, 1, 2] {
        assert_eq!(records[i]["id"], i);
        assert!(records[i]["text"].as_str().unwrap().contains("段正文"));
    }
    assert!(
        records[3]["sluice"]["error"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert_eq!(records[3]["sluice"]["line"], 4);
    assert_eq!(records[4]["id"], 4, "the line numbers count the blank line");
}

#[test]
fn jsonl_a_lone_surrogate_keeps_the_record_and_its_fields() {
    let input =
        "{\"id\":\"s1\",\"meta\":{\"k\":[1,2]},\"text\":\"第一段正文。\\ud800第二段正文。\"}\n";
    let record = &clean_jsonl(&[], input).records(0)[0];
    assert_eq!(record["id"], "s1");
    assert_eq!(record["meta"]["k"][1], 2);
    let text = record["text"].as_str().unwrap();
    assert!(
        text.contains("第一段正文") && text.contains("第二段正文"),
        "{text}"
    );
    let flags = record["sluice"]["flags"].as_array().unwrap();
    assert!(
        flags
            .iter()
            .any(|f| f["rule"] == "decode.json-lone-surrogate"),
        "{flags:?}"
    );
}

#[test]
fn jsonl_a_record_over_max_input_is_refused_and_the_stream_goes_on() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("limits.toml"),
        "[settings.decode]\nmax_input_mib = 1\n",
    )
    .unwrap();
    // 1.8 MB of text: read, then refused; 3.6 MB: over twice the limit, refused unread.
    let big = "正文。".repeat(200_000);
    let huge = "正文。".repeat(400_000);
    let input = [
        json!({"id": 0, "text": "第一段正文。"}).to_string(),
        json!({"id": 1, "text": huge}).to_string(),
        json!({"id": 2, "text": big}).to_string(),
        json!({"id": 3, "text": "第四段正文。"}).to_string(),
    ]
    .join("\n");
    let rules_dir = rules.path().to_str().unwrap();
    let records = clean_jsonl(&["--rules", rules_dir, "--fail-on-error"], input).records(1);
    assert_eq!(records.len(), 4);
    for (i, line) in [(1, 2), (2, 3)] {
        let error = records[i]["sluice"]["error"].as_str().unwrap();
        assert!(error.contains("max_input_mib"), "{error}");
        assert_eq!(records[i]["sluice"]["line"], line);
    }
    assert_eq!(records[2]["id"], 2, "a record read whole keeps its fields");
    assert_eq!(
        (&records[0]["id"], &records[3]["id"]),
        (&json!(0), &json!(3))
    );
}
