//! Properties of the whole pipeline over generated pages, with proptest: every text stage's report
//! replays to its output, and the output does not depend on the number of threads; cleaning a text
//! page is idempotent, and a repair's output is accepted by `repair --check` (a second repair
//! changes nothing).
//!
//! Pages are made of lines of the seed pages and fixtures (real spam, mojibake, pinyin, chrome) cut
//! and joined at random, with atoms that are known to be hard (number-only lines, short title-like
//! lines, markup, stray characters), as text and as HTML. Each property runs `PROPTEST_CASES`
//! cases (10,000 unless set; CI runs the default) from a fixed seed (`PROPTEST_RNG_SEED` explores
//! others) on the library in-process.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rayon::prelude::*;
use sluice::{Document, Format, Pipeline, Profile, RuleSet};

#[path = "support/replay.rs"]
mod replay;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::defaults().unwrap())
}

fn clean_pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::from_rules(rules()).unwrap())
}

fn repair_pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::with_profile(rules(), Profile::Repair).unwrap())
}

/// The lines of the seed pages and of the expected texts of the other fixtures (their inputs are in
/// other charsets), each at most 120 bytes (longer ones cut at a character boundary): the material
/// pages are made of.
fn fixture_lines() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut lines = Vec::new();
    for dir in ["seeds", "markup", "charset", "html"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".expected.txt") || (dir == "seeds" && name.ends_with(".txt"))
            })
            .collect();
        paths.sort();
        for path in paths {
            let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
            lines.extend(text.lines().filter(|l| !l.trim().is_empty()).map(cut_line));
        }
    }
    lines.sort();
    lines.dedup();
    lines
}

fn cut_line(line: &str) -> String {
    let mut end = line.len().min(120);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].to_string()
}

/// Atoms that a second pass has been seen to treat differently from the first. U+FEFF is left out:
/// the layout trims it at line ends where the stages saw it, and at the start of a text it is read
/// as a byte-order mark (README, Limitations).
const ATOMS: &[&str] = &[
    "1",
    "2024",
    "12 34",
    "3.",
    "第1頁",
    "標題",
    "新聞標題：",
    "Title",
    "  ",
    "-",
    "|",
    "\\",
    "<b>",
    "[b]粗體[/b]",
    "Ã©tÃ©",
    "锟斤拷",
    "聯(lián)系",
    "\u{200B}",
    "\t",
    "。",
    "，",
    "（）",
    "http://example.com/a?b=1",
];

/// One line: one to three pieces, each a fixture line, a part of one, or an atom.
fn line() -> impl Strategy<Value = String> {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    let lines = LINES.get_or_init(fixture_lines).clone();
    let piece = prop_oneof![
        1 => prop::sample::select(lines.clone()),
        3 => (prop::sample::select(lines), any::<prop::sample::Index>(), 1..30usize).prop_map(
            |(line, at, len)| {
                let chars: Vec<char> = line.chars().collect();
                let start = at.index(chars.len());
                chars[start..(start + len).min(chars.len())].iter().collect()
            }
        ),
        2 => prop::sample::select(ATOMS).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 1..=3).prop_map(|pieces| pieces.concat())
}

/// A text page of 1 to 6 lines.
fn text_page() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 1..=6).prop_map(|lines| lines.join("\n"))
}

