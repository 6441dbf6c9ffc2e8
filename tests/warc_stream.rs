//! `sluice clean -o`: WARC files stream record by record, and output trees are written batch by
//! batch with the same result as cleaning each page on its own, for any number of threads.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

#[path = "support/warc_record.rs"]
mod support;
use support::{warc_record, warc_record_with};

#[path = "support/binary.rs"]
mod binary;
use binary::{fixture, sluice, stdout_of};

#[path = "support/tree.rs"]
mod tree;
use tree::snapshot;

/// Clean `dir/crawl.warc.gz` into `out`, which must fail (exit 1) with `error` on stderr.
fn clean_failing(dir: &Path, out: &Path, error: &str) {
    let output = sluice()
        .arg("clean")
        .arg(dir.join("crawl.warc.gz"))
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(error), "{stderr}");
}

fn json_of(path: &Path) -> Map<String, Value> {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn response(url: &str, http: &[u8]) -> Vec<u8> {
    warc_record("response", "application/http; msgtype=response", url, http)
}

/// An HTTP response carrying `body`, gzip-encoded and/or chunked.
fn http(body: &[u8], gzip: bool, chunked: bool) -> Vec<u8> {
    let mut headers = String::from("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n");
    let mut payload = body.to_vec();
    if gzip {
        headers.push_str("Content-Encoding: gzip\r\n");
        payload = gzip_bytes(&payload);
    }
    if chunked {
        headers.push_str("Transfer-Encoding: chunked\r\n");
        let mut chunks = Vec::new();
        for part in payload.chunks(500) {
            chunks.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            chunks.extend_from_slice(part);
            chunks.extend_from_slice(b"\r\n");
        }
        chunks.extend_from_slice(b"0\r\n\r\n");
        payload = chunks;
    }
    let mut out = format!("{headers}\r\n").into_bytes();
    out.extend_from_slice(&payload);
    out
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A seed page as HTML: its first line the title, each other line a paragraph.
fn seed_page(seed: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture(&format!("seeds/{seed}.txt"))).unwrap();
    let mut lines = text.lines();
    let title = lines.next().unwrap_or_default();
    let body: String = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{l}</p>\n"))
        .collect();
    format!("<html><head><title>{title}</title></head><body>\n{body}</body></html>\n").into_bytes()
}

/// The report fields that do not depend on where a document came from (nor on the other documents
/// of the run: the two WARC files here are copies of each other), nor on the run's options (`run`
/// names `--keep-duplicates` among the settings).
fn content_fields(mut report: Map<String, Value>) -> Map<String, Value> {
    for key in [
        "source",
        "url",
        "warc_record_id",
        "text",
        "duplicates",
        "run",
    ] {
        report.remove(key);
    }
    report
}

#[test]
fn a_warc_gz_is_cleaned_record_by_record_like_each_page_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let a = seed_page("001");
    let b = seed_page("002");
    let c = seed_page("003");
    let d = std::fs::read(fixture("charset/gbk-declared-utf8.html")).unwrap();
    let e = std::fs::read(fixture("seeds/004.txt")).unwrap();
    // (record index, page) of every record that is a document; record 1 is an image.
    let documents: [(usize, &[u8], &str); 5] = [
        (0, &a, "a.html"),
        (2, &b, "b.html"),
        (3, &c, "c.html"),
        (4, &d, "d.html"),
        (5, &e, "e.txt"),
    ];
    let mut warc = response("http://a.cn/a", &http(&a, false, false));
    warc.extend(response(
        "http://a.cn/logo.png",
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n",
    ));
    warc.extend(response("http://a.cn/b", &http(&b, true, false)));
    warc.extend(response("http://a.cn/c", &http(&c, true, true)));
    warc.extend(response("http://a.cn/d", &http(&d, false, true)));
    warc.extend(warc_record("resource", "text/plain", "http://a.cn/e", &e));
    std::fs::write(dir.path().join("crawl.warc.gz"), gzip_bytes(&warc)).unwrap();
    std::fs::write(dir.path().join("plain.warc"), &warc).unwrap();

    let out = dir.path().join("out");
    sluice()
        .arg("clean")
        .arg(dir.path().join("crawl.warc.gz"))
        .arg(dir.path().join("plain.warc"))
        .arg("-o")
        .arg(&out)
        .arg("--keep-duplicates")
        .assert()
        .success();
    for (index, page, file) in documents {
        let path = pages.join(file);
        std::fs::write(&path, page).unwrap();
        let alone = sluice().arg("clean").arg(&path).output().unwrap();
        assert!(alone.status.success(), "{file}");
        let alone_report: Map<String, Value> = serde_json::from_slice(
            &sluice()
                .args(["clean", "--format", "json"])
                .arg(&path)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        for (tree, file) in [("crawl", "crawl.warc.gz"), ("plain", "plain.warc")] {
            let text = out.join(format!("{tree}/{index:05}.txt"));
            assert_eq!(
                String::from_utf8(std::fs::read(&text).unwrap()).unwrap(),
                String::from_utf8(alone.stdout.clone()).unwrap(),
                "{}",
                text.display()
            );
            let report = json_of(&text.with_extension("json"));
            assert_eq!(
                report["source"],
                format!("{}#{index}", dir.path().join(file).display()),
                "the source names file#record"
            );
            assert!(report["url"].as_str().unwrap().starts_with("http://a.cn/"));
            assert!(
                content_fields(report) == content_fields(alone_report.clone()),
                "{}: the report differs from the page's own",
                text.display()
            );
        }
    }
    assert!(
        !out.join("crawl/00001.txt").exists(),
        "the image is skipped"
    );
    let printed = sluice()
        .arg("clean")
        .arg(dir.path().join("crawl.warc.gz"))
        .args(["-j", "2"])
        .output()
        .unwrap();
    let headers: Vec<String> = String::from_utf8(printed.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| Some(l.strip_prefix("==> ")?.rsplit_once('#')?.1.to_string()))
        .collect();
    assert_eq!(headers, ["0 <==", "2 <==", "3 <==", "4 <==", "5 <=="]);
    let summary = json_of(&out.join("summary.json"));
    assert_eq!(
        (&summary["documents"], &summary["failed"]),
        (&10.into(), &0.into())
    );
}

#[test]
fn a_malformed_third_record_stops_the_file_there_with_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let page = |seed| http(&seed_page(seed), false, false);
    let mut warc = response("http://a.cn/0", &page("001"));
    warc.extend(response("http://a.cn/1", &page("002")));
    // Content-Length says less than the block holds: the reader overruns the record.
    let mut broken = response("http://a.cn/2", &page("003"));
    let declared = format!("Content-Length: {}", page("003").len());
    let at = broken
        .windows(declared.len())
        .position(|w| w == declared.as_bytes())
        .unwrap();
    broken.splice(
        at..at + declared.len(),
        b"Content-Length: 10".iter().copied(),
    );
    warc.extend(broken);
    warc.extend(response("http://a.cn/3", &page("004")));
    std::fs::write(dir.path().join("crawl.warc.gz"), gzip_bytes(&warc)).unwrap();
    let out = dir.path().join("out");
    clean_failing(dir.path(), &out, "crawl.warc.gz#2: bad WARC record");
    for index in [0, 1] {
        assert!(
            out.join(format!("crawl/{index:05}.txt")).is_file(),
            "{index}"
        );
    }
    assert!(!out.join("crawl/00003.txt").exists(), "reading stops at #2");
    let summary = json_of(&out.join("summary.json"));
    assert_eq!(
        (&summary["cleaned"], &summary["failed"]),
        (&2.into(), &1.into())
    );
    assert!(
        summary["errors"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("crawl.warc.gz#2")
    );
}

/// More documents than one batch holds, with a cluster whose kept (longest) copy comes after the
/// first batch: the shorter copy, written in the first batch, must lose its text afterwards.
fn tree_across_batches(dir: &Path) {
    let article = std::fs::read_to_string(fixture("seeds/002.txt")).unwrap();
    let mut lines: Vec<&str> = article.lines().collect();
    lines.insert(
        12,
        "轉載的網站在文章中間多加了一段自己的說明文字，讓這一份比原文更長一些。",
    );
    std::fs::write(dir.join("a.txt"), &article).unwrap();
    std::fs::write(dir.join("m.txt"), &article).unwrap();
    std::fs::write(dir.join("z.txt"), lines.join("\n")).unwrap();
    std::fs::copy(fixture("seeds/003.txt"), dir.join("b.txt")).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let fillers = dir.join("f");
    std::fs::create_dir_all(&fillers).unwrap();
    for i in 0..1100 {
        let text: String = (0..40)
            .map(|_| char::from_u32(rng.u32(0x4e00..0x9fa5)).unwrap())
            .collect();
        std::fs::write(fillers.join(format!("{i:04}.txt")), format!("{text}。\n")).unwrap();
    }
    // m.html comes before m.txt: it takes m.txt, and the copy of the article becomes m~2.txt.
    std::fs::write(
        dir.join("m.html"),
        "<html><body><p>另一份。</p></body></html>",
    )
    .unwrap();
}

fn clean_tree(input: &Path, out: &Path, jobs: &str) -> Vec<(PathBuf, Vec<u8>)> {
    sluice()
        .arg("clean")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(["-j", jobs])
        .assert()
        .success();
    let mut summary = json_of(&out.join("summary.json"));
    summary.remove("seconds");
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_vec_pretty(&summary).unwrap(),
    )
    .unwrap();
    snapshot(out)
}

