//! What the `mojibake` stage does to the extracted text of the shared HTML corpora
//! (`../shared/corpus/{cwced,cx163}/original`): every edit and flag per page, and the stage's total
//! time. On these clean pages an edit is almost certainly a false repair; diffing the output of two
//! versions shows whether a speed change changed behaviour.
//!
//! ```sh
//! cargo run --release --example mojibake_corpus > after.txt
//! ```

use std::time::{Duration, Instant};

use sluice::StageName;
use sluice::internals::build;
use sluice::{Document, Format, Pipeline, RuleSet};

// Shared with the other HTML examples; this one needs only the paths.
#[allow(dead_code)]
use sluice_eval::html_pages;

fn main() -> anyhow::Result<()> {
    let rules = RuleSet::defaults()?;
    let extract = Pipeline::with_stages(
        &rules,
        [StageName::Decode, StageName::Html, StageName::Markup],
    )?;
    let stage = build(StageName::Mojibake, &rules)?;
    let pages = html_pages::page_paths(&["cwced", "cx163"])?;
    let mut spent = Duration::ZERO;
    for page in &pages {
        let raw = std::fs::read(page)?;
        let doc = Document::from_bytes(raw.clone(), Format::sniff(&raw));
        let mut doc = extract.run_stages(doc, |_, _| {});
        let started = Instant::now();
        stage.run(&mut doc);
        spent += started.elapsed();
        // Relative to the repository, as the page was named before the shared loader.
        let shown = page.strip_prefix(sluice_eval::REPO).unwrap_or(page);
        println!("== {}", shown.display());
        for edit in doc
            .report()
            .edits
            .iter()
            .filter(|e| e.stage == StageName::Mojibake)
        {
            println!(
                "edit {} {:?} -> {:?} ({})",
                edit.rule, edit.before, edit.after, edit.reason
            );
        }
        for flag in doc
            .report()
            .flags
            .iter()
            .filter(|f| f.stage == StageName::Mojibake)
        {
            println!(
                "flag {} at {:?}: {}",
                flag.rule, flag.position, flag.message
            );
        }
    }
    eprintln!(
        "{} pages, mojibake stage {:.0} ms",
        pages.len(),
        spent.as_secs_f64() * 1000.0
    );
    Ok(())
}
