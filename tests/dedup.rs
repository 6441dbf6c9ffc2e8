//! The `dedup` stage on its rule examples and on the seed pages, through the library.

use sluice::{Document, Pipeline, RuleSet, StageName};

#[path = "support/seeds.rs"]
mod seeds;
use seeds::seed;

fn rules() -> RuleSet {
    RuleSet::defaults().expect("default rules load")
}

/// Run one stage on a document.
fn run_stage(name: StageName, doc: &mut Document) {
    let stage = sluice::internals::build(name, &rules()).expect("stage builds");
    stage.run(doc);
}

/// Run the markup stage (it strips the stray backslashes that differ between the copies of seed
/// 004), then dedup; only dedup's edits are kept in the report.
fn dedup_seed(prefix: &str) -> Document {
    let mut marked = Document::from_text(seed(prefix));
    run_stage(StageName::Markup, &mut marked);
    let mut doc = Document::from_text(marked.text());
    run_stage(StageName::Dedup, &mut doc);
    doc
}

#[test]
fn seed_004_loses_the_second_copy_of_the_article_only() {
    let original = seed("004");
    let doc = dedup_seed("004");
    let edits = &doc.report().edits;
    let removed_lines: usize = edits
        .iter()
        .map(|e| e.before.lines().filter(|l| !l.trim().is_empty()).count())
        .sum();
    assert!(
        (29..=33).contains(&removed_lines),
        "about 31 lines of the second copy go, got {removed_lines}"
    );
    let count = |needle: &str| doc.text().matches(needle).count();
    assert_eq!(count("黑馬說:跨境電商是電商領域的熱點之一"), 1);
    assert_eq!(count("接下來的“520激情囤貨節”"), 1);
    assert_eq!(count("蜜淘創始人"), 1);
    assert_eq!(count("重度垂直邏輯"), 1);
    // Both articles stay, and everything outside the second copy is untouched.
    assert_eq!(count("微博、微信、微淘到底是什麼?"), 1);
    assert_eq!(count("方法論 | 怎樣煉成一家真正的跨境電商?"), 1);
    assert!(doc.text().contains("ZKIZ Archives @ 2019"));
    // Every removed line is a line of the second copy: it occurs in the first copy too.
    let second_copy = original.rfind("黑馬說:跨境電商").unwrap();
    let first_part = original[..second_copy].replace('\\', "");
    for line in edits.iter().flat_map(|e| e.before.lines()) {
        assert!(first_part.contains(line.trim()), "{line}");
    }
}

#[test]
fn seed_001_keeps_the_lead_paragraph_once_and_the_heading() {
    let doc = dedup_seed("001");
    let edits = &doc.report().edits;
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0].rule, "dedup.repeated-paragraph");
    assert!(
        edits[0]
            .before
            .starts_with("无论你信不信,中國都進入了中産階級主流化的社會裡")
    );
    assert_eq!(
        doc.text()
            .matches("中國都進入了中産階級主流化的社會裡")
            .count(),
        1
    );
    assert!(doc.text().contains("\n精力消費時代到來。\n"));
}

#[test]
fn seeds_without_repeats_are_untouched() {
    for prefix in ["000", "002", "003"] {
        let doc = dedup_seed(prefix);
        assert!(
            doc.report().edits.is_empty(),
            "seed {prefix}: {:?}",
            doc.report().edits
        );
    }
}

#[test]
fn legitimately_repeated_short_lines_stay() {
    let rules = rules();
    let pipeline = Pipeline::with_stages(&rules, [StageName::Dedup]).unwrap();
    let text = "全部評論 (0)\n0\n這是一篇文章的正文，內容不重複。\n0\n- 列表\n- 列表\n鮮花數量\n0";
    let cleaned = pipeline.run(Document::from_text(text));
    assert!(
        cleaned.report.edits.is_empty(),
        "{:?}",
        cleaned.report.edits
    );
}

