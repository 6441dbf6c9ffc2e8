//! End-to-end tests of the `sluice` binary on the fixtures.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

fn sluice() -> Command {
    Command::cargo_bin("sluice").unwrap()
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

fn stdout_of(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn clean_prints_title_blank_line_body_without_tag_soup() {
    let out = stdout_of(sluice().arg("clean").arg(fixture("seeds/000.txt")));
    assert!(!out.contains("masw4"), "tag soup left in:\n{out}");
    assert!(!out.contains("• >"));
    let mut lines = out.lines();
    let title = lines.next().unwrap();
    assert!(!title.is_empty());
    assert_eq!(lines.next(), Some(""), "a blank line follows the title");
    assert!(
        lines.all(|l| !l.trim().is_empty()),
        "no blank lines in the body"
    );
}

#[test]
fn clean_removes_stray_backslashes_of_seed_004() {
    let out = stdout_of(sluice().arg("clean").arg(fixture("seeds/004.txt")));
    assert!(!out.contains("\\蜜淘") && !out.contains("\\版權聲明") && !out.contains("\\Next"));
    assert!(
        out.contains("蜜淘創始人"),
        "the words after the backslashes stay"
    );
}

#[test]
fn json_format_reports_edits_with_rule_ids() {
    let out = stdout_of(
        sluice()
            .args(["clean", "--format", "json"])
            .arg(fixture("seeds/000.txt")),
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    for key in ["text", "title", "encoding", "edits", "flags"] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    let rules: Vec<&str> = report["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"markup.tag-soup-line"));
    assert!(rules.contains(&"markup.tag-soup-remnant"));
    let edit = &report["edits"][0];
    for key in ["stage", "start", "end", "before", "after", "reason"] {
        assert!(edit.get(key).is_some(), "edit without {key}");
    }
}

#[test]
fn a_gbk_page_declaring_utf8_is_decoded_and_the_override_reported() {
    let out = stdout_of(
        sluice()
            .args(["clean", "--format", "json"])
            .arg(fixture("charset/gbk-declared-utf8.html")),
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["encoding"], "gb18030");
    assert_eq!(report["decode"]["declared"], "utf-8");
    assert!(
        report["decode"]["overridden"]
            .as_str()
            .unwrap()
            .contains("overridden")
    );
    let all = format!("{} {}", report["title"], report["text"]);
    assert!(all.contains("街角的早餐店已经排起了长队"), "{all}");
}

#[test]
fn big5_and_bom_files_decode() {
    let big5 = stdout_of(
        sluice()
            .arg("clean")
            .arg(fixture("charset/big5-no-declaration.txt")),
    );
    assert!(big5.contains("城市還沒有完全醒來"));
    let bom = stdout_of(sluice().arg("clean").arg(fixture("charset/utf8-bom.txt")));
    assert!(bom.starts_with("街角的早餐店\n\n"));
}

#[test]
fn a_tree_with_one_corrupt_file_cleans_the_others_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::copy(fixture("seeds/001.txt"), input.join("a.txt")).unwrap();
    std::fs::copy(
        fixture("charset/big5-no-declaration.txt"),
        input.join("sub/b.txt"),
    )
    .unwrap();
    std::fs::write(
        input.join("broken.txt.gz"),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x2b\x49",
    )
    .unwrap();
    std::fs::write(input.join("image.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let before = snapshot(&input);
    let out = dir.path().join("out");
    let output = sluice()
        .arg("clean")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("-j")
        .arg("2")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("broken.txt.gz") || l.contains("image.png"))
        .collect();
    assert_eq!(error_lines.len(), 2, "{stderr}");
    assert!(error_lines.iter().any(|l| l.contains("gzip")), "{stderr}");
    assert!(error_lines.iter().any(|l| l.contains("binary")), "{stderr}");
    assert!(out.join("a.txt").is_file() && out.join("a.json").is_file());
    assert!(out.join("sub/b.txt").is_file() && out.join("sub/b.json").is_file());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["documents"], 4);
    assert_eq!(summary["failed"], 2);
    assert_eq!(snapshot(&input), before, "inputs were modified");
}

#[test]
fn colliding_output_names_are_renamed_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.html"),
        "<html><body><p>第一份。</p></body></html>",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.txt"), "第二份。").unwrap();
    let out = tempfile::tempdir().unwrap();
    sluice()
        .arg("clean")
        .arg(dir.path())
        .arg("-o")
        .arg(out.path())
        .assert()
        .success();
    assert!(out.path().join("a.txt").is_file());
    assert_eq!(
        std::fs::read_to_string(out.path().join("a~2.txt")).unwrap(),
        "第二份。\n"
    );
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["renamed"][0]["output"], "a~2.txt");
}

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

#[test]
fn check_passes_on_the_repository_and_fails_with_a_diff_on_a_broken_golden() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = stdout_of(sluice().current_dir(root).arg("check"));
    assert!(out.trim_end().ends_with(" 0 failed"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("markup/tag-soup-and-backslashes.txt"),
        dir.path().join("x.txt"),
    )
    .unwrap();
    let golden =
        std::fs::read_to_string(fixture("markup/tag-soup-and-backslashes.expected.txt")).unwrap();
    std::fs::write(
        dir.path().join("x.expected.txt"),
        golden.replace("學校", "學堂"),
    )
    .unwrap();
    let output = sluice()
        .arg("check")
        .arg("--fixtures")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("-附近新開了兩所學堂。") && stdout.contains("+附近新開了兩所學校。"),
        "{stdout}"
    );
    assert!(stdout.contains("1 failed"));
}

