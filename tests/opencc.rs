//! OpenCC's own test cases (`fixtures/opencc/testcases.json`, OpenCC 1.4.2) through the `script`
//! stage, each OpenCC configuration mapped to the `--script` mode that OpenCC's users would pick:
//! the glyph configurations (`t2tw`, `tw2t`, `t2hk`, `hk2t`) are modes of their own.
//! Prints every failure; asserts the pass count of each configuration (README lists them).
//!
//! Some cases give one input to several configurations that map to one mode and expect different
//! answers: `tw2s` turns the Taiwan 著 of `慰藉著` into 着 where `t2s` keeps it, and a mode
//! converts what it is asked to convert. Those cases are counted as they come out, and listed as
//! conflicts.

use std::collections::BTreeMap;

use sluice::Document;
use sluice::RuleSet;
use sluice::StageName;
use sluice::internals::Script;
use sluice::internals::Stage;

/// OpenCC configuration → `--script` mode, and the cases of that configuration that must pass.
const CONFIGS: [(&str, &str, usize); 14] = [
    ("s2t", "hant", 104),
    ("tw2t", "tw2t", 18),
    ("hk2t", "hk2t", 17),
    ("s2tw", "tw", 65),
    ("t2tw", "t2tw", 10),
    ("s2twp", "twp", 85),
    ("s2hk", "hk", 51),
    ("t2hk", "t2hk", 17),
    ("s2hkp", "hkp", 9),
    ("t2s", "hans", 55),
    ("tw2s", "hans", 30),
    ("hk2s", "hans", 21),
    ("tw2sp", "hansp", 52),
    ("hk2sp", "hansp", 9),
];

#[derive(serde::Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    id: String,
    input: String,
    expected: BTreeMap<String, String>,
}

/// The cases; OpenCC's file has trailing commas, which JSON does not allow.
fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/opencc/testcases.json"
    );
    let text = std::fs::read_to_string(path).expect("OpenCC test cases");
    let trailing_commas = regex::Regex::new(r",(\s*[\]}])").unwrap();
    let json = trailing_commas.replace_all(&text, "$1");
    serde_json::from_str::<Cases>(&json)
        .expect("OpenCC test cases parse")
        .cases
}

fn stage(mode: &str) -> Script {
    let mut rules = RuleSet::defaults().expect("default rules");
    rules.override_setting(StageName::Script, "mode", toml::Value::String(mode.into()));
    Script::from_rules(&rules).expect("script stage builds")
}

fn convert(stage: &Script, text: &str) -> String {
    let mut doc = Document::from_text(text);
    stage.run(&mut doc);
    doc.text().to_string()
}

#[test]
fn opencc_test_cases_pass_in_the_mapped_modes() {
    let cases = cases();
    let mut stages: BTreeMap<&str, Script> = BTreeMap::new();
    for (_, mode, _) in CONFIGS {
        stages.entry(mode).or_insert_with(|| stage(mode));
    }
    let mut passed: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    let mut conflicts = 0;
    for case in &cases {
        for (config, mode, _) in CONFIGS {
            let Some(expected) = case.expected.get(config) else {
                continue;
            };
            *total.entry(config).or_default() += 1;
            let output = convert(&stages[mode], &case.input);
            if output == *expected {
                *passed.entry(config).or_default() += 1;
                continue;
            }
            let rival = CONFIGS.iter().any(|&(other, other_mode, _)| {
                other_mode == mode && case.expected.get(other).is_some_and(|e| e != expected)
            });
            conflicts += usize::from(rival);
            let note = if rival {
                " (conflicts with another config)"
            } else {
                ""
            };
            println!(
                "{} {config} ({mode}){note}\n  input    {}\n  output   {output}\n  expected {expected}",
                case.id, case.input
            );
        }
    }
    let all: usize = total.values().sum();
    let ok: usize = passed.values().sum();
    println!("{ok} of {all} pass; {conflicts} of the failures are conflicting expectations");
    for (config, mode, minimum) in CONFIGS {
        let got = passed.get(config).copied().unwrap_or(0);
        println!("{config} ({mode}): {got} of {}", total[config]);
        assert!(
            got >= minimum,
            "{config}: {got} passed, at least {minimum} expected"
        );
    }
}

/// The vocabulary modes through the command line: `--script twp` gives OpenCC's s2twp answer
/// (`opencc -c s2twp` of OpenCC 1.4.2 writes 用滑鼠開啟軟體，連線網路。).
#[test]
fn vocabulary_modes_run_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.txt");
    std::fs::write(&path, "用鼠标打开软件，连接网络。\n").unwrap();
    let output = assert_cmd::Command::cargo_bin("sluice")
        .unwrap()
        .args(["repair", "--script", "twp"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    let repaired = String::from_utf8(output.stdout).unwrap();
    assert_eq!(repaired, "用滑鼠開啟軟體，連線網路。\n");
}

/// A glyph mode changes regional variant glyphs and leaves simplified text alone: `opencc -c t2tw`
/// writes 慰藉著受傷的心靈 慰藉著受伤的心灵 for the mixed line below, where `tw` converts it all.
#[test]
fn glyph_modes_leave_simplified_text_alone() {
    let line = "慰藉著受傷的心靈 慰藉着受伤的心灵";
    assert_eq!(
        convert(&stage("t2tw"), line),
        "慰藉著受傷的心靈 慰藉著受伤的心灵"
    );
    assert_eq!(
        convert(&stage("tw"), line),
        "慰藉著受傷的心靈 慰藉著受傷的心靈"
    );
}
