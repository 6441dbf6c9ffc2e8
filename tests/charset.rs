//! End-to-end tests of charset detection: the `sluice` binary on `fixtures/charset/`, each file
//! compared with its golden output and its decode report checked for the method and evidence.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/charset")
        .join(name)
}

/// `sluice clean --format json FILE`, checked against `NAME.expected.txt`; returns the report.
fn clean_matches_golden(name: &str) -> Value {
    let output = Command::cargo_bin("sluice")
        .unwrap()
        .args(["clean", "--format", "json"])
        .arg(fixture(name))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stem = name.rsplit_once('.').unwrap().0;
    let expected = std::fs::read_to_string(fixture(&format!("{stem}.expected.txt"))).unwrap();
    let text = Command::cargo_bin("sluice")
        .unwrap()
        .arg("clean")
        .arg(fixture(name))
        .output()
        .unwrap()
        .stdout;
    assert_eq!(String::from_utf8(text).unwrap(), expected, "{name}");
    report
}

fn decode_field<'a>(report: &'a Value, field: &str) -> &'a str {
    report["decode"][field].as_str().unwrap_or_default()
}

#[test]
fn a_byte_order_mark_before_the_doctype_is_still_html() {
    let report = clean_matches_golden("utf8-bom-doctype.html");
    assert_eq!(decode_field(&report, "method"), "bom");
    assert!(!report["text"].as_str().unwrap().contains("<p>"));
    let report = clean_matches_golden("utf16le-bom.html");
    assert_eq!(decode_field(&report, "encoding"), "UTF-16LE");
}

#[test]
fn utf16_and_utf32_without_a_byte_order_mark_are_decoded_not_refused() {
    for (name, encoding) in [
        ("utf16le-no-bom.txt", "UTF-16LE"),
        ("utf16be-no-bom.html", "UTF-16BE"),
        ("utf32le-no-bom.txt", "UTF-32LE"),
    ] {
        let report = clean_matches_golden(name);
        assert_eq!(decode_field(&report, "encoding"), encoding, "{name}");
        assert_eq!(decode_field(&report, "method"), "pattern", "{name}");
        assert!(
            decode_field(&report, "evidence").contains("without a byte-order mark"),
            "{name}: {report}"
        );
    }
}

#[test]
fn euc_tw_is_told_from_gb18030_by_evidence() {
    let report = clean_matches_golden("euc-tw.txt");
    assert_eq!(decode_field(&report, "encoding"), "EUC-TW");
    assert_eq!(report["decode"]["errors"], 0);
    assert!(
        decode_field(&report, "evidence").contains("gb18030"),
        "the evidence names the decoding it beat: {report}"
    );
}

#[test]
fn iso_2022_cn_and_hz_are_recognised_by_their_escapes() {
    for (name, encoding) in [
        ("iso-2022-cn.txt", "ISO-2022-CN"),
        ("hz-gb-2312.txt", "HZ-GB-2312"),
    ] {
        let report = clean_matches_golden(name);
        assert_eq!(decode_field(&report, "encoding"), encoding, "{name}");
        assert_eq!(decode_field(&report, "method"), "escapes", "{name}");
        assert_eq!(report["decode"]["errors"], 0, "{name}");
    }
}

#[test]
fn charset_words_in_other_attributes_declare_nothing() {
    let report = clean_matches_golden("meta-in-other-attributes.html");
    assert!(report["decode"].get("declared").is_none(), "{report}");
    assert_eq!(decode_field(&report, "encoding"), "gb18030");
}