#[test]
fn check_fails_when_a_rule_example_is_wrong() {
    let rules = tempfile::tempdir().unwrap();
    let markup =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/markup.toml"))
            .unwrap();
    let broken = markup.replace(
        "output = \"蜜淘創始人 謝文斌",
        "output = \"蜜淘創辦人 謝文斌",
    );
    assert_ne!(markup, broken);
    std::fs::write(rules.path().join("markup.toml"), broken).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = sluice()
        .arg("check")
        .arg("--rules")
        .arg(rules.path())
        .arg("--fixtures")
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("FAIL markup.stray-backslash example 1 (markup.toml:"),
        "{stdout}"
    );
    assert!(stdout.contains("-蜜淘創辦人"), "{stdout}");
}

#[test]
fn an_invalid_rule_file_is_an_error_naming_file_and_line() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("bad.toml"),
        "[[rule]]\nid = \"markup.x\"\nstage = \"nowhere\"\ndescription = \"d\"\n",
    )
    .unwrap();
    let output = sluice()
        .arg("check")
        .arg("--rules")
        .arg(rules.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("bad.toml:1:") && stderr.contains("unknown stage"),
        "{stderr}"
    );
}

#[test]
fn repair_check_in_place_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big5.txt");
    let original = std::fs::read(fixture("charset/big5-no-declaration.txt")).unwrap();
    std::fs::write(&file, &original).unwrap();
    sluice()
        .args(["repair", "--check"])
        .arg(&file)
        .assert()
        .code(1);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original,
        "--check changes nothing"
    );
    let diff = stdout_of(sluice().args(["repair", "--diff"]).arg(&file));
    assert!(diff.contains("(Big5)"), "{diff}");
    sluice()
        .args(["repair", "--in-place"])
        .arg(&file)
        .assert()
        .success();
    let repaired = std::fs::read_to_string(&file).unwrap();
    assert!(repaired.contains("城市還沒有完全醒來"));
    assert_eq!(
        std::fs::read(dir.path().join("big5.txt.orig")).unwrap(),
        original
    );
    sluice()
        .args(["repair", "--check"])
        .arg(&file)
        .assert()
        .success();
}

#[test]
fn repair_keeps_layout_and_content() {
    let text = "  標題\n\n\n段落一。\\不是標記\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.txt");
    std::fs::write(&file, text).unwrap();
    assert_eq!(stdout_of(sluice().arg("repair").arg(&file)), text);
}

#[test]
fn explain_lists_each_edit_with_rule_and_position() {
    let out = stdout_of(sluice().arg("explain").arg(fixture("seeds/004.txt")));
    assert!(out.contains("decoded as UTF-8"));
    let backslash_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("markup/markup.stray-backslash"))
        .collect();
    assert!(!backslash_lines.is_empty(), "{out}");
    assert!(
        backslash_lines
            .iter()
            .all(|l| l.starts_with(&format!("{}:", fixture("seeds/004.txt").display())))
    );
    assert!(
        out.contains("[\\→]"),
        "the removed backslash is shown: {out}"
    );
}

