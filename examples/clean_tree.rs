//! Clean a directory tree into an output tree, as `sluice clean DIR -o OUT` does: a text and a report
//! per document, near-duplicates marked, and `OUT/summary.json`.
//!
//!     cargo run --release --example clean_tree -- fixtures/seeds /tmp/seeds-out

use std::path::PathBuf;

use anyhow::bail;
use sluice::RuleSet;
use sluice::run::{Engine, Inputs};

fn main() -> anyhow::Result<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, out] = args.as_slice() else {
        bail!("usage: clean_tree DIR OUT");
    };
    let engine = Engine::new(&RuleSet::defaults()?)?;
    // The output directory is left out of the walk, in case it is inside the input tree.
    let inputs = Inputs::collect(std::slice::from_ref(input), Some(out));
    let mut tree = engine.tree(out, &inputs)?;
    engine.run(inputs, &mut tree, |outcome| {
        if let Err(error) = &outcome.result {
            eprintln!("{}: {error}", outcome.name);
        }
    })?;
    let summary = tree.finish()?;
    println!(
        "{} of {} documents cleaned into {}",
        summary.cleaned,
        summary.documents,
        out.display()
    );
    Ok(())
}
