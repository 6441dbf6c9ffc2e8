//! The train/validation split of the spam development data (issue 14).
//!
//! Holding out single phrases leaks: a held-out `真人百家樂` keeps its neighbours `百家樂算牌` and the
//! cue `百家乐` in the lists. So whole groups are held out: a vocabulary group is a category and a
//! source of `vocab-dev.jsonl` (`gambling` from `authored for this study`), a real hijacked title's
//! group is its site (the registrable domain of its URL). A third of the groups, by a stable hash of
//! the group's name, is validation.
//!
//! The rules evaluated on the split are built from the train side only: an entry of a `spam/*.txt`
//! list is dropped when validation text is the only development text that could have taught it (it
//! occurs in a validation phrase or title and in no train one), or when it contains a validation
//! phrase whole. Entries that occur in no development text at all (authored general vocabulary) stay:
//! nothing on the validation side matches them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sluice::internals::Folder;

/// The source of the `vocab-dev.jsonl` title words cut from `titles_real`.
const DERIVED_FROM_TITLES: &str = "derived from observed title lines";

/// Which side of the split a group, phrase or case is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Train,
    Validation,
}

impl Side {
    /// One group in three, by xxh3 of its name: stable across runs and machines.
    pub fn of_group(group: &str) -> Self {
        if xxhash_rust::xxh3::xxh3_64(group.as_bytes()).is_multiple_of(3) {
            Side::Validation
        } else {
            Side::Train
        }
    }
}

#[derive(Deserialize)]
struct VocabLine {
    phrase: String,
    category: String,
    source: String,
}

#[derive(Deserialize)]
struct TitleLine {
    url: String,
    line: String,
}

/// A real hijacked title with its site and side.
pub struct RealTitle {
    pub site: String,
    pub line: String,
    pub side: Side,
}

/// The split of `../shared/data/spam/`: every vocabulary phrase and real title with its side.
pub struct SpamSplit {
    folder: Arc<Folder>,
    /// Folded phrase → side. A phrase listed in two groups is validation if either group is.
    phrases: HashMap<String, Side>,
    /// Folded phrase → its group (the first listed), for the report.
    groups: HashMap<String, String>,
    /// Folded phrases that are evidence of their own: not the title words derived from the real
    /// titles (`title_A`…), which would carry validation sites' words into the train side.
    independent: Vec<(String, Side)>,
    pub titles: Vec<RealTitle>,
}

impl SpamSplit {
    /// Read `vocab-dev.jsonl` and `titles_real-dev.jsonl` from `data_dir`.
    pub fn load(data_dir: &Path, folder: Arc<Folder>) -> anyhow::Result<Self> {
        let mut phrases = HashMap::new();
        let mut groups = HashMap::new();
        let mut independent = Vec::new();
        for line in std::fs::read_to_string(data_dir.join("vocab-dev.jsonl"))?.lines() {
            let entry: VocabLine = serde_json::from_str(line)?;
            let group = format!("{} | {}", entry.category, entry.source);
            let side = Side::of_group(&group);
            let key = folder.fold_text(&entry.phrase);
            if !entry.source.starts_with(DERIVED_FROM_TITLES) {
                independent.push((key.clone(), side));
            }
            let slot = phrases.entry(key.clone()).or_insert(side);
            if side == Side::Validation {
                *slot = Side::Validation;
            }
            groups.entry(key).or_insert(group);
        }
        let mut titles = Vec::new();
        for line in std::fs::read_to_string(data_dir.join("titles_real-dev.jsonl"))?.lines() {
            let entry: TitleLine = serde_json::from_str(line)?;
            let site = registrable_domain(&entry.url);
            titles.push(RealTitle {
                side: Side::of_group(&site),
                site,
                line: entry.line,
            });
        }
        Ok(Self {
            folder,
            phrases,
            groups,
            independent,
            titles,
        })
    }

    /// The side of a vocabulary phrase; `None` for a phrase in no vocabulary group (the cases'
    /// generator also injects phrases that `vocab-dev.jsonl` does not list).
    /// A train phrase that holds a validation phrase whole (運彩推薦 and a held-out 運彩) is
    /// validation: the lists lose it with the phrase it holds.
    pub fn phrase_side(&self, phrase: &str) -> Option<Side> {
        let folded = self.folder.fold_text(phrase);
        let side = *self.phrases.get(&folded)?;
        Some(if self.holds_validation_phrase(&folded) {
            Side::Validation
        } else {
            side
        })
    }

    /// Whether folded text holds a validation phrase whole.
    fn holds_validation_phrase(&self, folded: &str) -> bool {
        self.phrases
            .iter()
            .any(|(p, s)| *s == Side::Validation && folded.contains(p.as_str()))
    }

