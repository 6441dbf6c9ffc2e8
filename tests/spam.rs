//! The `spam` stage through the library: its rule examples, the seed pages' injections, the guards.

use sluice::internals::{as_confirmed, is_run_level};
use sluice::{Document, Pipeline, RuleSet, StageName};

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn rules() -> RuleSet {
    RuleSet::defaults().expect("default rules load")
}

fn spam_only(rules: &RuleSet) -> Pipeline {
    Pipeline::with_stages(rules, [StageName::Spam]).expect("spam rules compile")
}

/// Run the spam stage alone on a text; the text before the final layout and the rules that fired.
fn run(pipeline: &Pipeline, text: &str) -> (String, Vec<String>) {
    let cleaned = pipeline.run(Document::from_text(text));
    let rules = cleaned
        .report
        .edits
        .iter()
        .map(|e| e.rule.clone())
        .collect();
    (cleaned.report.replay(StageName::Spam, text).unwrap(), rules)
}

#[test]
fn every_spam_rule_example_holds() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    let spam_rules: Vec<_> = rules.for_stage(StageName::Spam).collect();
    assert!(spam_rules.len() >= 6, "all spam rules are loaded");
    for rule in spam_rules {
        // A run-level rule's examples are documents of a run that confirmed their spans.
        let run = |pipeline: &Pipeline, text: &str| {
            if is_run_level(rule) {
                as_confirmed(|| run(pipeline, text))
            } else {
                run(pipeline, text)
            }
        };
        for example in &rule.examples {
            let (output, fired) = run(&pipeline, &example.input);
            assert_eq!(output, example.output, "example of {}", rule.id);
            assert!(
                fired.contains(&rule.id),
                "example of {} fired {fired:?}",
                rule.id
            );
        }
        for input in &rule.unchanged {
            let (output, fired) = run(&pipeline, input);
            assert_eq!(&output, input, "unchanged input of {}: {fired:?}", rule.id);
        }
    }
}

/// The removals the spam stage makes on a seed page (after the markup stage, as in the pipeline).
fn seed_removals(prefix: &str) -> (Vec<String>, Option<String>) {
    let text = seed(prefix);
    let rules = rules();
    let pipeline = Pipeline::with_stages(&rules, [StageName::Markup, StageName::Spam])
        .expect("markup and spam compile");
    let cleaned = pipeline.run(Document::from_text(text));
    let removed = cleaned
        .report
        .edits
        .iter()
        .filter(|e| e.stage == StageName::Spam)
        .map(|e| {
            assert!(e.after.is_empty(), "spam edits only remove");
            e.before.clone()
        })
        .collect();
    (removed, cleaned.title)
}

#[test]
fn seed_000_hijacked_title_goes_and_the_real_title_comes_first() {
    let (removed, title) = seed_removals("000");
    assert_eq!(
        removed,
        [
            "超清精品丝袜国产自在线拍|囯产精品久久久久久Av三级|亚洲日本欧美产综合在线|亚洲一区二区精品无码色欲\n"
        ]
    );
    assert_eq!(title.as_deref(), Some("你了解微營銷是什么嗎?其實你不懂"));
}

#[test]
fn seed_001_inline_injections_and_tokens_exactly() {
    let (removed, _) = seed_removals("001");
    let mut removed = removed;
    removed.sort();
    let mut expected = vec![
        "百家樂算牌,",
        "瑪卡保健食品,",
        "線上拉霸機,",
        "充氣床墊推薦,",
        "九州娛樂,",
        "@",
        "%Nd2r1%",
        "%dQ21R%",
        "@",
    ];
    expected.sort();
    assert_eq!(removed, expected);
}

#[test]
fn seeds_002_to_004_are_left_alone() {
    for prefix in ["002", "003", "004"] {
        let (removed, _) = seed_removals(prefix);
        assert!(removed.is_empty(), "seed {prefix}: {removed:?}");
    }
}

#[test]
fn legitimate_words_of_the_seeds_survive() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    for text in [
        "不知道你有沒有上床睡覺,賭球也是一種病,逼格很高。",
        "他們有屌爆的創意,裝逼的大絕招,真心苦逼!",
        "蜜淘囤貨100萬支0.01超薄避孕套,“520激情囤貨節”的廣告再次鋪滿地鐵。",
        "成人教育學歷同樣可以用於職稱評定,成人高考報名將於九月開始。",
    ] {
        let (output, fired) = run(&pipeline, text);
        assert_eq!(output, text, "{fired:?}");
    }
}