#[test]
fn a_tree_across_batches_is_identical_for_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    tree_across_batches(&input);
    let one = clean_tree(&input, &dir.path().join("one"), "1");
    let two = clean_tree(&input, &dir.path().join("two"), "2");
    assert!(one == two, "-j 1 and -j 2 differ");

    let out = dir.path().join("one");
    assert!(out.join("z.txt").is_file(), "the longest copy is kept");
    assert!(!out.join("a.txt").exists() && !out.join("m~2.txt").exists());
    assert!(out.join("m.txt").is_file(), "m.html keeps its name");
    let dropped = json_of(&out.join("a.json"));
    assert_eq!(dropped["duplicates"]["kept"], false);
    assert!(
        dropped["duplicates"]["kept_copy"]
            .as_str()
            .unwrap()
            .ends_with("z.txt")
    );
    let kept = json_of(&out.join("z.json"));
    assert_eq!(kept["duplicates"]["kept"], true);
    assert!(json_of(&out.join("b.json")).get("duplicates").is_none());
    let summary = json_of(&out.join("summary.json"));
    assert_eq!(summary["documents"], 1105);
    assert_eq!(summary["duplicates_not_written"], 2);
    assert_eq!(summary["renamed"][0]["output"], "m~2.txt");
}

#[test]
fn a_truncated_warc_gz_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    // One gzip member per record, as crawlers write them; the last member is cut short.
    let mut gz = Vec::new();
    for (i, seed) in ["000", "001", "002", "003", "004"].iter().enumerate() {
        let record = response(
            &format!("http://a.cn/{i}"),
            &http(&seed_page(seed), false, false),
        );
        let member = gzip_bytes(&record);
        let end = if i == 4 {
            member.len() / 2
        } else {
            member.len()
        };
        gz.extend_from_slice(&member[..end]);
    }
    std::fs::write(dir.path().join("crawl.warc.gz"), gz).unwrap();
    let out = dir.path().join("out");
    clean_failing(
        dir.path(),
        &out,
        "crawl.warc.gz#4: bad WARC record: cannot read",
    );
    for index in 0..4 {
        assert!(
            out.join(format!("crawl/{index:05}.txt")).is_file(),
            "{index}"
        );
    }
}