/// An HTML page: a `<title>`, an optional heading, and paragraphs, list items and a footer.
fn html_page() -> impl Strategy<Value = String> {
    let block = prop_oneof![
        line().prop_map(|l| format!("<p>{}</p>", escape(&l))),
        line().prop_map(|l| format!("<li>{}</li>", escape(&l))),
        line().prop_map(|l| format!("<div class=\"footer\">{}</div>", escape(&l))),
    ];
    (
        line(),
        prop::option::of(line()),
        prop::collection::vec(block, 1..=6),
    )
        .prop_map(|(title, heading, blocks)| {
            let heading = heading.map_or(String::new(), |h| format!("<h1>{}</h1>", escape(&h)));
            format!(
                "<!DOCTYPE html><html><head><title>{}</title></head><body>{heading}<div class=\"article\">{}</div></body></html>",
                escape(&title),
                blocks.concat()
            )
        })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A page as bytes: text or HTML.
fn page() -> impl Strategy<Value = String> {
    prop_oneof![3 => text_page(), 1 => html_page()]
}

/// `PROPTEST_CASES` cases (10,000 unless set) from a fixed seed, so that CI is reproducible and a red
/// run names a case anyone can rerun; `PROPTEST_RNG_SEED=N` explores other cases (what a failure
/// finds goes into [`FOUND`]).
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000);
    let rng_seed = if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
        Config::default().rng_seed
    } else {
        RngSeed::Fixed(FIXED_SEED)
    };
    Config {
        cases,
        rng_seed,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The seed CI runs the properties from.
const FIXED_SEED: u64 = 20_261_207;

/// Text pages the properties failed on once (each fixed since), run before any generated case.
const FOUND: &[&str] = &[
    // `markup.stray-backslash` kept a backslash before mojibake that `mojibake` then repaired into
    // Han, and removed it on the second pass.
    "- 2微商你知道嗎?加粉事小,不懂經(jīng)營必死無疑!\\Ã©tÃ©",
    // `mojibake` flagged the whole run a byte-slip repair left a `?` in (`區別在哪里呢?關系`), and
    // `script` left it and the page's vote short; the second pass flags only the `?`.
    "      這兩者是截然不同的。雖然都是網上玩的,但性質卻大大不同。那區別在哪里呢?P系\n拉扯拍得很细腻  說實話,運營的目標(biāo)是賺錢,但這話不能明講,因為赤裸裸的賺錢思維一旦在你的小宇宙",
    // `spam.cap` counted the indentation the output's layout trims: capped on the first pass only.
    "    你了解微營銷是什么嗎?其實你不懂超清精品丝袜国产自在线拍|囯产精品久久久久久Av三级|亚洲日本欧美产综合在线|亚洲一区",
    // `mojibake.lost-characters` quoted a run reaching into a gloss `pinyin` then removed, and
    // `script` lost the run and counted its characters on the first pass only.
    "- 212015微信營銷怎么“破”?一張卡,玩轉(zhuǎn)微信營銷!\n物節是一個分水嶺昨天兜兜转转看到老冒的文章，谈他对互联网新趋势的看法和理解，文章里很多地方分析得\n近年来，不少城市把有轨电车当作缓解交通拥堵的新选择，规划线路一条接一条地公布，开第1頁\n講師網(wǎng) www.3969a.com 直接對接10000多名優(yōu)秀講師-省時省力省錢家的勞動者是具有藝術修養、數",
    // `spam.scored-span` read the indentation before a span as its context.
    "  氣床墊推薦,這個",
    // A hijacked title under a number line that `boilerplate` drops.
    "1\n超清精品丝袜国产自在线拍|囯产精品久久久久久Av三级|亚\n前几集节奏稍慢，后面越看越有味道，台词写得克制，人物也都立得住。",
];

/// Pages generated runs found that still fail, left as a known limitation (README, Fuzzing and
/// properties): a removing stage runs once, so what a later removal exposes goes on a second pass
/// only (do no harm before idempotence; `src/settle/`). `spam.context-phrase` taking `Av還要緒文,`
/// leaves a line `spam.title-hijack` judges a hijacked title; `dedup` taking a repeated URL leaves
/// a heading `boilerplate.related` takes.
#[test]
#[ignore = "known limitation: a removal a later removal exposes goes on a second pass only"]
fn what_a_later_removal_exposes_goes_on_a_second_pass() {
    for page in [
        "精品丝袜国产自在线拍|囯产精品久久久久久Av還要緒文,秦緒文講師,秦緒文聯",
        "http://example.com/a?b=1\n更多評論推薦:http://example.com/a?b=1",
    ] {
        let once = clean(page.as_bytes()).unwrap();
        assert_eq!(clean(once.as_bytes()).unwrap_or_default(), once);
    }
}

#[test]
fn pages_found_failing_once_are_idempotent_and_replay() {
    for page in FOUND {
        let once = clean(page.as_bytes()).expect("a text page is accepted");
        assert_eq!(
            clean(once.as_bytes()).unwrap_or_default(),
            once,
            "input: {page:?}"
        );
        let repaired = repair(page).expect("a text page is repaired");
        assert_eq!(repair(&repaired), Some(repaired.clone()), "input: {page:?}");
        let doc = Document::from_bytes(page.as_bytes().to_vec(), Format::Text);
        replay::run_accounted(clean_pipeline(), doc).unwrap();
    }
}

/// The rendered output of `sluice clean` for `bytes`, when it is accepted.
fn clean(bytes: &[u8]) -> Option<String> {
    clean_pipeline().clean(bytes).ok().map(|c| c.render())
}

/// What `sluice repair FILE` writes for a file holding `text` (its own path: the file read back,
/// checked to be text, decoded and repaired), or `None` when it refuses the file.
fn repair(text: &str) -> Option<String> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    sluice::repair::repair_file(repair_pipeline(), file.path())
        .ok()
        .map(|(_, repaired)| repaired.text)
}

