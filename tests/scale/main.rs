//! Runs at archive scale (issue 17): the JSON Lines contract (fields and numbers as given, streaming,
//! a summary on stderr, `--fail-on-error`), compressed JSON Lines input, and provenance in reports
//! and summaries. One module per topic, in one test binary.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod contract;
mod records;
mod resume;

#[path = "../support/warc_record.rs"]
mod warc_support;

#[path = "../support/seeds.rs"]
mod seeds;
use seeds::seed;

// This binary needs no fixture but the seeds.
#[allow(dead_code)]
#[path = "../support/binary.rs"]
mod binary;
use binary::{sluice, stdout_of};

#[path = "../support/jsonl.rs"]
mod jsonl_support;
use jsonl_support::clean_jsonl;

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
