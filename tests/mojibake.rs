//! The `mojibake` stage on the seed pages and the shared development cases, and its rule examples.

use std::path::PathBuf;

use serde::Deserialize;
use sluice::StageName;
use sluice::internals::{Stage, build};
use sluice::{Document, RuleSet};

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

fn stage() -> Box<dyn Stage> {
    let rules = RuleSet::defaults().unwrap();
    build(StageName::Mojibake, &rules).unwrap()
}

fn run(stage: &dyn Stage, text: &str) -> Document {
    let mut doc = Document::from_text(text);
    stage.run(&mut doc);
    doc
}

#[test]
fn seed_runs_recoverable_from_bytes_come_back_and_nothing_else_changes() {
    let stage = stage();
    let expected = [
        ("000", "其極?墒侨说男袨閼T性", "其極。可是人的行為慣性"),
        ("000", "規;\u{E1E9}筚u家", "規模化大賣家"),
        ("003", "說了?!段⑸淘撨@樣", "說了。《微商該這樣"),
        ("003", "能夠?qū)崟r", "能夠實時"),
    ];
    for prefix in ["000", "001", "002", "003", "004"] {
        let input = seed(prefix);
        let doc = run(stage.as_ref(), &input);
        let mut want = input.clone();
        for (_, garbled, original) in expected.iter().filter(|e| e.0 == prefix) {
            assert!(want.contains(garbled), "{garbled}");
            want = want.replace(garbled, original);
        }
        if prefix == "003" {
            // Only 這 comes back from its surviving trail byte; `?` stays, flagged.
            want = want.replace("獲?。@樣", "獲?。這樣");
        }
        assert_eq!(doc.text(), want, "seed {prefix}");
    }
}

#[test]
fn seed_runs_lost_with_both_bytes_are_flagged_and_left() {
    let stage = stage();
    let doc = run(stage.as_ref(), &seed("002"));
    for lost in ["最大失??!", "平臺等??傊?"] {
        assert!(doc.text().contains(lost));
        let at = seed("002").find(&lost[..lost.find('?').unwrap()]).unwrap();
        assert!(
            doc.report()
                .flags
                .iter()
                .any(|f| f.position.is_some_and(|p| p >= at && p <= at + lost.len())),
            "{lost} not flagged"
        );
    }
}

/// The default rules with the mojibake stage's search budget replaced.
fn rules_with_budget(min_scorings: usize) -> RuleSet {
    let defaults = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/mojibake.toml"),
    )
    .unwrap();
    let changed: String = defaults
        .lines()
        .map(|line| match line.split_once(" = ") {
            Some(("min_scorings", _)) => format!("min_scorings = {min_scorings}\n"),
            Some(("scorings_per_kib", _)) => "scorings_per_kib = 0\n".to_string(),
            _ => format!("{line}\n"),
        })
        .collect();
    assert_ne!(changed, defaults);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mojibake.toml"), changed).unwrap();
    RuleSet::load(dir.path(), true).unwrap()
}

#[test]
fn a_lost_byte_is_restored_rather_than_its_neighbour_dropped() {
    // Training cases of gbk_slip_drop: removing the orphan byte also reads as Chinese (`為營銷`,
    // `美的麻醉劑`) but loses the character whose other byte was lost.
    let stage = stage();
    for (broken, original) in [
        (
            "微營銷,不要為藸I銷而營銷,也沒有所謂的一招鮮和三板斧殺敵。",
            "微營銷,不要為了營銷而營銷,也沒有所謂的一招鮮和三板斧殺敵。",
        ),
        (
            "從微信官方公開表態中我們不難看出,微信營銷對於企業而言,只是一個美畹穆樽韯\u{E7FE}\u{FFFD}",
            "從微信官方公開表態中我們不難看出,微信營銷對於企業而言,只是一個美妙的麻醉劑。",
        ),
    ] {
        assert_eq!(run(stage.as_ref(), broken).text(), original);
    }
}

#[test]
fn a_spent_search_budget_leaves_the_rest_flagged_not_searched() {
    let garbled: Vec<String> = cases()
        .into_iter()
        .filter(|c| c.kind == "utf8_as_sjis")
        .take(6)
        .map(|c| c.broken)
        .collect();
    let text = garbled.join("\n");
    let full = build(StageName::Mojibake, &rules_with_budget(60_000)).unwrap();
    let repaired = run(full.as_ref(), &text);
    assert!(repaired.text().lines().zip(&garbled).all(|(a, b)| a != b));
    let small = build(StageName::Mojibake, &rules_with_budget(2_000)).unwrap();
    let limited = run(small.as_ref(), &text);
    let unchanged = limited
        .text()
        .lines()
        .zip(&garbled)
        .filter(|(a, b)| a == b)
        .count();
    assert!(unchanged > 0, "{}", limited.text());
    assert!(
        limited
            .report()
            .flags
            .iter()
            .any(|f| f.message.contains("search budget is spent")),
        "no budget flag"
    );
}

#[derive(Deserialize)]
struct Case {
    kind: String,
    broken: String,
    original: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(shared("data/mojibake/cases-dev.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn clean_controls_come_back_unchanged() {
    let stage = stage();
    for case in cases().iter().filter(|c| c.kind == "clean") {
        assert_eq!(run(stage.as_ref(), &case.broken).text(), case.broken);
    }
}

/// Slow in a debug build: `cargo test --release --test mojibake -- --ignored`.
#[test]
#[ignore]
fn kinds_whose_bytes_are_preserved_come_back_exactly() {
    const PRESERVED: [&str; 8] = [
        "utf8_as_gbk",
        "utf8_as_cp1252",
        "utf8_as_latin1",
        "gbk_as_cp1252",
        "big5_as_gbk",
        "double_utf8_cp1252",
        "html_entities_half",
        "html_entities_double",
    ];
    let stage = stage();
    let chosen: Vec<Case> = cases()
        .into_iter()
        .filter(|c| PRESERVED.contains(&c.kind.as_str()))
        .collect();
    let exact = chosen
        .iter()
        .filter(|c| run(stage.as_ref(), &c.broken).text() == c.original)
        .count();
    assert!(
        exact * 100 >= chosen.len() * 95,
        "{exact} of {}",
        chosen.len()
    );
}

#[test]
fn a_character_a_big5_page_lacked_is_filled_when_the_model_is_sure() {
    let doc = run(stage().as_ref(), "這是什?意思");
    assert_eq!(doc.text(), "這是什麽意思");
    let edit = &doc.report().edits[0];
    assert_eq!(edit.rule, "mojibake.lost-characters");
}

#[test]
fn lost_characters_the_model_is_unsure_of_stay_and_are_flagged() {
    // Both gaps are characters GB2312 lacks (們, 東), but the context does not decide them.
    let input = "我?在?路上??西";
    let doc = run(stage().as_ref(), input);
    assert_eq!(doc.text(), input);
    assert!(
        doc.report()
            .flags
            .iter()
            .any(|f| f.rule == "mojibake.lost-characters"),
        "{:?}",
        doc.report().flags
    );
}

#[test]
fn question_marks_that_read_as_question_marks_stay() {
    for input in [
        "你了解微營銷是什么嗎?其實你不懂",
        "為什麼?因為他不知道",
        "好嗎?",
    ] {
        let doc = run(stage().as_ref(), input);
        assert_eq!(doc.text(), input);
        assert!(
            doc.report().flags.is_empty(),
            "{input}: {:?}",
            doc.report().flags
        );
    }
}
