//! `clean` on single files, `check`, `repair`, `explain`, `rules`, `diff`, and usage errors.

use super::*;

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
