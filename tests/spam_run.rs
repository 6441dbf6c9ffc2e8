//! `spam.repeated-span` end to end: `sluice clean` over a tree whose unrelated documents carry the
//! same unseen phrase with the injector's comma (issue 14).

// The fixtures are not used here.
#[allow(dead_code)]
#[path = "support/binary.rs"]
mod binary;

use std::path::Path;

use binary::{sluice, stdout_of};

/// An unseen phrase (in no list of the rules) with its ASCII comma.
const PHRASE: &str = "除濕機推薦";

/// The phrase as it stays in the simplified pages below: the script stage converts it.
const KEPT: &str = "除湿机推荐";

/// Unrelated pages, each punctuated with `，`; `{}` is where the phrase goes.
const PAGES: [&str; 4] = [
    "股市今天上涨了两个百分点{}投资者的信心有所恢复，成交量也明显放大。分析师认为，短期内市场仍将震荡。",
    "这本小说讲述了一个少年离开家乡{}到大城市闯荡的故事，情节曲折动人。作者用细腻的笔触描写了他的成长。",
    "春天来了，公园里的花都开了{}很多市民带着孩子来踏青，拍照留念。管理处提醒游客爱护花草。",
    "研究人员发现，每天步行三十分钟{}可以明显降低心血管疾病的风险，效果在老年人中更加显著。",
];

/// A page that uses the phrase (in simplified characters, as the page is written) in its own text,
/// without the injector's comma.
const LEGIT: &str = "梅雨季节到了，我看了很多除湿机推荐的文章，最后买了一台小型的，效果还不错。";

fn write_tree(dir: &Path, pages: &[String]) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, page) in pages.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:02}.txt")), page).unwrap();
    }
}

/// `pages` cleaned as one run with `args`: the directory whose `out/` holds the outputs.
fn run(pages: &[String], args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_tree(&input, pages);
    stdout_of(
        sluice()
            .arg("clean")
            .arg(&input)
            .arg("-o")
            .arg(dir.path().join("out"))
            // Copies of a page are near-duplicates: kept, so that each has an output.
            .arg("--keep-duplicates")
            .args(args),
    );
    dir
}

/// The output `name` of a run in `dir`.
fn output(dir: &tempfile::TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.path().join("out").join(name)).unwrap()
}

/// The `count` cleaned texts of a run in `dir`, in name order.
fn texts(dir: &tempfile::TempDir, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| output(dir, &format!("{i:02}.txt")))
        .collect()
}

/// The cleaned texts of `pages`, in name order, cleaned as one run with `args`.
fn clean(pages: &[String], args: &[&str]) -> Vec<String> {
    texts(&run(pages, args), pages.len())
}

fn injected(page: &str) -> String {
    page.replace("{}", &format!("{PHRASE},"))
}

#[test]
fn the_span_goes_from_every_copy_and_stays_in_a_legit_context() {
    let mut pages: Vec<String> = PAGES.iter().map(|p| injected(p)).collect();
    pages.push(LEGIT.to_string());
    let dir = run(&pages, &[]);
    let cleaned = texts(&dir, pages.len());
    for (page, text) in PAGES.iter().zip(&cleaned) {
        assert_eq!(text.trim(), page.replace("{}", ""), "{page}");
    }
    assert_eq!(cleaned[4].trim(), LEGIT);
    // The edit is in each copy's report, with the rule's id.
    let report = output(&dir, "00.json");
    assert!(report.contains("spam.repeated-span"), "{report}");
}

#[test]
fn near_duplicates_count_once() {
    // Two unrelated pages and a copy of one of them: two supports, under `min_docs` (3).
    let pages: Vec<String> = [PAGES[0], PAGES[1], PAGES[0]]
        .iter()
        .map(|p| injected(p))
        .collect();
    for text in clean(&pages, &[]) {
        assert!(text.contains(KEPT), "{text}");
    }
}

#[test]
fn output_is_the_same_for_any_number_of_threads() {
    let pages: Vec<String> = PAGES.iter().cycle().take(8).map(|p| injected(p)).collect();
    let one = clean(&pages, &["-j", "1"]);
    assert!(one.iter().all(|t| !t.contains(KEPT)));
    for threads in ["2", "4"] {
        assert_eq!(clean(&pages, &["-j", threads]), one);
    }
    // In batches of two, the span is confirmed in the second batch and stays in the first.
    let batched = clean(&pages, &["--batch-size", "2", "-j", "2"]);
    assert!(batched[..2].iter().all(|t| t.contains(KEPT)));
    assert!(batched[2..].iter().all(|t| !t.contains(KEPT)));
}