#[test]
fn rules_lists_and_documents_rules() {
    let list = stdout_of(sluice().arg("rules"));
    assert!(list.lines().any(|l| l.starts_with("markup.tag-soup-line")));
    let doc = stdout_of(sluice().args(["rules", "markup.stray-backslash"]));
    assert!(
        doc.contains("examples:")
            && doc.contains("left unchanged:")
            && doc.contains("markup.toml:")
    );
    sluice().args(["rules", "no.such-rule"]).assert().code(2);
}

#[test]
fn usage_errors_exit_2_and_empty_files_fail_clearly() {
    sluice().args(["clean", "--no-such-flag"]).assert().code(2);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let output = sluice().arg("clean").arg(&empty).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("empty.txt") && stderr.contains("empty"),
        "{stderr}"
    );
    // `--fail-on-error` is accepted in every mode; outside --jsonl a failure exits 1 with or
    // without it.
    for mode in [vec![], vec!["-o".into(), dir.path().join("out")]] {
        sluice()
            .args(["clean", "--fail-on-error"])
            .arg(&empty)
            .args(mode)
            .assert()
            .code(1);
    }
    sluice()
        .args(["repair", "--fail-on-error"])
        .arg(&empty)
        .assert()
        .code(1);
}

#[path = "support/warc_record.rs"]
mod warc_support;

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
fn diff_shows_what_a_rule_change_does_to_a_corpus() {
    let rules = tempfile::tempdir().unwrap();
    let markup =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/markup.toml"))
            .unwrap();
    // Stop treating a backslash after 。 as stray.
    let changed = markup.replace(
        "after = \"。！？!?；;…」』”\"",
        "after = \"！？!?；;…」』”\"",
    );
    assert_ne!(markup, changed);
    let without_example = changed
        .replace(
            "對手的壁壘。\\\\版權聲明:本文",
            "對手的壁壘！\\\\版權聲明:本文",
        )
        .replace("對手的壁壘。版權聲明:本文", "對手的壁壘！版權聲明:本文");
    std::fs::write(rules.path().join("markup.toml"), without_example).unwrap();
    let output = sluice()
        .arg("diff")
        .arg("--rules")
        .arg(rules.path())
        .arg("--exit-code")
        .arg(fixture("seeds"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("004.txt (changed rules)"), "{stdout}");
    assert!(stdout.contains("壁壘。\\版權聲明"), "{stdout}");
    let counts = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("markup.stray-backslash: "))
        .and_then(|l| l.strip_suffix(" edits"))
        .and_then(|l| l.split_once(" → "))
        .map(|(b, a)| (b.parse::<usize>().unwrap(), a.parse::<usize>().unwrap()));
    assert!(matches!(counts, Some((b, a)) if b > a), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().starts_with("1 of "),
        "{stdout}"
    );
}

#[test]
fn diff_names_a_document_it_cannot_compare_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("seeds/004.txt"), dir.path().join("page.txt")).unwrap();
    std::fs::write(dir.path().join("blob.bin"), [0u8, 1, 2, 0, 0xff, 0, 7, 0]).unwrap();
    let rules = tempfile::tempdir().unwrap();
    let output = sluice()
        .arg("diff")
        .arg("--rules")
        .arg(rules.path())
        .arg(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    );
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("blob.bin"), "{stderr}");
    assert!(!stderr.contains("page.txt"), "{stderr}");
    assert!(stdout.contains("0 of 2 documents change"), "{stdout}");
    assert!(
        stdout.contains("1 documents could not be compared"),
        "{stdout}"
    );
}

