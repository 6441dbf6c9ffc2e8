//! Where the time of `sluice clean` goes on the shared HTML corpora: the wall time of each stage of
//! the full pipeline over three passes of every page of `../shared/corpus/{cwced,cx163}/original`,
//! as MB/s of raw page bytes (the unit of `throughput_html`). The pipeline is built once, outside
//! the timing, so this is the steady state of a long run.
//!
//! Arguments name the corpora to time (default: both).
//!
//! ```sh
//! cargo run --release --example stage_times
//! cargo run --release --example stage_times -- cwced
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sluice::{Document, Format, Pipeline, RuleSet, StageName};

use sluice_eval::html_pages;

const PASSES: usize = 3;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut corpora: Vec<&str> = args.iter().map(String::as_str).collect();
    if corpora.is_empty() {
        corpora = vec!["cwced", "cx163"];
    }
    let pages = html_pages::pages(&corpora)?;
    let rules = RuleSet::defaults()?;
    let pipeline = Pipeline::from_rules(&rules)?;
    let mut spent: BTreeMap<StageName, Duration> = BTreeMap::new();
    for _ in 0..PASSES {
        for raw in &pages {
            time_stages(&pipeline, raw, &mut spent);
        }
    }
    let mb = (PASSES * pages.iter().map(Vec::len).sum::<usize>()) as f64 / 1e6;
    let total: Duration = spent.values().sum();
    for (stage, time) in &spent {
        let seconds = time.as_secs_f64();
        println!(
            "{:12} {seconds:7.2} s {:9.1} MB/s",
            stage.as_str(),
            mb / seconds
        );
    }
    println!(
        "{:12} {:7.2} s {:9.1} MB/s",
        "all",
        total.as_secs_f64(),
        mb / total.as_secs_f64()
    );
    Ok(())
}

/// Run one page through the pipeline, adding each stage's time: a stage runs from the moment the
/// observer sees it until the next stage (or the end of the run).
fn time_stages(pipeline: &Pipeline, raw: &[u8], spent: &mut BTreeMap<StageName, Duration>) {
    let doc = Document::from_bytes(raw.to_vec(), Format::sniff(raw));
    let mut running: Option<(StageName, Instant)> = None;
    drop(pipeline.run_stages(doc, |stage, _| {
        stop(running.take(), spent);
        running = Some((stage, Instant::now()));
    }));
    stop(running, spent);
}

fn stop(running: Option<(StageName, Instant)>, spent: &mut BTreeMap<StageName, Duration>) {
    if let Some((stage, start)) = running {
        *spent.entry(stage).or_default() += start.elapsed();
    }
}
