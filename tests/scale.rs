//! Runs at archive scale (issue 17): the JSON Lines contract (fields and numbers as given, streaming,
//! a summary on stderr, `--fail-on-error`), compressed JSON Lines input, and provenance in reports
//! and summaries.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn sluice() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("sluice").unwrap()
}

#[path = "support/jsonl.rs"]
mod jsonl_support;
use jsonl_support::clean_jsonl;

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

/// The summaries of a run: an output tree's, and the shards'.
const SUMMARIES: [&str; 2] = ["summary.json", "_summary.json"];

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
        if SUMMARIES.contains(&name.as_str()) {
            let mut summary: Value = serde_json::from_slice(bytes).unwrap();
            summary.as_object_mut().unwrap().remove("seconds");
            *bytes = summary.to_string().into_bytes();
        }
    }
    files
}

/// `count` texts from the seeds' openings, each with a line of its own, so the texts of one seed are
/// near-duplicates of each other.
fn corpus_texts(count: usize) -> Vec<String> {
    let seeds: Vec<String> = ["000", "001", "002", "003", "004"]
        .iter()
        .map(|n| seed(n).lines().take(12).collect::<Vec<_>>().join("\n"))
        .collect();
    (0..count)
        .map(|i| format!("{}\n第{i}號轉載說明。", seeds[i % seeds.len()]))
        .collect()
}

/// The [`corpus_texts`] as documents `0000.txt`, `0001.txt` … in `dir`.
fn corpus(dir: &Path, count: usize) {
    for (i, text) in corpus_texts(count).iter().enumerate() {
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
    assert!(SUMMARIES.iter().all(|name| !out.join(name).exists()));
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

/// The JSON of a file.
fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A record's keys, in order.
fn keys(record: &Value) -> Vec<&str> {
    record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

/// `in/records.jsonl.gz`: a record with fields around its text (a 25-digit `id`, a decimal written
/// `2.50`), one with no `id` and its page in `html`, a line that is no JSON, and a near-duplicate of
/// the first.
fn records_file() -> (tempfile::TempDir, PathBuf) {
    let (dir, input) = input_dir(|_| {});
    let article = serde_json::to_string(&seed("002")).unwrap();
    let page = serde_json::to_string(&format!("<p>{}</p>", seed("003"))).unwrap();
    let lines = format!(
        "{{\"zeta\":1,\"id\":1234567890123456789012345,\"text\":{article},\"alpha\":{{\"z\":2.50,\"a\":[-0.0]}}}}\n\
         {{\"lang\":\"zh\",\"html\":{page}}}\n\
         \n\
         not json\n\
         {{\"id\":\"copy\",\"text\":{article}}}\n"
    );
    let file = input.join("records.jsonl.gz");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(lines.as_bytes()).unwrap();
    std::fs::write(&file, gzip.finish().unwrap()).unwrap();
    (dir, file)
}

/// `clean --jsonl FILE -o OUT ARGS…`: its stderr, once it exits 1 (a record failed).
fn clean_records(file: &Path, out: &Path, args: &[&str]) -> String {
    let output = sluice()
        .arg("clean")
        .arg("--jsonl")
        .arg(file)
        .arg("-o")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    stderr
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

/// `count` records of [`corpus_texts`] as JSON Lines in `in/records.jsonl`, each with a 25-digit
/// `id` before its text and a field after it (`--keep-duplicates` fills shards with them).
fn records_corpus(count: usize) -> (tempfile::TempDir, PathBuf) {
    let (dir, input) = input_dir(|_| {});
    let lines: String = corpus_texts(count)
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let text = serde_json::to_string(text).unwrap();
            format!("{{\"id\":1{i:024},\"text\":{text},\"n\":{i}}}\n")
        })
        .collect();
    let file = input.join("records.jsonl");
    std::fs::write(&file, lines).unwrap();
    (dir, file)
}

#[test]
fn a_killed_run_of_json_lines_records_resumes_to_the_same_tree_and_shards() {
    let (dir, file) = records_corpus(BATCHES * 10);
    // `--jsonl` last: the input these helpers put after the options is its file.
    for (name, args) in [
        ("tree", &["--jsonl"][..]),
        (
            "shards",
            &[
                "--output-format",
                "jsonl.gz",
                "--shard-records",
                "10",
                "--keep-duplicates",
                "--jsonl",
            ][..],
        ),
    ] {
        let whole = dir.path().join(format!("{name}-whole"));
        clean_whole(&file, &whole, args);
        let out = dir.path().join(name);
        assert!(kill_when(&file, &out, args, || parts_done(&out) >= BATCHES / 2));
        assert_no_partial_file(&out);
        clean_whole(&file, &out, args);
        assert_eq!(tree_files(&out), tree_files(&whole), "{name}");
    }
    let records = shard_records(&dir.path().join("shards"));
    assert_eq!(keys(&records[0]), ["id", "n", "text", "title", "sluice"]);
    assert_eq!(records[0]["id"].to_string(), format!("1{:024}", 0));
}

#[test]
fn run_state_an_older_build_left_is_ignored_and_the_run_starts_over() {
    let (dir, input) = corpus_dir(BATCHES * 10);
    let whole = dir.path().join("whole");
    clean_whole(&input, &whole, &[]);
    let out = dir.path().join("out");
    assert!(kill_when(&input, &out, &[], || parts_done(&out) >= BATCHES / 2));
    // The same run, as a build that wrote its state in another layout would have left it.
    let identity_file = out.join(".sluice/run.json");
    let mut identity = json_file(&identity_file);
    identity["format"] = json!(0);
    std::fs::write(&identity_file, identity.to_string()).unwrap();
    let output = sluice()
        .args(["clean", "--batch-size", "10"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr
            .contains("not continued, started over: state of another sluice build (state format 0"),
        "{stderr}"
    );
    assert_eq!(tree_files(&out), tree_files(&whole));
}

#[test]
fn a_sharded_run_replaces_the_shards_of_the_run_before_it() {
    let (dir, input) = corpus_dir(5);
    let out = dir.path().join("out");
    let run = || {
        clean_whole(
            &input,
            &out,
            &["--output-format", "jsonl", "--shard-records", "1"],
        )
    };
    run();
    let names = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names().len(), 6);
    for name in ["0002.txt", "0003.txt", "0004.txt"] {
        std::fs::remove_file(input.join(name)).unwrap();
    }
    run();
    assert_eq!(names(), ["00000.jsonl", "00001.jsonl", "_summary.json"]);
}