#[test]
fn near_duplicate_documents_keep_one_copy_in_a_tree() {
    let dir = tempfile::tempdir().unwrap();
    let article = std::fs::read_to_string(fixture("seeds/002.txt")).unwrap();
    std::fs::write(dir.path().join("a.txt"), &article).unwrap();
    let mut lines: Vec<&str> = article.lines().collect();
    // An extra paragraph inside the article, where no chrome rule looks.
    lines.insert(
        12,
        "轉載的網站在文章中間多加了一段自己的說明文字，讓這一份比原文更長一些。",
    );
    let longer = lines.join("\n");
    std::fs::write(dir.path().join("b.txt"), longer).unwrap();
    std::fs::copy(fixture("seeds/003.txt"), dir.path().join("c.txt")).unwrap();
    let out = dir.path().join("out");
    sluice()
        .arg("clean")
        .arg(dir.path())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert!(!out.join("a.txt").exists(), "the shorter copy is dropped");
    assert!(out.join("b.txt").is_file() && out.join("c.txt").is_file());
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("a.json")).unwrap()).unwrap();
    assert_eq!(report["duplicates"]["kept"], false);
    assert!(
        report["duplicates"]["kept_copy"]
            .as_str()
            .unwrap()
            .ends_with("b.txt")
    );
    let kept: Value = serde_json::from_slice(&std::fs::read(out.join("b.json")).unwrap()).unwrap();
    assert_eq!(
        kept["duplicates"]["cluster"],
        report["duplicates"]["cluster"]
    );
    assert_eq!(kept["duplicates"]["kept"], true);
    let other: Value = serde_json::from_slice(&std::fs::read(out.join("c.json")).unwrap()).unwrap();
    assert!(other.get("duplicates").is_none());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (
            &summary["duplicate_clusters"],
            &summary["duplicates_not_written"]
        ),
        (&json!(1), &json!(1))
    );

    let all = dir.path().join("all");
    sluice()
        .arg("clean")
        .arg(dir.path().join("a.txt"))
        .arg(dir.path().join("b.txt"))
        .arg("-o")
        .arg(&all)
        .arg("--keep-duplicates")
        .assert()
        .success();
    assert!(all.join("a.txt").is_file() && all.join("b.txt").is_file());
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
fn script_mode_on_the_command_line_is_validated_by_the_stage() {
    let out = stdout_of(
        sluice()
            .args(["clean", "--script", "hans"])
            .arg(fixture("charset/big5-no-declaration.txt")),
    );
    assert!(out.contains("城市还没有完全醒来"), "{out}");
    let output = sluice()
        .args(["clean", "--script", "bogus"])
        .arg(fixture("charset/big5-no-declaration.txt"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown mode `bogus`"));
}

/// `sluice clean ARGS…` run in `dir`: the exit code and stderr.
fn clean_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = sluice()
        .current_dir(dir)
        .arg("clean")
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_output_that_is_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    std::fs::create_dir_all(&d).unwrap();
    let page = std::fs::read(fixture("seeds/004.txt")).unwrap();
    std::fs::write(d.join("a.txt"), &page).unwrap();
    std::fs::write(d.join("b.html"), "<p>第二份正文。</p>").unwrap();
    // The same directory named three ways: `.`, through a symlink, and as a path with `..`.
    std::os::unix::fs::symlink(&d, dir.path().join("link")).unwrap();
    let cases: [(&Path, &[&str]); 3] = [
        (&d, &["b.html", "a.txt", "-o", "."]),
        (dir.path(), &["d/a.txt", "-o", "link"]),
        (dir.path(), &["link/a.txt", "-o", "d/../d"]),
    ];
    for (cwd, args) in cases {
        let (code, stderr) = clean_in(cwd, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("a.txt") && stderr.contains("input"),
            "{args:?}: {stderr}"
        );
        assert_eq!(std::fs::read(d.join("a.txt")).unwrap(), page, "{args:?}");
        assert!(
            !d.join("b.txt").exists() && !d.join("summary.json").exists(),
            "{args:?}: something was written"
        );
    }
    // A hard link in the output directory is the input under another name.
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::hard_link(d.join("a.txt"), out.join("a.txt")).unwrap();
    let (code, stderr) = clean_in(dir.path(), &["d/a.txt", "-o", "out"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(std::fs::read(d.join("a.txt")).unwrap(), page);
}

#[test]
fn a_shard_directory_holding_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // An input named like the first shard: the run would write over it.
    let page = std::fs::read(fixture("seeds/004.txt")).unwrap();
    std::fs::write(out.join("00000.jsonl"), &page).unwrap();
    let args = ["out/00000.jsonl", "-o", "out", "--output-format", "jsonl"];
    let (code, stderr) = clean_in(dir.path(), &args);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("00000.jsonl") && stderr.contains("input"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("00000.jsonl")).unwrap(), page);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "something was written"
    );
}

