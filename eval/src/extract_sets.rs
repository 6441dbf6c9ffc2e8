//! The main-content development sets of `../shared/corpus`, each page with its reference text, its
//! scoring and its side of the train/validation split.
//!
//! The split is made by source, not by position: each set's groups are ordered by a stable hash and the
//! first third of them (rounded up) is held out for validation, with every page of those groups. The
//! group is the site for magic-html (the registrable domain of the page's URL), the portal for gne (its
//! folder), and the page itself for cwced (one page per site) and cx163 (one site, so nothing better is
//! available: its validation third shares a site with its training pages).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use unicode_normalization::UnicodeNormalization;

/// How a set's `SOURCE.md` says its pages are scored.
#[derive(Clone, Copy, Debug)]
pub enum Scoring {
    /// cwced and cx163: each Han character one token, each run of ASCII letters or digits (full width
    /// folded) one token, everything else ignored.
    HanAndWords,
    /// magic-html (and gne, scored the same way): the multiset of non-whitespace characters after NFKC.
    Characters,
}

/// One page of a development set.
#[derive(Debug)]
pub struct Page {
    /// Unique within its set; also the file stem other extractors' outputs are stored under.
    pub id: String,
    /// The unit the split holds out together (site, portal or page).
    pub group: String,
    /// Whether the page is in the validation third (set by [`hold_out_a_third`]).
    pub validation: bool,
    /// The raw page bytes' path.
    pub html: PathBuf,
    /// The reference main text.
    pub truth: String,
}

/// One development set.
#[derive(Debug)]
pub struct Set {
    /// `cwced`, `cx163`, `magic-article`, `magic-forum` or `gne`.
    pub name: &'static str,
    /// Whether the reference is a person's (`false`: another extractor's output, "silver").
    pub human: bool,
    pub scoring: Scoring,
    pub pages: Vec<Page>,
}

/// Reads one set from the corpus root.
type Loader = fn(&Path) -> anyhow::Result<Set>;

/// Every development set found under `root` (`../shared/corpus`); a missing set is left out with a
/// note on stderr.
pub fn load(root: &Path) -> anyhow::Result<Vec<Set>> {
    let mut sets = Vec::new();
    let loaders: [(&str, Loader); 5] = [
        ("cwced", |r| paired_folders(r, "cwced", "cleaned", true)),
        ("cx163", |r| paired_folders(r, "cx163", "silver", false)),
        ("magic-html/article", |r| {
            magic_html(r, "article", "magic-article")
        }),
        ("magic-html/forum", |r| {
            magic_html(r, "forum", "magic-forum")
        }),
        ("gne", gne),
    ];
    for (dir, loader) in loaders {
        if root.join(dir).is_dir() {
            let mut set =
                loader(root).with_context(|| format!("reading {}", root.join(dir).display()))?;
            hold_out_a_third(&mut set.pages);
            sets.push(set);
        } else {
            eprintln!("{}: not found, skipped", root.join(dir).display());
        }
    }
    Ok(sets)
}

/// Marks the pages of the first third of the groups, in stable-hash order, as validation pages.
fn hold_out_a_third(pages: &mut [Page]) {
    let mut groups: Vec<&str> = pages.iter().map(|p| p.group.as_str()).collect();
    groups.sort_by_key(|g| (xxhash_rust::xxh3::xxh3_64(g.as_bytes()), *g));
    groups.dedup();
    let held: std::collections::HashSet<String> = groups
        .iter()
        .take(groups.len().div_ceil(3))
        .map(|g| g.to_string())
        .collect();
    for page in pages {
        page.validation = held.contains(&page.group);
    }
}

