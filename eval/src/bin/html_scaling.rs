//! Time per MB of `decode` + `html` (with the depth check before the parse) from 1 MB to 20 MB, for
//! real pages and for markup built to be slow: the figure stays flat when the stage is linear.
//!
//! ```sh
//! cargo run --release --example html_scaling            # 1, 2, 5, 10 and 20 MB
//! cargo run --release --example html_scaling -- 1 4     # other sizes, in MB
//! ```
//!
//! Inputs, each repeated to the size: the cwced and cx163 pages (decoded to UTF-8 first, then
//! concatenated into one document, page after page), one long article of Chinese paragraphs, `<div/>` and `<div></span>` (which
//! html5ever nests as deep as they go: refused by the depth check), and nesting just under the
//! depth limit (`<div>` × 1999, a paragraph, `</div>` × 1999: parsed, html5ever's worst case
//! allowed). CPU time of the calling thread, median of three runs.

use sluice::{Pipeline, RuleSet, StageName};

use sluice_eval::cpu_time;
use sluice_eval::html_pages;

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = match std::env::args().skip(1).map(|a| a.parse()).collect() {
        Ok(sizes) if !Vec::<usize>::is_empty(&sizes) => sizes,
        Ok(_) => vec![1, 2, 5, 10, 20],
        Err(e) => anyhow::bail!("sizes are whole MB: {e}"),
    };
    let rules = RuleSet::defaults()?;
    let decode = Pipeline::with_stages(&rules, [StageName::Decode])?;
    let stage = Pipeline::with_stages(&rules, [StageName::Decode, StageName::Html])?;
    let pages: Vec<String> = html_pages::pages(&["cwced", "cx163"])
        .unwrap_or_default()
        .iter()
        .filter_map(|p| decode.clean(p).ok().map(|c| c.text))
        .collect();
    let article: Vec<String> = (0..50)
        .map(|i| {
            format!("<p>第{i}段，这是一篇很长的文章里的一段正文，内容完整，句子也不短。</p>\n")
        })
        .collect();
    let limit = format!(
        "{}<p>深处的正文。</p>{}",
        "<div>".repeat(1999),
        "</div>".repeat(1999)
    );
    let one = |unit: &str| vec![unit.to_string()];
    let inputs = [
        ("real pages (cwced, cx163)", pages),
        ("one long article", article),
        ("<div/> repeated", one("<div/>")),
        ("<div></span> repeated", one("<div></span>")),
        ("nesting at the limit (1999)", one(&limit)),
    ];
    println!("{:<30} {:>5} {:>10}  result", "input", "MB", "ms per MB");
    for (name, units) in inputs {
        if units.is_empty() {
            println!("{name:<30}: no corpus under ../shared/corpus, skipped");
            continue;
        }
        for &mb in &sizes {
            let markup = repeat_to(&units, mb << 20);
            let (ms, result) = cpu_time::median_clean_ms(&stage, markup.as_bytes(), |c| {
                format!("cleaned, {} lines", c.text.lines().count())
            });
            println!("{name:<30} {mb:>5} {:>10.1}  {result}", ms / mb as f64);
        }
    }
    Ok(())
}

/// `units` one after another, over again, to at least `bytes`, inside one body.
fn repeat_to(units: &[String], bytes: usize) -> String {
    let mut markup = String::with_capacity(bytes + 64);
    markup.push_str("<html><body>");
    for unit in units.iter().cycle() {
        if markup.len() >= bytes {
            break;
        }
        markup.push_str(unit);
    }
    markup.push_str("</body></html>");
    markup
}
