//! Main-content quality of the `html` + `markup` + `boilerplate` stages on every development set of
//! `../shared/corpus` (cwced, cx163, magic-html articles and forums, gne), beside other extractors.
//!
//! ```text
//! scripts/extract_eval.sh                                   # sluice and trafilatura, one run
//! cargo run --release -p sluice-eval --bin eval_extract     # sluice alone
//! eval_extract --compare NAME=DIR ...    # also score DIR/<set>/<page>.txt (another tool's outputs)
//! eval_extract --manifest FILE           # write `set<TAB>page<TAB>path` for every page, and stop
//! eval_extract --dump DIR                # write sluice's bodies to DIR/<set>/<page>.txt
//! eval_extract --pages                   # print every page's scores, not only the means
//! eval_extract --drop-related-lines      # diagnostic: silver references without their link lists
//! ```
//!
//! `--drop-related-lines` leaves out of the silver references (cx163, gne) the lines that end in a
//! `YYYY/MM/DD` date or a `评论N条` comment count: the related-news and headline-ranking link lists
//! the cx163 silver extractor keeps. It shows how much of a silver shortfall is those lists; it is not
//! a score.
//!
//! Each set is split by source (see `sluice_eval::extract_sets`): the validation third is printed first
//! and apart. Tune on the training pages only. Every tool is given the same raw bytes. Scoring follows
//! each set's `SOURCE.md` (F1 of token or character bags per page, averaged over pages; an empty
//! output scores 0). `EMPTY` counts sluice's empty bodies.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sluice::{Pipeline, RuleSet, StageName};
use sluice_eval::extract_sets::{self, Page, Set};

struct Args {
    root: PathBuf,
    compare: Vec<(String, PathBuf)>,
    manifest: Option<PathBuf>,
    dump: Option<PathBuf>,
    pages: bool,
    drop_related_lines: bool,
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let sets = extract_sets::load(&args.root)?;
    if let Some(manifest) = &args.manifest {
        return write_manifest(&sets, manifest);
    }
    let rules = RuleSet::defaults()?;
    let pipeline = Pipeline::with_stages(
        &rules,
        [
            StageName::Decode,
            StageName::Html,
            StageName::Markup,
            StageName::Boilerplate,
        ],
    )?;
    let tools: Vec<&str> = std::iter::once("sluice")
        .chain(args.compare.iter().map(|(n, _)| n.as_str()))
        .collect();
    let mut summary = Vec::new();
    for set in &sets {
        let scored = score_set(set, &pipeline, &args)?;
        if args.pages {
            print_pages(set, &tools, &scored);
        }
        summary.push((set, scored));
    }
    print_summary(&tools, &summary);
    Ok(())
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        root: Path::new(sluice_eval::REPO).join("../shared/corpus"),
        compare: Vec::new(),
        manifest: None,
        dump: None,
        pages: false,
        drop_related_lines: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--compare" => {
                let pair = value()?;
                let (name, dir) = pair.split_once('=').context("--compare takes NAME=DIR")?;
                args.compare.push((name.to_owned(), PathBuf::from(dir)));
            }
            "--manifest" => args.manifest = Some(PathBuf::from(value()?)),
            "--dump" => args.dump = Some(PathBuf::from(value()?)),
            "--pages" => args.pages = true,
            "--drop-related-lines" => args.drop_related_lines = true,
            _ if !arg.starts_with("--") => args.root = PathBuf::from(arg),
            _ => anyhow::bail!("unknown option {arg}"),
        }
    }
    Ok(args)
}

fn write_manifest(sets: &[Set], path: &Path) -> anyhow::Result<()> {
    let mut lines = String::new();
    for set in sets {
        for page in &set.pages {
            lines.push_str(&format!(
                "{}\t{}\t{}\n",
                set.name,
                page.id,
                page.html.display()
            ));
        }
    }
    std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))
}

/// One page's F1 for each tool (`None` where a compared tool has no output for it), and whether
/// sluice's body was empty.
struct Scored<'a> {
    page: &'a Page,
    f1: Vec<Option<f64>>,
    empty: bool,
}

fn score_set<'a>(
    set: &'a Set,
    pipeline: &Pipeline,
    args: &Args,
) -> anyhow::Result<Vec<Scored<'a>>> {
    let dump = args.dump.as_ref().map(|d| d.join(set.name));
    if let Some(dump) = &dump {
        std::fs::create_dir_all(dump)?;
    }
    let related = regex::Regex::new(r"(\d{4}/\d{2}/\d{2}|评论\d+条)\s*$")?;
    let mut scored = Vec::new();
    for page in &set.pages {
        let truth = if args.drop_related_lines && !set.human {
            let kept: Vec<&str> = page
                .truth
                .lines()
                .filter(|l| !related.is_match(l))
                .collect();
            kept.join("\n")
        } else {
            page.truth.clone()
        };
        let bytes = std::fs::read(&page.html)
            .with_context(|| format!("reading {}", page.html.display()))?;
        let text = pipeline.clean(&bytes)?.text;
        if let Some(dump) = &dump {
            std::fs::write(dump.join(format!("{}.txt", page.id)), &text)?;
        }
        let mut f1 = vec![Some(extract_sets::score(set.scoring, &text, &truth).2)];
        for (_, dir) in &args.compare {
            let other =
                std::fs::read_to_string(dir.join(set.name).join(format!("{}.txt", page.id))).ok();
            f1.push(other.map(|o| extract_sets::score(set.scoring, &o, &truth).2));
        }
        scored.push(Scored {
            page,
            f1,
            empty: text.trim().is_empty(),
        });
    }
    Ok(scored)
}

fn print_pages(set: &Set, tools: &[&str], scored: &[Scored]) {
    print!("{:<16} {:<40} {:<5}", set.name, "page", "split");
    tools.iter().for_each(|t| print!(" {t:>11}"));
    println!();
    for s in scored {
        let id: String = s.page.id.chars().take(40).collect();
        let split = if s.page.validation { "val" } else { "train" };
        print!("{:<16} {id:<40} {split:<5}", "");
        s.f1.iter()
            .for_each(|f| print!(" {:>11}", f.map_or("-".into(), |f| format!("{f:.3}"))));
        println!();
    }
    println!();
}

fn print_summary(tools: &[&str], summary: &[(&Set, Vec<Scored>)]) {
    for validation in [true, false] {
        println!(
            "{}",
            if validation {
                "VALIDATION (held out by source)"
            } else {
                "TRAIN"
            }
        );
        print!("{:<16} {:>6} {:>6}", "set", "pages", "EMPTY");
        tools.iter().for_each(|t| print!(" {t:>11}"));
        println!();
        for (set, scored) in summary {
            let part: Vec<&Scored> = scored
                .iter()
                .filter(|s| s.page.validation == validation)
                .collect();
            let empty = part.iter().filter(|s| s.empty).count();
            let label = if set.human {
                set.name.to_owned()
            } else {
                format!("{} (silver)", set.name)
            };
            print!("{label:<16} {:>6} {empty:>6}", part.len());
            for tool in 0..tools.len() {
                let f1s: Vec<f64> = part.iter().filter_map(|s| s.f1[tool]).collect();
                match f1s.len() {
                    0 => print!(" {:>11}", "-"),
                    n => print!(" {:>11.3}", f1s.iter().sum::<f64>() / n as f64),
                }
            }
            println!();
        }
        println!();
    }
}