    /// The names of the validation groups and sites, sorted.
    pub fn validation_groups(&self) -> Vec<&str> {
        let groups = self.groups.values().map(String::as_str);
        let sites = self.titles.iter().map(|t| t.site.as_str());
        let mut held: Vec<&str> = groups
            .chain(sites)
            .filter(|g| Side::of_group(g) == Side::Validation)
            .collect();
        held.sort_unstable();
        held.dedup();
        held
    }

    /// The real title a case's title span was cut from (the span may be a prefix of the line).
    pub fn real_title(&self, span: &str) -> Option<&RealTitle> {
        let span = span.trim();
        self.titles
            .iter()
            .find(|t| !span.is_empty() && (t.line.starts_with(span) || span.starts_with(&t.line)))
    }

    /// The development texts of each side: independent vocabulary phrases and real titles, folded.
    fn texts(&self) -> (Vec<String>, Vec<String>) {
        let (mut train, mut validation) = (Vec::new(), Vec::new());
        let phrases = self.independent.iter().cloned();
        let titles = self
            .titles
            .iter()
            .map(|t| (self.folder.fold_text(&t.line), t.side));
        for (text, side) in phrases.chain(titles) {
            match side {
                Side::Train => train.push(text),
                Side::Validation => validation.push(text),
            }
        }
        (train, validation)
    }

    /// The train side's vocabulary phrases (folded; not the title words cut from the real titles),
    /// without those that hold a validation phrase: what a phrase model may learn from.
    pub fn train_phrases(&self) -> Vec<String> {
        self.independent
            .iter()
            .filter(|(p, side)| *side == Side::Train && !self.holds_validation_phrase(p))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Whether a list entry could only have been learned from validation text (see the module doc);
    /// when `strict`, whether it occurs in validation text at all.
    fn leaks(&self, entry: &str, train: &[String], validation: &[String], strict: bool) -> bool {
        let entry = self.folder.fold_text(entry);
        if entry.is_empty() {
            return false;
        }
        let in_validation = validation.iter().any(|t| t.contains(&entry));
        let in_train = train.iter().any(|t| t.contains(&entry));
        self.holds_validation_phrase(&entry) || (in_validation && (strict || !in_train))
    }

    /// A rules directory overlaying every `spam/*.txt` list of `rules_dir` without the entries that
    /// leak validation text; and those entries, as `file: entry`. `strict` also drops the entries
    /// that train text supports too (投注 of a held-out 破解投注): what is left is what the stage finds
    /// with no list word inside the unseen phrases.
    pub fn train_rules(
        &self,
        rules_dir: &Path,
        strict: bool,
    ) -> anyhow::Result<(tempfile::TempDir, Vec<String>)> {
        let (train, validation) = self.texts();
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("spam"))?;
        // The rule files as they are on disk (the embedded ones may be older than a retraining).
        for entry in std::fs::read_dir(rules_dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                std::fs::copy(&path, dir.path().join(path.file_name().unwrap_or_default()))?;
            }
        }
        let mut dropped = Vec::new();
        let mut paths: Vec<_> = std::fs::read_dir(rules_dir.join("spam"))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if !name.ends_with(".txt") {
                continue;
            }
            let mut kept = String::new();
            for line in std::fs::read_to_string(&path)?.lines() {
                // Lists are `word` or `word<TAB>value`; comments and blank lines stay.
                let word = line.split('\t').next().unwrap_or_default().trim();
                if !word.starts_with('#') && self.leaks(word, &train, &validation, strict) {
                    dropped.push(format!("{name}: {word}"));
                } else {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
            std::fs::write(dir.path().join("spam").join(name.as_ref()), kept)?;
        }
        Ok((dir, dropped))
    }
}

/// A case of `cases-dev.jsonl`.
#[derive(Deserialize)]
pub struct Case {
    pub id: String,
    pub mechanism: String,
    pub format: String,
    pub negative: bool,
    pub dirty: String,
    pub clean: String,
    pub spam_spans: Vec<Span>,
}

/// A gold spam span of a case.
#[derive(Deserialize)]
pub struct Span {
    pub text: String,
    pub kind: String,
    pub phrase: Option<String>,
    pub byte_start: usize,
    pub byte_end: usize,
}

impl Case {
    /// The cases of `cases-dev.jsonl` in `data_dir`.
    pub fn load(data_dir: &Path) -> anyhow::Result<Vec<Case>> {
        std::fs::read_to_string(data_dir.join("cases-dev.jsonl"))?
            .lines()
            .map(|l| Ok(serde_json::from_str(l)?))
            .collect()
    }
}

