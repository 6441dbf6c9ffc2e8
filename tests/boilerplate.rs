//! The boilerplate stage on the seeds' chrome (its rule examples run in `sluice check`).

use sluice::internals::build;
use sluice::{Document, Pipeline, RuleSet, StageName};

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn run_stage(rules: &RuleSet, input: &str) -> Document {
    let stage = build(StageName::Boilerplate, rules).expect("boilerplate rules compile");
    let mut doc = Document::from_text(input);
    stage.run(&mut doc);
    doc
}

/// What the pinyin stage, which runs before this one, does to seeds 002 and 003: drop the tone-marked
/// syllables glued after characters (`聯(lián)系`), which make lines look longer than they are.
fn without_pinyin(text: &str) -> String {
    let annotation = regex::Regex::new(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)").unwrap();
    annotation.replace_all(text, "").into_owned()
}

/// The boilerplate stage alone on a seed: the lines it removed (checking that none was long) and
/// the text left.
fn removed_lines(name: &str) -> (Vec<String>, String) {
    let text = without_pinyin(&seed(name));
    let rules = RuleSet::defaults().unwrap();
    let doc = run_stage(&rules, &text);
    for edit in &doc.report().edits {
        for line in edit.before.lines() {
            assert!(
                line.trim().chars().count() <= 80,
                "{name}: {} removed a long line: {line}",
                edit.rule
            );
        }
    }
    let removed = doc
        .report()
        .edits
        .iter()
        .flat_map(|e| {
            e.before
                .lines()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty())
        .collect();
    (removed, doc.text().to_string())
}

fn assert_gone(removed: &[String], needles: &[&str]) {
    for needle in needles {
        assert!(
            removed.iter().any(|l| l.contains(needle)),
            "`{needle}` was not removed; removed: {removed:#?}"
        );
    }
}

#[test]
fn seed_000_footer() {
    let (removed, text) = removed_lines("000");
    assert_gone(
        &removed,
        &["最熱文章", "Copyright © GuTon.com", "版權所有:國通網"],
    );
    assert!(text.contains("你了解微營銷是什么嗎"));
}

#[test]
fn seed_001_footer() {
    let (removed, text) = removed_lines("001");
    assert_gone(
        &removed,
        &[
            "更多評論推薦",
            "欲领會更多",
            "13810995524",
            "不代表MBAChina立場",
            "頁:",
            "[1]",
        ],
    );
    assert!(text.contains("人貨合一才是真愛。"));
}

#[test]
fn seed_002_header_and_footer() {
    let (removed, text) = removed_lines("002");
    assert_gone(
        &removed,
        &["鮮花排名", "鮮花數量", "全部評論 (0)", "ICP", "律師事務"],
    );
    assert!(removed.iter().any(|l| l == "41"));
    assert!(text.contains("到底什么是微營銷"));
    assert!(!text.contains("秦緒文:秦緒文:"));
}

#[test]
fn seed_003_breadcrumb_and_list() {
    let (removed, text) = removed_lines("003");
    assert_gone(
        &removed,
        &[
            "當前位置",
            "溫馨提示",
            "ke.qq.com",
            "1一家豆腐店",
            "30全方位",
            "成都公司",
            "重慶公司",
        ],
    );
    assert!(text.contains("感謝本文原作者"));
}

#[test]
fn seed_004_archive_chrome() {
    let (removed, text) = removed_lines("004");
    assert_gone(
        &removed,
        &[
            "PermaLink",
            "來源: http",
            "Next Page",
            "ZKIZ Archives @ 2019",
        ],
    );
    assert!(text.contains("激情囤貨節"));
}

#[test]
fn works_after_the_html_stage() {
    let rules = RuleSet::defaults().unwrap();
    let pipeline = Pipeline::with_stages(
        &rules,
        [StageName::Decode, StageName::Html, StageName::Boilerplate],
    )
    .unwrap();
    let page = "<html><head><title>標題</title></head><body><div>\
        <p>這是文章的第一段，內容完整，很長很長。</p><p>這是文章的第二段，還有更多內容。</p>\
        <p>分享到：</p><p>Copyright © 2024 Example.com</p></div></body></html>";
    let cleaned = pipeline.clean(page.as_bytes()).unwrap();
    assert_eq!(cleaned.title.as_deref(), Some("標題"));
    assert!(!cleaned.text.contains("分享到"));
    assert!(!cleaned.text.contains("Copyright"));
    assert!(cleaned.text.contains("第二段"));
}

#[test]
fn numbers_in_table_cells_are_data() {
    let rules = RuleSet::defaults().unwrap();
    let stage = build(StageName::Boilerplate, &rules).unwrap();
    let kinds = vec![
        sluice::BlockKind::Paragraph,
        sluice::BlockKind::Paragraph,
        sluice::BlockKind::Heading,
        sluice::BlockKind::TableCell,
        sluice::BlockKind::TableCell,
    ];
    let mut doc = Document::typed("41\n這是正文的一句話。\n營收表\n2015\n120.5", kinds).unwrap();
    stage.run(&mut doc);
    assert_eq!(doc.text(), "這是正文的一句話。\n營收表\n2015\n120.5");
    assert_eq!(doc.kinds().len(), 4);
    // The output, read back as text without the cells' types, keeps them too.
    assert_eq!(run_stage(&rules, doc.text()).text(), doc.text());
}

/// A number-only line goes by its place, not by itself: a lone number between kept lines (a table
/// cell the text no longer marks, a section number) stays, in the first pass and in a second; a run
/// beside removed chrome and the header's counters go.
#[test]
fn a_lone_number_between_kept_lines_stays() {
    let rules = RuleSet::defaults().unwrap();
    for kept in [
        "正文的一句話。\n050402音乐学\n9\n选择音乐和美术",
        "正文的一句話。\n1\n全国名校长在小地方遇难题\n正文的另一句話。",
        "正文的一句話。\n各台冠军歌曲奖座统计\n1\n2\n4\n10\n四台冠军歌曲总数：0",
    ] {
        assert_eq!(run_stage(&rules, kept).text(), kept);
    }
    let doc = run_stage(
        &rules,
        "41\n0\n正文的一句話。\n版權所有\n2\n8\n正文的另一句話。",
    );
    assert_eq!(doc.text(), "正文的一句話。\n正文的另一句話。");
    assert!(
        doc.report()
            .edits
            .iter()
            .any(|e| e.rule == "boilerplate.counters")
    );
}

/// A text's title-like first line is laid out as its title, so it is no sentence that ends the
/// header: a number under it goes in the first pass, as in a second that reads the title over the
/// blank line the layout wrote (found by tests/properties.rs).
#[test]
fn a_number_under_a_title_that_asks_goes_in_one_pass() {
    let rules = RuleSet::defaults().unwrap();
    let body = "未來存在於今天,只是它分佈的沒有規則。";
    for input in [
        format!("最酷的东西？\n 2\n{body}"),
        format!("最酷的东西？\n\n2\n{body}"),
    ] {
        let doc = run_stage(&rules, &input);
        assert_eq!(
            doc.text().replace("\n\n", "\n"),
            format!("最酷的东西？\n{body}")
        );
    }
}

/// The title of a text as the layout writes it (a title-like first line over a blank line) is no
/// keyword line under a title: the keyword-line rule took `CCTV.com- 央视论坛 :: null` from an output
/// whose first pass had kept it as the page's `<title>`.
#[test]
fn the_title_of_a_text_is_no_keyword_line() {
    let rules = RuleSet::defaults().unwrap();
    let output = "CCTV.com- 央视论坛 :: null\n\n正文的一句話。";
    assert_eq!(run_stage(&rules, output).text(), output);
    let no_title = "CCTV.com- 央视论坛 :: null\n正文的一句話。";
    assert_eq!(run_stage(&rules, no_title).text(), "正文的一句話。");
}

#[test]
fn a_sentence_after_the_footer_is_kept_with_the_tail() {
    let rules = RuleSet::defaults().unwrap();
    let input = "正文的一句話。\n本文為作者授權發布，轉載請注明出處。本文僅代表作者觀點，不代表本站立場。\n作者為科技商業觀察家，《微革命》作者。";
    let doc = run_stage(&rules, input);
    assert_eq!(
        doc.text(),
        "正文的一句話。\n作者為科技商業觀察家，《微革命》作者。"
    );
    let address = "正文的一句話。\n本文為作者授權發布，轉載請注明出處。本文僅代表作者觀點，不代表本站立場。\n成都公司:成都市成華區建設南路160號";
    assert_eq!(run_stage(&rules, address).text(), "正文的一句話。");
}

/// A text that is all chrome loses every line at once: the spans of its lines must not overlap, or a
/// line would be left for a second cleaning to remove (found by tests/properties.rs).
#[test]
fn a_text_of_only_chrome_loses_every_line_in_one_pass() {
    let rules = RuleSet::defaults().unwrap();
    for input in ["    Copyright\n1", "Copyright\n1\n", "Copyright\n\n1"] {
        let doc = run_stage(&rules, input);
        assert_eq!(doc.text().trim(), "", "{input:?}: {:?}", doc.report().edits);
    }
}

/// The rules judge a line with its doubled byline gone, as cleaning the output again would: a line
/// that is a doubled prefix and a page number goes whole, in one pass, and the output is stable.
#[test]
fn a_doubled_prefix_does_not_hide_the_rest_of_its_line() {
    let rules = RuleSet::defaults().unwrap();
    let once = run_stage(
        &rules,
        "新聞標題：新聞標題：1\n秦緒文:秦緒文:到底什么是微營銷\n正文的一句話。",
    );
    assert_eq!(once.text(), "到底什么是微營銷\n正文的一句話。");
    let rules_used: Vec<&str> = once
        .report()
        .edits
        .iter()
        .map(|e| e.rule.as_str())
        .collect();
    assert_eq!(
        rules_used,
        ["boilerplate.counters", "boilerplate.doubled-byline"]
    );
    assert_eq!(run_stage(&rules, once.text()).text(), once.text());
}
