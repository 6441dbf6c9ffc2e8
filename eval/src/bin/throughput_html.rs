//! CPU time of HTML cleaning on the shared corpora, for machines too busy for wall-clock benchmarks:
//! five passes over every page of `../shared/corpus/{cwced,cx163}/original` in one mode, to be timed
//! with `/usr/bin/time -f %U` (user seconds; MB/s per core = 5 × corpus MB / seconds).
//!
//! Modes: `parse` (bare html5ever via scraper, on markup decoded beforehand), `html` (the html stage
//! on decoded markup), `decode` (the decode stage), `full` (`sluice clean`'s pipeline on raw bytes).
//! An optional second argument sets the number of passes (default 5); `0` times the start-up alone
//! (reading and decoding the pages, compiling the rules and building the stages), to subtract.
//!
//! ```sh
//! cargo build --release --example throughput_html
//! for m in parse html decode full; do /usr/bin/time -f "$m %U s" target/release/examples/throughput_html $m; done
//! /usr/bin/time -f "start-up %U s" target/release/examples/throughput_html full 0
//! ```

use sluice::{Document, Pipeline, RuleSet, StageName};

use sluice_eval::html_pages;

fn main() -> anyhow::Result<()> {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "full".to_string());
    let passes: usize = match std::env::args().nth(2) {
        Some(n) => n.parse()?,
        None => 5,
    };
    let pages = html_pages::pages(&["cwced", "cx163"])?;
    let rules = RuleSet::defaults()?;
    let decoded: Vec<String> = pages
        .iter()
        .map(|p| encoding_rs::GB18030.decode(p).0.into_owned())
        .collect();
    // Each mode builds only what it runs: building every stage (the language model) alone takes
    // about a third of a second.
    let pipeline = match mode.as_str() {
        "parse" => Pipeline::with_stages(&rules, [])?,
        "html" => Pipeline::with_stages(&rules, [StageName::Html])?,
        "decode" => Pipeline::with_stages(&rules, [StageName::Decode])?,
        _ => Pipeline::from_rules(&rules)?,
    };
    for _ in 0..passes {
        for (raw, markup) in pages.iter().zip(&decoded) {
            match mode.as_str() {
                "parse" => drop(std::hint::black_box(scraper::Html::parse_document(markup))),
                "html" => {
                    let doc = Document::from_html(markup.clone());
                    std::hint::black_box(pipeline.run(doc));
                }
                _ => drop(std::hint::black_box(pipeline.clean(raw))),
            }
        }
    }
    let mb = pages.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    eprintln!("{mode}: {passes} passes over {mb:.1} MB");
    Ok(())
}
