//! The JSON Lines contract (fields and numbers as given, streaming, a summary on stderr,
//! `--fail-on-error`), compressed input, provenance and report levels, generated docs, links in trees.

use super::*;

#[test]
fn a_record_keeps_its_field_order_and_a_25_digit_integer() {
    let line = r#"{"zeta":1,"id":1234567890123456789012345,"text":"第一段正文。","alpha":{"z":2.50,"a":[-0.0]},"mid":null}"#;
    let run = clean_jsonl(&[], format!("{line}\n"));
    assert_eq!(run.code, Some(0));
    let out = run.stdout.trim_end();
    assert!(
        out.starts_with(
            r#"{"zeta":1,"id":1234567890123456789012345,"alpha":{"z":2.50,"a":[-0.0]},"mid":null,"text":"#
        ),
        "{out}"
    );
    let record: serde_json::Map<String, Value> = serde_json::from_str(out).unwrap();
    let keys: Vec<&str> = record.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["zeta", "id", "alpha", "mid", "text", "title", "sluice"]
    );
}

#[test]
fn failed_records_exit_0_unless_asked_and_a_summary_goes_to_stderr() {
    let input = "{\"id\":1,\"text\":\"正文。\"}\nnot json\n{\"id\":3,\"text\":\"正文。\"}\n";
    let run = clean_jsonl(&[], input);
    assert_eq!(run.records(0).len(), 3);
    assert!(
        run.stderr
            .starts_with("sluice: 3 records, 1 failed, 1 duplicates"),
        "{}",
        run.stderr
    );
    assert_eq!(clean_jsonl(&["--fail-on-error"], input).records(1).len(), 3);
}

#[test]
fn a_co_process_gets_each_record_before_it_sends_the_next() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("sluice"))
        .args(["clean", "--jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Each answer is read before the next record is written: a reader that waited for a full batch
    // (or for the end of the input) would hang here.
    for id in 0..3 {
        writeln!(stdin, r#"{{"id":{id},"text":"第{id}段正文。"}}"#).unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let record: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(record["id"], id);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn gzip_and_zstd_json_lines_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let lines =
        "{\"id\":\"a\",\"text\":\"第一段正文。\"}\n{\"id\":\"b\",\"text\":\"第二段正文。\"}\n";
    let gz = dir.path().join("records.jsonl.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(lines.as_bytes()).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let zst = dir.path().join("records.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(lines.as_bytes(), 3).unwrap()).unwrap();
    for file in [&gz, &zst] {
        let ids: Vec<String> = stdout_of(sluice().arg("clean").arg("--jsonl").arg(file))
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].to_string())
            .collect();
        assert_eq!(ids, ["\"a\"", "\"b\""], "{}", file.display());
    }
}

#[test]
fn reports_and_the_summary_name_the_version_the_rules_and_the_settings() {
    let (dir, input) = one_seed("000");
    let out = dir.path().join("out");
    sluice()
        .arg("clean")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap()
    };
    let (report, summary) = (read("a.json"), read("summary.json"));
    let run = &report["run"];
    assert_eq!(run["version"], env!("CARGO_PKG_VERSION"));
    assert!(run["rules"].as_str().unwrap().starts_with("xxh3-128:"));
    assert_eq!(summary["run"]["rules"], run["rules"]);
    assert_eq!(summary["run"]["settings_digest"], run["settings_digest"]);
    assert_eq!(summary["run"]["settings"]["decode.max_input_mib"], 64);
    assert_eq!(summary["run"]["settings"]["run.keep_duplicates"], false);

    // Another setting, another settings digest; the same files, the same rules digest.
    let record = &clean_jsonl(&["--script", "hans"], "{\"text\":\"正文。\"}\n").records(0)[0];
    assert_eq!(record["sluice"]["run"]["rules"], run["rules"]);
    assert_ne!(
        record["sluice"]["run"]["settings_digest"],
        run["settings_digest"]
    );
    // Another rule file, another rules digest.
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("extra.toml"), "[settings.decode]\n").unwrap();
    let rules = rules.to_str().unwrap();
    let record = &clean_jsonl(&["--rules", rules], "{\"text\":\"正文。\"}\n").records(0)[0];
    assert_ne!(record["sluice"]["run"]["rules"], run["rules"]);
}

#[test]
fn report_summary_counts_and_report_none_leaves_only_the_summary() {
    let (dir, input) = one_seed("004");
    for (level, out) in [("summary", "s"), ("none", "n")] {
        sluice()
            .args(["clean", "--report", level])
            .arg(&input)
            .arg("-o")
            .arg(dir.path().join(out))
            .assert()
            .success();
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s/a.json")).unwrap()).unwrap();
    let per_rule = report["edits_per_rule"].as_object().unwrap();
    assert!(
        per_rule["markup.stray-backslash"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert!(report.get("edits").is_none() && report["run"].is_object());
    assert!(!dir.path().join("n/a.json").exists());
    assert!(dir.path().join("n/a.txt").exists() && dir.path().join("n/summary.json").exists());
}

#[test]
fn completions_and_man_pages_come_from_the_command_line_definition() {
    let stdout = |args: &[&str]| stdout_of(sluice().args(args));
    let bash = stdout(&["completions", "bash"]);
    assert!(bash.contains("_sluice") && bash.contains("--output-format"));
    assert!(stdout(&["completions", "zsh"]).contains("#compdef sluice"));
    assert!(stdout(&["man"]).contains(".TH sluice 1"));
    let clean = stdout(&["man", "clean"]);
    assert!(clean.contains(".TH sluice-clean") && clean.contains("\\-\\-follow"));
    sluice().args(["man", "nope"]).assert().code(2);
}

#[cfg(unix)]
#[test]
fn links_in_trees_are_named_unless_quiet_and_followed_with_follow() {
    let (dir, input) = one_seed("002");
    let elsewhere = dir.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, seed("003")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, input.join("link.txt")).unwrap();
    let run = |out: &str, args: &[&str]| {
        let output = sluice()
            .arg("clean")
            .args(args)
            .arg(&input)
            .arg("-o")
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stderr).unwrap()
    };
    let said = run("plain", &[]);
    assert!(
        said.contains("link.txt: skipped") && said.contains("--follow"),
        "{said}"
    );
    assert!(!dir.path().join("plain/link.txt").exists());
    assert_eq!(run("quiet", &["-q"]), "");
    let verbose = run("verbose", &["-v"]);
    assert!(verbose.contains("a.txt: cleaned, "), "{verbose}");
    run("followed", &["--follow"]);
    assert!(dir.path().join("followed/link.txt").exists());
}
