//! Time per MB of the whole `clean` pipeline on plain text from 1 MB to 20 MB, in its own lines and
//! as one single line: the figure stays flat when every stage is linear in its input, whatever the
//! length of its lines.
//!
//! ```sh
//! cargo run --release --example line_scaling            # 1, 2, 5, 10 and 20 MB
//! cargo run --release --example line_scaling -- 1 4     # other sizes, in MB
//! ```
//!
//! The text is the articles of `../shared/corpus/cwced/cleaned` and `cx163/silver`, repeated to the
//! size: once with their own line breaks, once with every line break removed (a scrape flattened
//! into one line, a JSON field, a minified page's text). One worker thread; CPU time of that
//! thread, median of three runs.

use sluice::{Pipeline, RuleSet};

use sluice_eval::cpu_time;

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = match std::env::args().skip(1).map(|a| a.parse()).collect() {
        Ok(sizes) if !Vec::<usize>::is_empty(&sizes) => sizes,
        Ok(_) => vec![1, 2, 5, 10, 20],
        Err(e) => anyhow::bail!("sizes are whole MB: {e}"),
    };
    let text = corpus_text()?;
    anyhow::ensure!(!text.is_empty(), "no cleaned texts under ../shared/corpus");
    let one_line = text.replace('\n', "");
    let rules = RuleSet::defaults()?;
    let pipeline = Pipeline::from_rules(&rules)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    println!("{:<22} {:>5} {:>10}  result", "input", "MB", "ms per MB");
    for (name, source) in [("own lines", &text), ("one line", &one_line)] {
        for &mb in &sizes {
            let input = repeat_to(source, mb << 20);
            let (ms, result) = pool.install(|| {
                cpu_time::median_clean_ms(&pipeline, input.as_bytes(), |c| {
                    format!("cleaned, {} flags", c.report.flags.len())
                })
            });
            println!("{name:<22} {mb:>5} {:>10.1}  {result}", ms / mb as f64);
        }
    }
    Ok(())
}

/// The corpus articles' texts, one after another.
fn corpus_text() -> anyhow::Result<String> {
    let root = format!("{}/../shared/corpus", sluice_eval::REPO);
    let mut paths = Vec::new();
    for texts in ["cwced/cleaned", "cx163/silver"] {
        for entry in std::fs::read_dir(format!("{root}/{texts}"))? {
            paths.push(entry?.path());
        }
    }
    paths.sort();
    let mut text = String::new();
    for path in paths {
        text.push_str(&std::fs::read_to_string(&path)?);
        text.push('\n');
    }
    Ok(text)
}

/// `source` over again to at least `bytes`, cut at a character boundary.
fn repeat_to(source: &str, bytes: usize) -> String {
    let mut out = source.repeat(bytes / source.len() + 1);
    let end = (0..=bytes)
        .rev()
        .find(|&i| out.is_char_boundary(i))
        .unwrap_or(0);
    out.truncate(end);
    out
}