/// The side of a gold span: its vocabulary phrase's, its real title's site's, or for a stuffing
/// line validation as soon as one of its phrases is (a phrase in no vocabulary group is in no list
/// either: unseen). `None` for spans of no vocabulary (tag soup, generated titles).
pub fn span_side(split: &SpamSplit, span: &Span) -> Option<Side> {
    let phrase = span.phrase.as_deref()?.trim();
    if span.kind == "title_hijack" {
        return split.real_title(phrase).map(|t| t.side);
    }
    if let Some(side) = split.phrase_side(phrase) {
        return Some(side);
    }
    let parts: Vec<&str> = phrase
        .split([',', '，', '、', '|', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return (!phrase.is_empty() && span.kind != "tag_soup").then_some(Side::Validation);
    }
    let unseen = parts
        .iter()
        .any(|p| split.phrase_side(p) != Some(Side::Train));
    Some(if unseen {
        Side::Validation
    } else {
        Side::Train
    })
}

/// A case is validation when one of its spans is; a case with no vocabulary (tag soup, generated
/// titles, negatives) goes by the hash of its id.
pub fn case_side(split: &SpamSplit, case: &Case) -> Side {
    let sides: Vec<Side> = case
        .spam_spans
        .iter()
        .filter_map(|s| span_side(split, s))
        .collect();
    if sides.contains(&Side::Validation) {
        Side::Validation
    } else if sides.is_empty() {
        Side::of_group(&case.id)
    } else {
        Side::Train
    }
}

/// The registrable domain of a URL (`http://m.bift-edu.cn/x` → `bift-edu.cn`, `www.byka.com.cn` →
/// `byka.com.cn`); a source that is not a URL (`seed 000_….txt line 1`) is its own site, up to the
/// first space after its name.
pub fn registrable_domain(url: &str) -> String {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return url.split(" line ").next().unwrap_or(url).to_string();
    };
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or(rest);
    let labels: Vec<&str> = host.split('.').collect();
    // Second-level public suffixes of country domains (com.cn, net.cn, edu.tw): one label more.
    let second_level = ["com", "net", "org", "edu", "gov", "ac", "co"];
    let keep = match labels.as_slice() {
        [.., sld, tld] if tld.len() == 2 && second_level.contains(sld) => 3,
        _ => 2,
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// The main texts of the clean corpora (cwced's cleaned pages, cx163's silver ones) on `side`, by
/// a stable hash of the file name as the split's groups: ordinary text, where any span the spam
/// stage takes is harmful.
pub fn clean_corpus_texts(root: &Path, side: Side) -> anyhow::Result<Vec<String>> {
    let mut texts = Vec::new();
    for dir in [
        "../shared/corpus/cwced/cleaned",
        "../shared/corpus/cx163/silver",
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if Side::of_group(&name) == side {
                texts.push(std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_registrable_domains() {
        assert_eq!(
            registrable_domain("http://www.beingsafe.com.cn/idcnews/Article/1"),
            "beingsafe.com.cn"
        );
        assert_eq!(
            registrable_domain("http://m.bift-edu.cn/haowen/52643.html"),
            "bift-edu.cn"
        );
        assert_eq!(
            registrable_domain("http://aaarwkj.com/article46/x.html"),
            "aaarwkj.com"
        );
        assert_eq!(
            registrable_domain("seed 000_f9ea8ca411a4d941.txt line 1"),
            "seed 000_f9ea8ca411a4d941.txt"
        );
    }

    /// A split of one train phrase and one validation phrase, with no folding table.
    fn split() -> SpamSplit {
        let phrases = [
            ("百家乐算牌".to_string(), Side::Train),
            ("真人百家乐".to_string(), Side::Validation),
            ("网络赌球".to_string(), Side::Validation),
        ];
        SpamSplit {
            folder: Arc::new(Folder::from_opencc_ts_characters("")),
            phrases: phrases.iter().cloned().collect(),
            groups: HashMap::new(),
            independent: phrases.to_vec(),
            titles: Vec::new(),
        }
    }

    #[test]
    fn only_entries_that_validation_alone_teaches_leak() {
        let split = split();
        let (train, validation) = split.texts();
        let leaks = |entry: &str, strict: bool| split.leaks(entry, &train, &validation, strict);
        // In a train phrase too: trainable from the train side.
        assert!(!leaks("百家乐", false));
        // Only in validation text, or a held-out phrase whole.
        assert!(leaks("赌球", false));
        assert!(leaks("真人百家乐", false));
        assert!(leaks("线上真人百家乐", false));
        // In no development text: authored vocabulary, nothing to leak.
        assert!(!leaks("老虎机", false));
        // Strict: anything inside validation text.
        assert!(leaks("百家乐", true));
        assert!(!leaks("算牌", true));
    }

    #[test]
    fn a_phrase_holding_a_validation_phrase_is_validation() {
        let split = split();
        assert_eq!(split.phrase_side("百家乐算牌"), Some(Side::Train));
        assert_eq!(split.phrase_side("真人百家乐"), Some(Side::Validation));
        assert_eq!(split.phrase_side("老虎机"), None);
    }

    #[test]
    fn a_group_stays_on_its_side() {
        let side = Side::of_group("gambling | authored for this study");
        assert_eq!(side, Side::of_group("gambling | authored for this study"));
    }
}
