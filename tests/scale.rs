//! Runs at archive scale (issue 17): the JSON Lines contract (fields and numbers as given, streaming,
//! a summary on stderr, `--fail-on-error`), compressed JSON Lines input, and provenance in reports
//! and summaries.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn sluice() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("sluice").unwrap()
}

/// `sluice clean --jsonl - ARGS…` on `input`: exit code, stdout, stderr.
fn clean_jsonl(args: &[&str], input: impl Into<Vec<u8>>) -> (Option<i32>, String, String) {
    let output = sluice()
        .args(["clean", "--jsonl", "-"])
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_record_keeps_its_field_order_and_a_25_digit_integer() {
    let line = r#"{"zeta":1,"id":1234567890123456789012345,"text":"第一段正文。","alpha":{"z":2.50,"a":[-0.0]},"mid":null}"#;
    let (code, out, _) = clean_jsonl(&[], format!("{line}\n"));
    assert_eq!(code, Some(0));
    let out = out.trim_end();
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
    let (code, out, err) = clean_jsonl(&[], input);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 3);
    assert!(
        err.starts_with("sluice: 3 records, 1 failed, 1 duplicates"),
        "{err}"
    );
    let (code, out, _) = clean_jsonl(&["--fail-on-error"], input);
    assert_eq!((code, out.lines().count()), (Some(1), 3));
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
        let output = sluice()
            .arg("clean")
            .arg("--jsonl")
            .arg(file)
            .output()
            .unwrap();
        assert!(output.status.success());
        let ids: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
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
    let (_, line, _) = clean_jsonl(&["--script", "hans"], "{\"text\":\"正文。\"}\n".to_string());
    let record: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(record["sluice"]["run"]["rules"], run["rules"]);
    assert_ne!(
        record["sluice"]["run"]["settings_digest"],
        run["settings_digest"]
    );
    // Another rule file, another rules digest.
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("extra.toml"), "[settings.decode]\n").unwrap();
    let (_, line, _) = clean_jsonl(
        &["--rules", rules.to_str().unwrap()],
        "{\"text\":\"正文。\"}\n".to_string(),
    );
    let record: Value = serde_json::from_str(&line).unwrap();
    assert_ne!(record["sluice"]["run"]["rules"], run["rules"]);
}

/// Every file of an output tree but the run's state, with the summary's `seconds` (this invocation's
/// time) left out.
fn tree_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(out)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(out).unwrap().display().to_string();
            (name, std::fs::read(e.path()).unwrap())
        })
        .filter(|(name, _)| !name.starts_with(".sluice"))
        .collect();
    for (name, bytes) in &mut files {
        if name == "summary.json" {
            let mut summary: Value = serde_json::from_slice(bytes).unwrap();
            summary.as_object_mut().unwrap().remove("seconds");
            *bytes = summary.to_string().into_bytes();
        }
    }
    files
}

/// `count` documents from the seeds' openings, each with a line of its own, so the documents of one
/// seed are near-duplicates of each other.
fn corpus(dir: &Path, count: usize) {
    let seeds: Vec<String> = ["000", "001", "002", "003", "004"]
        .iter()
        .map(|n| seed(n).lines().take(12).collect::<Vec<_>>().join("\n"))
        .collect();
    for i in 0..count {
        let text = format!("{}\n第{i}號轉載說明。", seeds[i % seeds.len()]);
        std::fs::write(dir.join(format!("{i:04}.txt")), text).unwrap();
    }
}

const BATCHES: usize = 30;

/// How many parts (batches of a tree, shards) of a run into `out` are marked done.
fn parts_done(out: &Path) -> usize {
    std::fs::read_dir(out.join(".sluice/done")).map_or(0, Iterator::count)
}

/// A temporary directory with an input directory `in/` that `fill` fills, and its path.
fn input_dir(fill: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    fill(&input);
    (dir, input)
}

/// `in/a.txt`, the seed `number`.
fn one_seed(number: &str) -> (tempfile::TempDir, PathBuf) {
    input_dir(|input| std::fs::write(input.join("a.txt"), seed(number)).unwrap())
}

/// `in/` with `count` documents of [`corpus`].
fn corpus_dir(count: usize) -> (tempfile::TempDir, PathBuf) {
    input_dir(|input| corpus(input, count))
}

