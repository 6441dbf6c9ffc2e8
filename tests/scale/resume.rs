//! Runs killed part-way (SIGKILL) resume to the same tree and shards; state of other runs is ignored.

use super::*;

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
