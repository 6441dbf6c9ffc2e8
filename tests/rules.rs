//! The rule machinery end to end: a rules repository's mistakes fail `sluice check` and `sluice clean`
//! with the file and line, and `sluice rules ID` documents what a rule and its stage take.

use std::path::Path;

// These tests read the default rules, not the fixtures.
#[allow(dead_code)]
#[path = "support/binary.rs"]
mod binary;
use binary::{sluice, stdout_of};

fn default_rule_file(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules")
            .join(name),
    )
    .unwrap()
}

/// A `--rules` directory holding one default file with `from` replaced by `to`, and the 1-based line
/// where `to` now stands.
fn overlay(name: &str, from: &str, to: &str) -> (tempfile::TempDir, usize) {
    let text = default_rule_file(name);
    assert!(text.contains(from), "{name} has {from}");
    let changed = text.replacen(from, to, 1);
    let before = &changed[..changed.find(to).unwrap()];
    let line = before.matches('\n').count() + 1;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), &changed).unwrap();
    (dir, line)
}

/// Run a command over the overlay; it must fail as a usage error (the rules do not load).
fn stderr_of_failure(args: &[&str], rules: &Path) -> String {
    let output = sluice()
        .args(args)
        .arg("--rules")
        .arg(rules)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn a_misspelled_setting_fails_check_and_clean_with_file_and_line() {
    let (rules, line) = overlay("spam.toml", "max_delete_share =", "max_delete_shar =");
    let page = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(page.path(), "正文。").unwrap();
    for args in [vec!["check"], vec!["clean", page.path().to_str().unwrap()]] {
        let stderr = stderr_of_failure(&args, rules.path());
        assert!(
            stderr.contains(&format!("spam.toml:{line}:")) && stderr.contains("max_delete_shar"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_setting_of_the_wrong_type_names_its_line() {
    let (rules, line) = overlay(
        "mojibake.toml",
        "cluster_gap = 3",
        "cluster_gap = \"three\"",
    );
    let stderr = stderr_of_failure(&["check"], rules.path());
    assert!(
        stderr.contains(&format!("mojibake.toml:{line}:")) && stderr.contains("cluster_gap"),
        "{stderr}"
    );
}

#[test]
fn an_undeclared_id_in_a_report_fails_check() {
    // spam.toml without its `[[flag]]` declaring `spam.cap`, and a fixture whose page is mostly spam.
    let spam = default_rule_file("spam.toml");
    let declaration = spam.find("[[flag]]\nid = \"spam.cap\"").unwrap();
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("spam.toml"), &spam[..declaration]).unwrap();
    let fixtures = tempfile::tempdir().unwrap();
    let line = "金合發娛樂城 一夜情 減肥藥推薦 赌球网 百家樂技巧 国产av 充氣床墊推薦\n";
    let page = fixtures.path().join("mostly-spam.txt");
    std::fs::write(&page, format!("{}短正文。", line.repeat(4))).unwrap();
    let expected = sluice().arg("clean").arg(&page).output().unwrap().stdout;
    std::fs::write(fixtures.path().join("mostly-spam.expected.txt"), expected).unwrap();

    let check = |rules: Option<&Path>| {
        let mut cmd = sluice();
        cmd.arg("check").arg("--fixtures").arg(fixtures.path());
        if let Some(dir) = rules {
            cmd.arg("--rules").arg(dir);
        }
        cmd.output().unwrap()
    };
    let declared = check(None);
    assert_eq!(declared.status.code(), Some(0), "{declared:?}");
    let undeclared = check(Some(rules.path()));
    assert_eq!(undeclared.status.code(), Some(1));
    let stdout = String::from_utf8(undeclared.stdout).unwrap();
    assert!(
        stdout.contains("mostly-spam.txt: undeclared ids in the report: spam.cap"),
        "{stdout}"
    );
}

#[test]
fn rules_id_documents_the_stage_settings() {
    let doc = stdout_of(sluice().args(["rules", "spam.cap"]));
    assert!(doc.contains("spam.toml:"), "{doc}");
    // The value in effect and the doc comment of the setting's field.
    assert!(doc.contains("  max_delete_share = 0.4\n"), "{doc}");
    assert!(
        doc.contains(
            "Above this share of a document's characters (whitespace not counted) the stage \
             removes nothing"
        ),
        "{doc}"
    );
    let rule = sluice()
        .args(["rules", "mojibake.redecode"])
        .output()
        .unwrap();
    let doc = String::from_utf8(rule.stdout).unwrap();
    assert!(doc.contains("  min_char_logp = -12.5\n"), "{doc}");
}

#[test]
fn an_unknown_rule_kind_fails_at_its_line() {
    let (rules, line) = overlay("markup.toml", "kind = \"bbcode\"", "kind = \"bb-code\"");
    let stderr = stderr_of_failure(&["check"], rules.path());
    assert!(
        stderr.contains(&format!("markup.toml:{line}:"))
            && stderr.contains("unknown variant `bb-code`"),
        "{stderr}"
    );
}

#[test]
fn a_misspelled_rule_parameter_fails_at_its_line() {
    let (rules, line) = overlay("markup.toml", "max_id_len = 8", "max_id_length = 8");
    let page = tempfile::NamedTempFile::new().unwrap();
    for args in [vec!["check"], vec!["clean", page.path().to_str().unwrap()]] {
        let stderr = stderr_of_failure(&args, rules.path());
        assert!(
            stderr.contains(&format!("markup.toml:{line}:")) && stderr.contains("max_id_length"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn rules_id_documents_the_rule_parameters() {
    let output = sluice()
        .args(["rules", "markup.tag-soup-line"])
        .output()
        .unwrap();
    let doc = String::from_utf8(output.stdout).unwrap();
    assert!(
        doc.contains("  max_id_len = 8\n      The longest id"),
        "{doc}"
    );
}

#[test]
fn a_misspelled_html_parameter_fails_at_its_line() {
    let (rules, line) = overlay("html.toml", "min_link_ratio = 0.8", "min_link_ratios = 0.8");
    let stderr = stderr_of_failure(&["check"], rules.path());
    assert!(
        stderr.contains(&format!("html.toml:{line}:")) && stderr.contains("min_link_ratios"),
        "{stderr}"
    );
}

#[test]
fn a_misspelled_setting_of_any_stage_fails_check_at_its_line() {
    for stage in sluice::StageName::ALL {
        let rules = tempfile::tempdir().unwrap();
        let text = format!("# One site's settings.\n[settings.{stage}]\nmisspelled_setting = 1\n");
        std::fs::write(rules.path().join("site.toml"), text).unwrap();
        let stderr = stderr_of_failure(&["check"], rules.path());
        assert!(
            stderr.contains("site.toml:3:") && stderr.contains("misspelled_setting"),
            "{stage}: {stderr}"
        );
    }
}

/// Every rule of the default files refuses a parameter its kind does not take, at the parameter's
/// line: what `sluice check` reports when the rules do not compile.
#[test]
fn every_default_rule_refuses_a_misspelled_parameter_at_its_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut tried = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (header, _) in lines.iter().enumerate().filter(|(_, l)| **l == "[[rule]]") {
            let mut changed = lines.clone();
            changed.insert(header + 1, "misspelled_parameter = 1");
            let rules = tempfile::tempdir().unwrap();
            std::fs::write(rules.path().join(name), changed.join("\n")).unwrap();
            let error = sluice::RuleSet::load(rules.path(), true)
                .and_then(|rules| sluice::Pipeline::from_rules(&rules).map(drop))
                .expect_err(name)
                .to_string();
            let at = format!("{name}:{}:", header + 2);
            assert!(
                error.contains(&at) && error.contains("misspelled_parameter"),
                "{at} {error}"
            );
            tried += 1;
        }
    }
    assert!(tried > 50, "{tried} rules");
}

#[test]
fn rules_id_documents_html_parameters() {
    let output = sluice().args(["rules", "html.link-farm"]).output().unwrap();
    let doc = String::from_utf8(output.stdout).unwrap();
    assert!(
        doc.contains("  min_links = 5\n      The least number of links of a link farm."),
        "{doc}"
    );
}

#[test]
fn a_malformed_table_line_fails_with_the_table_file_and_line() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::create_dir(rules.path().join("pinyin")).unwrap();
    std::fs::write(
        rules.path().join("pinyin/readings.txt"),
        "# char<TAB>readings\n中\tzhōng\n中文\tzhōng,wén\n",
    )
    .unwrap();
    let stderr = stderr_of_failure(&["check"], rules.path());
    assert!(stderr.contains("pinyin/readings.txt:3:"), "{stderr}");
}

/// The script stage's output for the line `text` under `rules`, as `sluice clean` writes it.
fn script_output(rules: &sluice::RuleSet, text: &str) -> String {
    let pipeline = sluice::Pipeline::with_stages(rules, [sluice::StageName::Script]).unwrap();
    pipeline.run(sluice::Document::from_text(text)).render()
}

#[test]
fn a_rules_directory_replaces_the_word_model() {
    // The spin rule reverses 朋儕 (a substitute) to 朋友 when the word model prefers 朋友. A model
    // that knows 朋侪 as a common word and 朋友 not at all prefers the text as written.
    const SPUN: &str = "他把文章發到朋儕圈裡。";
    let defaults = sluice::RuleSet::defaults().unwrap();
    assert_eq!(script_output(&defaults, SPUN), "他把文章發到朋友圈裡。\n");
    let image = sluice::internals::lm_image::derive_image(
        "朋侪 1000 n\n朋 1 n\n友 1 n\n",
        "朋\t1\n友\t1\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lm")).unwrap();
    std::fs::write(dir.path().join("lm/word_model.bin"), image).unwrap();
    let replaced = sluice::RuleSet::load(dir.path(), true).unwrap();
    assert_eq!(script_output(&replaced, SPUN), format!("{SPUN}\n"));
}

#[test]
fn a_broken_model_file_fails_with_its_name() {
    let page = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(page.path(), "正文。").unwrap();
    for file in ["lm/word_model.bin", "lm/char_ngrams.bin"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lm")).unwrap();
        std::fs::write(dir.path().join(file), "not a model").unwrap();
        let stderr = stderr_of_failure(&["clean", page.path().to_str().unwrap()], dir.path());
        assert!(
            stderr.contains(&format!("{file}:0:")) && !stderr.contains("panicked"),
            "{file}: {stderr}"
        );
    }
}