/// cwced and cx163: `original/<id>.html` beside `<reference>/<id>.txt`; each page its own group.
fn paired_folders(
    root: &Path,
    name: &'static str,
    reference: &str,
    human: bool,
) -> anyhow::Result<Set> {
    let dir = root.join(name);
    let mut pages = Vec::new();
    for html in sorted_files(&dir.join("original"), "html")? {
        let id = stem(&html);
        let Ok(truth) = std::fs::read_to_string(dir.join(reference).join(format!("{id}.txt")))
        else {
            continue;
        };
        pages.push(Page {
            group: id.clone(),
            id,
            html,
            truth,
            validation: false,
        });
    }
    Ok(Set {
        name,
        human,
        scoring: Scoring::HanAndWords,
        pages,
    })
}

/// magic-html: `htmls/<id>.html` with `gold.json` (`{id: {url, content}}`); grouped by site.
fn magic_html(root: &Path, kind: &str, name: &'static str) -> anyhow::Result<Set> {
    #[derive(serde::Deserialize)]
    struct Gold {
        url: String,
        content: String,
    }
    let dir = root.join("magic-html").join(kind);
    let gold: HashMap<String, Gold> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gold.json"))?)?;
    let mut pages = Vec::new();
    for html in sorted_files(&dir.join("htmls"), "html")? {
        let id = stem(&html);
        if let Some(gold) = gold.get(&id) {
            pages.push(Page {
                group: site(&gold.url).to_owned(),
                id,
                html,
                truth: gold.content.clone(),
                validation: false,
            });
        }
    }
    Ok(Set {
        name,
        human: true,
        scoring: Scoring::Characters,
        pages,
    })
}

/// gne: `tests/<portal>/<page>.html` with the records of `result.txt`; grouped by portal.
fn gne(root: &Path) -> anyhow::Result<Set> {
    let dir = root.join("gne");
    let results = gne_results(&std::fs::read_to_string(dir.join("result.txt"))?)?;
    let mut pages = Vec::new();
    for (relative, content) in results {
        let html = dir.join(&relative);
        let mut parts = Path::new(&relative)
            .iter()
            .rev()
            .map(|p| p.to_string_lossy());
        let (page, portal) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let page = page.trim_end_matches(".html");
        if html.is_file() {
            pages.push(Page {
                id: format!("{portal}-{page}"),
                group: portal.into_owned(),
                html,
                truth: content,
                validation: false,
            });
        }
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Set {
        name: "gne",
        human: false,
        scoring: Scoring::Characters,
        pages,
    })
}

/// `result.txt` holds one `>>>…path…>>>` line, a JSON record with a `content` field and a `<<<…` line
/// per page.
fn gne_results(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Record {
        content: String,
    }
    let mut results = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line.strip_prefix(">>").map(|l| l.trim_matches('>')) else {
            continue;
        };
        let json: String = lines
            .by_ref()
            .take_while(|l| !l.starts_with("<<<"))
            .collect::<Vec<_>>()
            .join("\n");
        let record: Record =
            serde_json::from_str(&json).with_context(|| format!("the record of {path}"))?;
        results.push((path.to_owned(), record.content));
    }
    Ok(results)
}

fn sorted_files(dir: &Path, extension: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == extension))
        .collect();
    files.sort();
    Ok(files)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// The site of a URL: its host's registrable domain (`https://news.sina.com.cn/c/…` → `sina.com.cn`,
/// `hk.news.yahoo.com` → `yahoo.com`), so that one site's sections fall on the same side of the split.
/// The last two labels, or three under a generic second level (`com.cn`, `org.hk`, `ac.uk` …): the
/// public-suffix list would be exact, but the split needs only sites kept together, not a browser's
/// cookie boundaries.
fn site(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or(rest);
    let labels: Vec<&str> = host.split('.').collect();
    let generic_second_level =
        |l: &str| matches!(l, "com" | "net" | "org" | "gov" | "edu" | "ac" | "co");
    let keep = match labels.len() {
        n if n >= 3 && generic_second_level(labels[n - 2]) => 3,
        n => n.min(2),
    };
    let start = host.len() - labels[labels.len() - keep..].join(".").len();
    &host[start..]
}