#[test]
fn repeats_in_the_other_script_are_found() {
    let rules = rules();
    let pipeline = Pipeline::with_stages(&rules, [StageName::Dedup]).unwrap();
    let text = "跨境電商是電商領域的熱點之一，近期國務院常務會議提出降低進口商品關稅。\n\
                中間的段落講別的事情，和上面無關。\n\
                跨境电商是电商领域的热点之一，近期国务院常务会议提出降低进口商品关税。";
    let cleaned = pipeline.run(Document::from_text(text));
    assert_eq!(cleaned.report.edits.len(), 1);
    assert!(!cleaned.text.contains("跨境电商"));
}

#[test]
fn text_without_newline_or_with_odd_characters_does_not_panic() {
    let rules = rules();
    let pipeline = Pipeline::with_stages(&rules, [StageName::Dedup]).unwrap();
    for text in [
        "",
        "\n\n\n",
        "ａｂｃｄｅｆｇｈｉｊｋ\nABCDEFGHIJK",
        "\u{200B}\u{200B}重複的一段文字內容在這裡。\n重複的一段文字內容在這裡。\u{200B}",
        "㈱㈱㈱㈱㈱㈱㈱㈱㈱㈱㈱\n㈱㈱㈱㈱㈱㈱㈱㈱㈱㈱㈱",
    ] {
        let cleaned = pipeline.run(Document::from_text(text));
        for e in &cleaned.report.edits {
            assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        }
    }
}

mod corpus {
    use super::{rules, seed};
    use sluice::internals::{CorpusDedup, KeepPolicy, Signature};

    const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];

    /// Seed 004 republished: in simplified script (the fold's traditional→simplified table), with a
    /// new header, the last 30% cut off.
    fn republished_004(folder: &sluice::internals::Folder) -> String {
        let simplified = folder.fold_text(&seed("004"));
        let cut: String = simplified
            .chars()
            .take(simplified.chars().count() * 7 / 10)
            .collect();
        format!("转载自某某网 2019-05-01\n{cut}")
    }

    #[test]
    fn distinct_seeds_are_not_clustered_and_a_republished_copy_is() {
        let rules = rules();
        let folder = rules.folder().unwrap();
        let dedup = CorpusDedup::from_rules(&rules).unwrap();
        let mut texts: Vec<String> = SEEDS.iter().map(|p| seed(p)).collect();
        texts.push(republished_004(&folder));
        let signatures: Vec<Signature> = texts.iter().map(|t| Signature::of(t, &folder)).collect();
        let lengths: Vec<usize> = texts.iter().map(String::len).collect();
        let decisions = dedup.cluster(&signatures, &lengths);
        for (i, d) in decisions.iter().enumerate().take(4) {
            assert_eq!(d.cluster, None, "seed {}", SEEDS[i]);
            assert!(d.is_kept(i));
        }
        assert!(decisions[4].cluster.is_some());
        assert_eq!(decisions[4].cluster, decisions[5].cluster);
        assert_eq!(decisions[5].kept, 4, "the longer original is kept");
        assert!(!decisions[5].is_kept(5));
        assert!(decisions[5].similarity.unwrap() >= dedup.jaccard);

        let first = CorpusDedup {
            keep: KeepPolicy::First,
            ..dedup.clone()
        };
        let reversed: Vec<Signature> = signatures.iter().rev().cloned().collect();
        let reversed_lengths: Vec<usize> = lengths.iter().rev().copied().collect();
        assert_eq!(first.cluster(&reversed, &reversed_lengths)[1].kept, 0);
    }

    #[test]
    fn streaming_reports_the_first_seen_copy() {
        let rules = rules();
        let folder = rules.folder().unwrap();
        let mut stream = CorpusDedup::from_rules(&rules).unwrap().streaming();
        let copy = republished_004(&folder);
        let order = [seed("004"), seed("001"), copy.clone(), seed("002"), copy];
        let answers: Vec<Option<u64>> = order
            .iter()
            .map(|t| stream.check(&Signature::of(t, &folder)))
            .collect();
        assert_eq!(answers, vec![None, None, Some(0), None, Some(0)]);
    }

    #[test]
    fn jsonl_records_carry_fingerprints_that_a_global_pass_can_band() {
        let rules = rules();
        let folder = rules.folder().unwrap();
        let texts = [seed("004"), republished_004(&folder), seed("001")];
        let input: String = texts
            .iter()
            .map(|t| serde_json::json!({ "text": t }).to_string() + "\n")
            .collect();
        let output = assert_cmd::Command::cargo_bin("sluice")
            .unwrap()
            .args(["clean", "--jsonl", "-", "--minhash", "--keep-duplicates"])
            .write_stdin(input)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let records: Vec<serde_json::Value> = String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let fingerprinter = sluice::Fingerprinter::from_rules(&rules).unwrap();
        let bands = |i: usize| -> Vec<String> {
            serde_json::from_value(records[i]["sluice"]["minhash"]["bands"].clone()).unwrap()
        };
        for record in &records {
            let text = record["text"].as_str().unwrap();
            let expected = serde_json::json!(fingerprinter.fingerprint(text));
            assert_eq!(record["sluice"]["minhash"], expected);
            assert_eq!(expected["text_bytes"], text.len());
        }
        let shared = |a: usize, b: usize| bands(a).iter().filter(|k| bands(b).contains(k)).count();
        assert!(shared(0, 1) > 0, "a republished copy shares a band");
        assert_eq!(shared(0, 2), 0, "distinct pages share none");
    }

    #[test]
    fn signatures_survive_a_round_trip_through_json() {
        let folder = rules().folder().unwrap();
        let signature = Signature::of(&seed("001"), &folder);
        let stored = serde_json::to_string(&signature).unwrap();
        let loaded: Signature = serde_json::from_str(&stored).unwrap();
        assert_eq!(loaded, signature);
        assert_eq!(loaded.similarity(&signature), 1.0);
    }
}