/// An HTTP response with this status line and these extra header lines (each ending in CRLF).
fn http_response(status: &str, headers: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{status}\r\nContent-Type: text/html\r\n{headers}\r\n").into_bytes();
    out.extend_from_slice(payload);
    out
}

/// `pages` written into `dir/pages/NAME.html` and cleaned alone: the text each should give.
fn cleaned_alone(dir: &Path, pages: &[Vec<u8>]) -> Vec<String> {
    let alone = dir.join("pages");
    std::fs::create_dir_all(&alone).unwrap();
    pages
        .iter()
        .enumerate()
        .map(|(i, page)| {
            let path = alone.join(format!("{i}.html"));
            std::fs::write(&path, page).unwrap();
            stdout_of(sluice().arg("clean").arg(&path))
        })
        .collect()
}

fn compressed(encoder: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    encoder(&mut out);
    out
}

#[test]
fn deflate_brotli_and_http2_responses_and_zstd_warcs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let pages: Vec<Vec<u8>> = ["000", "001", "002", "003", "004"]
        .iter()
        .map(|s| seed_page(s))
        .collect();
    let zlib = compressed(|out| {
        let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::default());
        z.write_all(&pages[0]).unwrap();
        z.finish().unwrap();
    });
    let raw_deflate = compressed(|out| {
        let mut z = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
        z.write_all(&pages[1]).unwrap();
        z.finish().unwrap();
    });
    let br = compressed(|out| {
        let mut w = brotli::CompressorWriter::new(out, 4096, 9, 22);
        w.write_all(&pages[2]).unwrap();
    });
    let responses = [
        http_response("HTTP/1.1 200 OK", "Content-Encoding: deflate\r\n", &zlib),
        http_response(
            "HTTP/1.1 200 OK",
            "Content-Encoding: deflate\r\n",
            &raw_deflate,
        ),
        http_response("HTTP/1.1 200 OK", "Content-Encoding: br\r\n", &br),
        http_response("HTTP/2 200", "", &pages[3]),
        http_response("HTTP/2.0 200 OK", "", &pages[4]),
    ];
    let records: Vec<Vec<u8>> = responses
        .iter()
        .enumerate()
        .map(|(i, http)| response(&format!("http://a.cn/{i}"), http))
        .collect();
    std::fs::write(dir.path().join("plain.warc"), records.concat()).unwrap();
    // .warc.zst as the IIPC convention writes it: one frame per record, with or without a
    // dictionary in a skippable frame first (raw or itself zstd-compressed).
    let dictionary = seed_page("002")[..2000].to_vec();
    let frames = |dict: &[u8]| -> Vec<u8> {
        let mut compressor = zstd::bulk::Compressor::with_dictionary(3, dict).unwrap();
        records
            .iter()
            .flat_map(|r| compressor.compress(r).unwrap())
            .collect()
    };
    let dictionary_frame = |content: &[u8]| -> Vec<u8> {
        let mut frame = 0x184D_2A5D_u32.to_le_bytes().to_vec();
        frame.extend_from_slice(&(content.len() as u32).to_le_bytes());
        frame.extend_from_slice(content);
        frame
    };
    std::fs::write(dir.path().join("frames.warc.zst"), frames(&[])).unwrap();
    let mut with_dict = dictionary_frame(&dictionary);
    with_dict.extend(frames(&dictionary));
    std::fs::write(dir.path().join("dict.warc.zst"), with_dict).unwrap();
    let mut with_packed_dict = dictionary_frame(&zstd::bulk::compress(&dictionary, 3).unwrap());
    with_packed_dict.extend(frames(&dictionary));
    std::fs::write(dir.path().join("packed.warc.zst"), with_packed_dict).unwrap();

    let out = dir.path().join("out");
    stdout_of(
        sluice()
            .current_dir(dir.path())
            .args([
                "clean",
                "plain.warc",
                "frames.warc.zst",
                "dict.warc.zst",
                "packed.warc.zst",
            ])
            .args(["-o", "out", "--keep-duplicates"]),
    );
    let expected = cleaned_alone(dir.path(), &pages);
    for tree in ["plain", "frames", "dict", "packed"] {
        for (i, text) in expected.iter().enumerate() {
            let path = out.join(format!("{tree}/{i:05}.txt"));
            assert_eq!(
                &std::fs::read_to_string(&path).unwrap(),
                text,
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn a_bad_header_fails_its_record_alone_and_a_gbk_uri_is_kept_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let page = |seed| http(&seed_page(seed), false, false);
    let gbk_uri = [
        b"http://a.cn/".as_slice(),
        &encoding_rs::GBK.encode("新闻").0,
    ]
    .concat();
    let kind = b"application/http; msgtype=response".as_slice();
    let mut warc = warc_record_with(
        &[
            (b"WARC-Type", b"response"),
            (b"WARC-Record-ID", b"<urn:uuid:0>"),
            (b"WARC-Date", b"2024-01-01T00:00:00Z"),
            (b"WARC-Target-URI", &gbk_uri),
            (b"Content-Type", kind),
        ],
        &page("001"),
    );
    // A header line without a colon: the record is malformed, but its Content-Length is known.
    warc.extend(warc_record_with(
        &[
            (b"WARC-Type", b"response\r\nthis line is no header"),
            (b"WARC-Record-ID", b"<urn:uuid:1>"),
            (b"WARC-Date", b"2024-01-01T00:00:00Z"),
            (b"Content-Type", kind),
        ],
        &page("002"),
    ));
    warc.extend(response("http://a.cn/2", &page("003")));
    std::fs::write(dir.path().join("crawl.warc.gz"), gzip_bytes(&warc)).unwrap();
    let out = dir.path().join("out");
    clean_failing(dir.path(), &out, "crawl.warc.gz#1: bad WARC header");
    for index in [0, 2] {
        assert!(
            out.join(format!("crawl/{index:05}.txt")).is_file(),
            "{index}"
        );
    }
    let report = json_of(&out.join("crawl/00000.json"));
    assert_eq!(report["url"], "http://a.cn/%D0%C2%CE%C5");
    assert!(
        report["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "decode.warc-header"),
        "{report:?}"
    );
}
