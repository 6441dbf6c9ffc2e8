//! Output trees and shards: naming, near-duplicate copies, and the refusals that keep inputs safe.

use super::*;

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