#[test]
fn seed_000_doubled_tag_soup_goes_when_dedup_runs_alone() {
    // In the pipeline the markup stage removes the tag soup first; alone, dedup sees it repeated.
    let original = seed("000");
    let mut doc = Document::from_text(original.clone());
    run_stage(StageName::Dedup, &mut doc);
    let removed: Vec<&str> = doc.report().edits.iter().map(|e| e.before.trim()).collect();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(removed.iter().all(|r| r.starts_with("• <")), "{removed:?}");
    let soup = "<nav id=\"masw4\">";
    assert!(doc.text().matches(soup).count() < original.matches(soup).count());
}

#[test]
fn random_texts_with_repeats_never_panic_and_edits_reproduce_the_output() {
    // Deterministic pseudo-random documents over an alphabet of awkward characters: multi-byte,
    // invisible, full-width, characters that NFKC expands, sentence ends, spaces and newlines.
    const ALPHABET: &[&str] = &[
        "中", "國", "国", "電", "商", "。", "，", "!", "Ａ", "a", "㈱", "\u{200B}", "\u{FEFF}",
        " ", "\u{3000}", "\n", "\n", "e\u{301}", "𠮷", "”", "1", "_",
    ];
    let rules = rules();
    let pipeline = Pipeline::with_stages(&rules, [StageName::Dedup]).unwrap();
    let stage = sluice::internals::build(StageName::Dedup, &rules).unwrap();
    let mut with_edits = 0;
    for seed in 0..300u64 {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let piece: String = (0..(next() % 80) as usize)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        let filler: String = (0..(next() % 20) as usize)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        let text = format!("{piece}\n{filler}\n{piece}{filler}\n{filler}\n{piece}");
        let cleaned = pipeline.run(Document::from_text(text.clone()));
        with_edits += usize::from(!cleaned.report.edits.is_empty());
        let rebuilt = cleaned.report.replay(StageName::Dedup, &text).unwrap();
        let mut doc = Document::from_text(text.clone());
        stage.run(&mut doc);
        assert_eq!(rebuilt, doc.text(), "seed {seed}");
    }
    assert!(
        with_edits > 100,
        "the repeats were found: {with_edits} of 300"
    );
}
