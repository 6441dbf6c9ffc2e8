//! The in-document `dedup` stage on real texts with planted repeats: how many it removes, and how
//! much else it removes compared with the unmodified text.
//!
//!     cargo run --release --example eval_dedup_stage [-- --verbose]
//!
//! Texts: the human-written main texts of `../shared/corpus/cwced/cleaned` and the silver texts of
//! `../shared/corpus/cx163/silver` (74 files). For each text, a paragraph of at least 30 characters
//! (chosen by a hash of the file name) is repeated as a new line after a later line, verbatim, in
//! the other script (OpenCC `STCharacters`), or with 5% of its Han characters replaced; and the whole
//! text is printed twice. "Other removals" counts characters removed beyond the planted repeat and
//! beyond what the stage removes from the unmodified text. `--verbose` lists the planted repeats
//! that were kept.

use std::path::{Path, PathBuf};

use sluice::internals::Folder;
use sluice::internals::Stage;
use sluice::{Document, RuleSet, StageName};
use xxhash_rust::xxh3::xxh3_64_with_seed;

struct Tally {
    name: &'static str,
    planted: usize,
    caught: usize,
    other_removed_chars: usize,
}

fn main() -> anyhow::Result<()> {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let rules = RuleSet::defaults()?;
    let stage = sluice::internals::build(StageName::Dedup, &rules)?;
    // OpenCC's STCharacters has the same layout as TSCharacters, so a Folder built from it maps
    // simplified characters to traditional ones one by one: the "other script" of a planted copy.
    let s2t = Folder::from_opencc_ts_characters(rules.data_str("script/opencc/STCharacters.txt")?);
    let mut tallies = [
        Tally::new("verbatim"),
        Tally::new("other script"),
        Tally::new("5% substituted"),
    ];
    let mut whole = Tally::new("whole text twice");
    let (mut second_copy_chars, mut second_copy_removed) = (0, 0);
    for path in texts()? {
        let text = std::fs::read_to_string(&path)?;
        let seed = xxh3_64_with_seed(path.to_string_lossy().as_bytes(), 0);
        let baseline = removed_chars(stage.as_ref(), &text);
        let lines: Vec<&str> = text.split('\n').collect();
        let candidates: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].chars().filter(|c| c.is_alphanumeric()).count() >= 30)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let source = candidates[(seed % candidates.len() as u64) as usize];
        let after = source + 1 + (seed >> 32) as usize % (lines.len() - source);
        let paragraph = lines[source];
        let planted = [
            paragraph.to_string(),
            paragraph.chars().map(|c| s2t.simplify_char(c)).collect(),
            substitute(paragraph, seed),
        ];
        for (tally, copy) in tallies.iter_mut().zip(planted) {
            let mut variant: Vec<&str> = lines.clone();
            variant.insert(after.min(variant.len()), &copy);
            let (caught, other) = plant_result(stage.as_ref(), &variant.join("\n"), &copy);
            tally.planted += 1;
            tally.caught += usize::from(caught);
            if !caught && verbose {
                println!(
                    "kept ({}): {}",
                    tally.name,
                    copy.chars().take(60).collect::<String>()
                );
            }
            tally.other_removed_chars += other.saturating_sub(baseline);
        }
        let doubled = format!("{text}\n{text}");
        let mut doc = Document::from_text(doubled.clone());
        stage.run(&mut doc);
        let first_half: usize = doc
            .report()
            .edits
            .iter()
            .filter(|e| e.start < text.len())
            .map(|e| non_space_chars(&e.before))
            .sum();
        let second_half: usize = doc
            .report()
            .edits
            .iter()
            .filter(|e| e.start >= text.len())
            .map(|e| non_space_chars(&e.before))
            .sum();
        whole.planted += 1;
        whole.caught += usize::from(second_half * 10 >= non_space_chars(&text) * 9);
        whole.other_removed_chars += first_half.saturating_sub(baseline);
        second_copy_chars += non_space_chars(&text);
        second_copy_removed += second_half;
    }
    for tally in tallies.iter().chain([&whole]) {
        println!(
            "{:>18}: removed {}/{} planted repeats, {} other characters removed",
            tally.name, tally.caught, tally.planted, tally.other_removed_chars
        );
    }
    println!(
        "  whole text twice: {:.4} of the second copy's characters removed (a copy counts as removed at 90%)",
        second_copy_removed as f64 / second_copy_chars.max(1) as f64
    );
    Ok(())
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Tally {
            name,
            planted: 0,
            caught: 0,
            other_removed_chars: 0,
        }
    }
}

fn texts() -> anyhow::Result<Vec<PathBuf>> {
    let shared = Path::new(sluice_eval::REPO).join("../shared/corpus");
    let mut paths = Vec::new();
    for dir in ["cwced/cleaned", "cx163/silver"] {
        for entry in std::fs::read_dir(shared.join(dir))? {
            paths.push(entry?.path());
        }
    }
    paths.sort();
    Ok(paths)
}

fn non_space_chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Characters the stage removes from `text`.
fn removed_chars(stage: &dyn Stage, text: &str) -> usize {
    let mut doc = Document::from_text(text);
    stage.run(&mut doc);
    doc.report()
        .edits
        .iter()
        .map(|e| non_space_chars(&e.before))
        .sum()
}

/// Whether the planted line was removed (at least 90% of it, in one edit), and how many other
/// characters were removed.
fn plant_result(stage: &dyn Stage, text: &str, planted: &str) -> (bool, usize) {
    let mut doc = Document::from_text(text);
    stage.run(&mut doc);
    let planted_chars = non_space_chars(planted);
    let mut caught = false;
    let mut other = 0;
    for edit in &doc.report().edits {
        let removed = non_space_chars(&edit.before);
        if !caught && edit.before.contains(planted.trim()) {
            caught = true;
            other += removed - planted_chars;
        } else if !caught
            && planted.contains(edit.before.trim())
            && removed * 10 >= planted_chars * 9
        {
            caught = true;
        } else {
            other += removed;
        }
    }
    (caught, other)
}

/// `text` with about 5% of its Han characters replaced by other Han characters (deterministic).
fn substitute(text: &str, seed: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            let h = xxh3_64_with_seed(&(i as u64).to_le_bytes(), seed);
            if sluice::internals::is_han(c) && h.is_multiple_of(20) {
                char::from_u32(0x4E00 + (h >> 32) as u32 % 0x5000).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}