proptest! {
    #![proptest_config(config())]

    /// Cleaning a text page's output again changes nothing. (An HTML page's output can change more:
    /// lines the html stage typed as a title or a table cell are exempt from some text rules, and
    /// the text layout does not carry the types.) Fixed on the way: a lone title's blank lines, a
    /// typed title that reads back as a body line, doubled byte-order marks, a text of only chrome,
    /// a doubled byline prefix hiding a page number (`新聞標題：新聞標題：1`), a backslash hidden by
    /// a BBCode tag (`\[b]粗體[/b]`), a repairing stage's own edits changing what it judged (each
    /// of `mojibake`, `pinyin` and `script` runs again on its output while it edits), and a later
    /// stage changing what a repairing stage judged (`boilerplate` removing a traditional line that
    /// `script` counted: the repairing stages run again once the later stages have edited; see
    /// `src/settle/`).
    #[test]
    fn cleaning_text_is_idempotent(page in text_page()) {
        if let Some(once) = clean(page.as_bytes()).filter(|o| !o.trim().is_empty()) {
            let twice = clean(once.as_bytes()).unwrap_or_default();
            prop_assert_eq!(&twice, &once, "input: {:?}", page);
        }
    }

    /// For every text stage, its edits applied to its input give its output.
    #[test]
    fn the_report_replays_every_text_stage(page in page()) {
        let pipeline = clean_pipeline();
        let format = Format::sniff(page.as_bytes());
        if pipeline.check_input(page.as_bytes(), format).is_ok() {
            let doc = Document::from_bytes(page.into_bytes(), format);
            if let Err(mismatch) = replay::run_accounted(pipeline, doc) {
                return Err(TestCaseError::fail(mismatch));
            }
        }
    }

    /// A repair's output is accepted by `repair --check`: a second repair changes nothing, so a
    /// text that `--check` accepts is never changed. Fixed on the way: a byte slip judged before the
    /// code-page fix beside it (`話不說了?!段⑸淘撨@Ã©tÃ©`; a repairing stage runs again on its
    /// output while it edits), and a byte slip that `script`'s conversion revealed to `mojibake`
    /// (`综合在线|亚`: the repairing stages run again once a later one has edited).
    #[test]
    fn repair_output_is_accepted_by_check(page in text_page()) {
        if let Some(once) = repair(&page) {
            prop_assert_eq!(repair(&once), Some(once), "input: {:?}", page);
        }
    }

    /// Documents cleaned on one thread and on several give the same texts and reports.
    #[test]
    fn output_does_not_depend_on_the_thread_count(
        pages in prop::collection::vec(page(), 1..=3),
        threads in 2..=4usize,
    ) {
        prop_assert_eq!(clean_on(1, &pages), clean_on(threads, &pages));
    }
}

/// Clean `pages` in parallel on a pool of `threads` threads: each page's output and report, as JSON.
fn clean_on(threads: usize, pages: &[String]) -> Vec<String> {
    static POOLS: OnceLock<Vec<rayon::ThreadPool>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        (1..=4)
            .map(|n| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .unwrap()
            })
            .collect()
    });
    pools[threads - 1].install(|| {
        pages
            .par_iter()
            .map(|page| match clean_pipeline().clean(page.as_bytes()) {
                Ok(cleaned) => {
                    serde_json::to_string(&sluice::ReportJson::of_cleaned(&cleaned).to_value())
                        .unwrap()
                        + &cleaned.text
                }
                Err(error) => error.to_string(),
            })
            .collect()
    })
}