#[test]
fn articles_about_gambling_and_health_survive_whole() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    for text in [
        "警方日前破获一起跨境网络赌博案,该团伙在境外架设所谓的娱乐城网站,以高额返水为诱饵招揽会员投注,涉案资金逾两亿元。",
        "足协表示将严厉打击假球和赌球行为,涉事的三名球员已被终身禁止从事任何与足球有关的活动。",
        "玛卡原产于秘鲁安第斯山区。营养专家提醒,市面上的玛卡保健食品只有取得蓝帽子标志才能宣称保健功能。",
        "疾控中心提醒,坚持安全性行为、正确使用避孕套,是预防艾滋病、梅毒等性传播疾病的有效手段。",
    ] {
        let (output, fired) = run(&pipeline, text);
        assert_eq!(output, text, "{fired:?}");
    }
}

#[test]
fn obfuscated_keywords_match_through_the_fold() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    let cases = [
        // zero-width characters inside the keyword
        (
            "營銷總算有點登上大雅之堂了一\u{200C}夜\u{200C}歡,上來",
            "營銷總算有點登上大雅之堂了上來",
        ),
        // full-width brand code and letters
        (
            "每个微营销的平台ＯＢ九州娛樂城,属性",
            "每个微营销的平台属性",
        ),
        // look-alike glyphs
        ("也確確實實虧了幾十萬囯際投注,。", "也確確實實虧了幾十萬。"),
    ];
    for (input, expected) in cases {
        let (output, fired) = run(&pipeline, input);
        assert_eq!(output, expected, "{fired:?}");
    }
}

#[test]
fn every_removal_gives_its_evidence() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    let cleaned = pipeline.run(Document::from_text(
        "網上直銷大行其道百家樂算牌,。淘寶小線上拉霸機,店。",
    ));
    assert_eq!(cleaned.report.edits.len(), 2);
    for edit in &cleaned.report.edits {
        assert!(edit.reason.contains("listed phrase"), "{}", edit.reason);
    }
    assert!(cleaned.report.edits[0].reason.contains("stray comma"));
    assert!(cleaned.report.edits[1].reason.contains("LM join gain"));
}

#[test]
fn unlisted_stuffing_items_count_when_they_sound_promotional() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    let text = "正文第一段。\n旧州娱乐 菠菜网站 赌求网 百家勒算牌\n正文第二段。";
    let cleaned = pipeline.run(Document::from_text(text));
    assert_eq!(cleaned.report.edits.len(), 1);
    let reason = &cleaned.report.edits[0].reason;
    assert!(
        reason.contains("3 promotional by the phrase model"),
        "{reason}"
    );
    // Ordinary keyword lines have no promotional items.
    let ordinary = "正文。\n新品推荐 热门推荐 官网 代购 会员中心\n蘋果、香蕉、橙子、葡萄";
    let (output, fired) = run(&pipeline, ordinary);
    assert_eq!(output, ordinary, "{fired:?}");
}

#[test]
fn a_page_mostly_spam_is_flagged_not_emptied() {
    let rules = rules();
    let pipeline = spam_only(&rules);
    let line = "金合發娛樂城 一夜情 減肥藥推薦 赌球网 百家樂技巧 国产av 充氣床墊推薦\n";
    let text = format!("{}短正文。", line.repeat(4));
    let cleaned = pipeline.run(Document::from_text(text.as_str()));
    assert!(cleaned.report.edits.is_empty());
    assert!(cleaned.report.flags.iter().any(|f| f.rule == "spam.cap"));
}

#[test]
fn invalid_rule_data_is_an_error_with_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("spam")).expect("spam dir");
    std::fs::write(dir.path().join("spam/phrases-adult.txt"), "成人\n").expect("write");
    let rules = RuleSet::load(dir.path(), true).expect("files load");
    let err = match Pipeline::with_stages(&rules, [StageName::Spam]) {
        Ok(_) => panic!("a two-character phrase must be rejected"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("phrases-adult.txt"), "{err}");
    assert!(err.to_string().contains("shorter than 3"), "{err}");
}