#[test]
fn a_fresh_shard_run_removes_every_earlier_shard_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("seeds/004.txt"), dir.path().join("a.txt")).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // What a killed run of other inputs leaves, with no summary listing its shards.
    for stale in ["00000.jsonl", "00001.jsonl", "00002.jsonl.zst"] {
        std::fs::write(out.join(stale), "{\"id\": \"stale\"}\n").unwrap();
    }
    std::fs::write(out.join("notes.txt"), "kept").unwrap();
    let (code, stderr) = clean_in(
        dir.path(),
        &["a.txt", "-o", "out", "--output-format", "jsonl"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["00000.jsonl", "_summary.json", "notes.txt"]);
    let shard = std::fs::read_to_string(out.join("00000.jsonl")).unwrap();
    assert!(
        shard.contains("a.txt") && !shard.contains("stale"),
        "{shard}"
    );
}

#[test]
fn an_input_directory_as_its_own_output_is_an_error_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.html"), "<p>正文。</p>").unwrap();
    let (code, stderr) = clean_in(dir.path(), &[".", "-o", "."]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("output directory"), "{stderr}");
    assert!(!dir.path().join("summary.json").exists());
}

#[test]
fn an_input_named_like_the_summary_keeps_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(
        input.join("summary.html"),
        "<p>總結：今天的會議很順利。</p>",
    )
    .unwrap();
    std::fs::copy(fixture("seeds/004.txt"), input.join("z.txt")).unwrap();
    let out = dir.path().join("out");
    let (code, stderr) = clean_in(dir.path(), &["in", "-o", "out"]);
    assert_eq!(code, Some(0), "{stderr}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["documents"], 2);
    assert_eq!(summary["renamed"][0]["output"], "summary~2.txt");
    assert!(
        std::fs::read_to_string(out.join("summary~2.txt"))
            .unwrap()
            .contains("會議")
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary~2.json")).unwrap()).unwrap();
    assert!(report["source"].as_str().unwrap().ends_with("summary.html"));
}

#[test]
fn fifos_sockets_and_devices_are_refused_by_type_and_links_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(fixture("seeds/004.txt"), input.join("a.txt")).unwrap();
    for fifo in [input.join("pipe.txt"), dir.path().join("named.txt")] {
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    }
    let _socket = std::os::unix::net::UnixListener::bind(input.join("sock.txt")).unwrap();
    std::os::unix::fs::symlink(input.join("a.txt"), input.join("link.txt")).unwrap();
    // Named and walked: a FIFO would block the reader forever, a device never ends.
    let (code, stderr) = clean_in(dir.path(), &["in", "named.txt", "/dev/zero", "-o", "out"]);
    assert_eq!(code, Some(1), "{stderr}");
    for (file, kind) in [
        ("pipe.txt", "FIFO"),
        ("named.txt", "FIFO"),
        ("sock.txt", "socket"),
        ("/dev/zero", "character device"),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(file) && l.contains(kind)),
            "{file}: {stderr}"
        );
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("link.txt") && l.contains("symbolic link")),
        "{stderr}"
    );
    let out = dir.path().join("out");
    assert!(out.join("a.txt").is_file());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (&summary["cleaned"], &summary["failed"]),
        (&json!(1), &json!(4))
    );
    assert!(
        summary["skipped_links"][0]
            .as_str()
            .unwrap()
            .ends_with("link.txt")
    );
}

#[path = "support/jsonl.rs"]
mod jsonl_support;
use jsonl_support::clean_jsonl;

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

#[test]
fn an_unreadable_input_is_named_once_with_why() {
    let output = sluice()
        .args(["clean", "no-such-page.html"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("sluice: cannot read no-such-page.html: ")
            && stderr.matches("no-such-page.html").count() == 1,
        "{stderr}"
    );
}