/// Precision, recall and F1 of `got` against `truth` under `scoring`; an empty output scores 0.
pub fn score(scoring: Scoring, got: &str, truth: &str) -> (f64, f64, f64) {
    let bag = |text: &str| match scoring {
        Scoring::HanAndWords => han_and_words(text),
        Scoring::Characters => characters(text),
    };
    bag_f1(&bag(got), &bag(truth))
}

fn han_and_words(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    let mut word = String::new();
    for c in text.chars().map(fold_width) {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if !word.is_empty() {
            *bag.entry(std::mem::take(&mut word)).or_insert(0) += 1;
        }
        if sluice::internals::is_han(c) {
            *bag.entry(c.to_string()).or_insert(0) += 1;
        }
    }
    if !word.is_empty() {
        *bag.entry(word).or_insert(0) += 1;
    }
    bag
}

fn characters(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for c in text.nfkc().filter(|c| !c.is_whitespace()) {
        *bag.entry(c.to_string()).or_insert(0) += 1;
    }
    bag
}

fn fold_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn bag_f1(got: &HashMap<String, usize>, truth: &HashMap<String, usize>) -> (f64, f64, f64) {
    let common: usize = got
        .iter()
        .map(|(t, &n)| n.min(truth.get(t).copied().unwrap_or(0)))
        .sum();
    let ratio = |n: usize| {
        if n == 0 {
            0.0
        } else {
            common as f64 / n as f64
        }
    };
    let precision = ratio(got.values().sum());
    let recall = ratio(truth.values().sum());
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_bags_fold_compatibility_forms_and_skip_spaces() {
        let (p, r, f) = score(Scoring::Characters, "ＡＢ c", "ABc");
        assert_eq!((p, r, f), (1.0, 1.0, 1.0));
    }

    #[test]
    fn han_and_words_ignore_punctuation_and_count_words_once() {
        let (p, r, _) = score(Scoring::HanAndWords, "新闻 2024，abc", "新闻2024abc");
        // "2024abc" is one token in the reference, two in the output.
        assert_eq!((p, r), (0.5, 2.0 / 3.0));
    }

    #[test]
    fn an_empty_output_scores_zero() {
        assert_eq!(score(Scoring::Characters, "", "正文").2, 0.0);
    }

    #[test]
    fn gne_records_are_read_with_their_paths() {
        let text = ">>>>>tests/qq/qq.html>>>>>\n{\n  \"title\": \"t\",\n  \"content\": \"正文\"\n}\n<<<<<<\n";
        assert_eq!(
            gne_results(text).unwrap(),
            vec![("tests/qq/qq.html".into(), "正文".into())]
        );
    }

    #[test]
    fn sites_are_registrable_domains() {
        assert_eq!(
            site("https://news.sina.com.cn/c/2024.shtml?x=1"),
            "sina.com.cn"
        );
        assert_eq!(site("zhidao.baidu.com/question/1"), "baidu.com");
        assert_eq!(site("https://hk.news.yahoo.com/a.html"), "yahoo.com");
        assert_eq!(site("http://localhost:8080/"), "localhost");
    }

    #[test]
    fn a_third_of_the_groups_is_held_out_whole() {
        let page = |group: &str| Page {
            id: group.into(),
            group: group.into(),
            html: PathBuf::new(),
            truth: String::new(),
            validation: false,
        };
        let mut pages: Vec<Page> = ["a", "a", "b", "c", "d", "e", "f"]
            .into_iter()
            .map(page)
            .collect();
        hold_out_a_third(&mut pages);
        assert_eq!(pages[0].validation, pages[1].validation);
        let held: std::collections::HashSet<&str> = pages
            .iter()
            .filter(|p| p.validation)
            .map(|p| p.group.as_str())
            .collect();
        assert_eq!(held.len(), 2, "6 groups: 2 held out");
    }
}