/// `clean --batch-size 10 ARGS… input -o out`, run to its end.
fn clean_whole(input: &Path, out: &Path, args: &[&str]) {
    sluice()
        .args(["clean", "--batch-size", "10"])
        .args(args)
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

/// Start `clean ARGS… input -o out` in batches of 10, and kill it (SIGKILL) once `ready` says so;
/// false when the run ended first.
fn kill_when(input: &Path, out: &Path, args: &[&str], ready: impl Fn() -> bool) -> bool {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("sluice"))
        .args(["clean", "--batch-size", "10", "-j", "2"])
        .args(args)
        .arg(input)
        .arg("-o")
        .arg(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if ready() {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
    }
}

/// After a kill: no report cut short (every file is written whole and renamed), no summary.
fn assert_no_partial_file(out: &Path) {
    assert!(!out.join("summary.json").exists());
    for (name, bytes) in tree_files(out) {
        if name.ends_with(".json") {
            assert!(
                serde_json::from_slice::<Value>(&bytes).is_ok(),
                "{name} is cut short"
            );
        }
    }
}

#[test]
fn a_run_killed_at_10_50_90_percent_and_while_clustering_resumes_to_the_same_tree() {
    let (dir, input) = corpus_dir(BATCHES * 10);
    let whole = dir.path().join("whole");
    clean_whole(&input, &whole, &[]);
    assert!(
        !whole.join(".sluice").exists(),
        "a complete run leaves no state"
    );
    let expected = tree_files(&whole);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(whole.join("summary.json")).unwrap()).unwrap();
    let dropped = summary["duplicates_not_written"].as_u64().unwrap();
    assert!(
        dropped > 200,
        "the seeds' copies are clustered: {dropped} dropped"
    );

    let out = dir.path().join("out");
    for percent in [10, 50, 90] {
        let at = BATCHES * percent / 100;
        assert!(kill_when(&input, &out, &[], || parts_done(&out) >= at));
        let done = parts_done(&out);
        assert!((at..BATCHES).contains(&done), "killed at {done} batches");
        assert_no_partial_file(&out);
    }
    // Killed once every batch is done: in the clustering at the end (reports rewritten, copies
    // deleted, the summary written last). A run that ends before the kill lands is tried again; its
    // rerun goes straight to the clustering.
    let killed_clustering = (0..10).any(|_| {
        kill_when(&input, &out, &[], || parts_done(&out) == BATCHES)
            && !out.join("summary.json").exists()
    });
    assert!(killed_clustering, "never killed while clustering");
    assert_no_partial_file(&out);
    clean_whole(&input, &out, &[]);
    assert_eq!(tree_files(&out), expected);
}

/// The records of the shards of `out`, in shard order.
fn shard_records(out: &Path) -> Vec<Value> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jsonl.gz"))
        .collect();
    names.sort();
    let mut records = Vec::new();
    for name in names {
        let file = std::fs::File::open(out.join(name)).unwrap();
        for line in BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines() {
            records.push(serde_json::from_str(&line.unwrap()).unwrap());
        }
    }
    records
}

#[test]
fn sharded_jsonl_is_written_whole_and_a_killed_run_resumes_to_the_same_shards() {
    let (dir, input) = corpus_dir(200);
    // Two copies of each seed's first document are kept, so the shards have records to fill.
    let args = [
        "--output-format",
        "jsonl.gz",
        "--shard-records",
        "2",
        "--keep-duplicates",
        "--report",
        "summary",
    ];
    let whole = dir.path().join("whole");
    clean_whole(&input, &whole, &args);
    assert!(!whole.join(".sluice").exists());
    let records = shard_records(&whole);
    assert_eq!(records.len(), 200);
    assert!(records[0]["id"].as_str().unwrap().ends_with("0000.txt"));
    assert!(records[0]["text"].is_string());
    assert!(records[0]["sluice"]["edits_per_rule"].is_object());
    assert!(records[0]["sluice"].get("edits").is_none());
    assert_eq!(records[5]["sluice"]["duplicate_of"], 0);

    let out = dir.path().join("out");
    assert!(kill_when(&input, &out, &args, || parts_done(&out) >= 50));
    assert_no_partial_file(&out);
    let partial = shard_records(&out);
    assert!((100..200).contains(&partial.len()), "{}", partial.len());
    clean_whole(&input, &out, &args);
    assert_eq!(tree_files(&out), tree_files(&whole));
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
    let stdout = |args: &[&str]| {
        let output = sluice().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        String::from_utf8(output.stdout).unwrap()
    };
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

#[path = "support/warc_record.rs"]
mod warc_support;

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
    let stdout = |args: &[&str]| {
        let output = sluice()
            .arg("clean")
            .args(args)
            .arg(&warc)
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
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
