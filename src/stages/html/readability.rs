//! The second extractor: a readability-style scorer over the walked page, the fallback when the main
//! scorer's choice holds little of the page's prose, and a candidate to compare it with.
//!
//! It follows Mozilla Readability's `_grabArticle`: every paragraph scores `1 + its commas +
//! min(length / 100, 3)` and gives that score to its parent, half to its grandparent and a third
//! of a level to each of three more ancestors, each starting from a tag weight (`div` +5, lists
//! −3, headings −5); each candidate's score is then scaled by `1 − link density`; the best one is
//! replaced by the ancestor that holds three of the next best candidates, or by a parent that
//! scores higher, or by a parent it is the only child of; and its siblings join it when they score
//! a fifth of it or are paragraphs of prose. Two changes:
//!
//! - Readability's last pass, with its flags off: no stripping of "unlikely" class names, no class
//!   weights, no conditional cleaning. This extractor is what is left when the class and style
//!   heuristics failed, so it must not repeat them; blocks that are mostly link text are dropped.
//! - CJK-aware lengths: scoring units (Han characters and ASCII words) instead of characters, with
//!   Readability's 25- and 100-character figures divided by three (a Han character carries about
//!   what three Latin letters do; readability-style extractors with Latin-tuned lengths lose short
//!   Chinese articles), and every Chinese clause mark counts as a comma.
//!
//! Written over the stage's own walk rather than with `dom_smoothie`: it reuses the one parse (a
//! second parse would double the stage's largest cost) and returns the walk's typed blocks, with
//! their elements, which the stage reports and issue-13 agreement compares.

use scraper::{ElementRef, Html};

use super::blocks::{Block, Page};
use crate::text::chars::SENTENCE_ENDS;

/// The lengths of the scorer, in scoring units.
#[derive(Debug, Clone)]
pub struct ReadabilitySettings {
    /// A block shorter than this is not a paragraph (Readability: 25 characters).
    pub min_paragraph_units: u32,
    /// Units per length point of a paragraph (Readability: 100 characters), at most
    /// [`MAX_LENGTH_POINTS`].
    pub units_per_point: u32,
    /// A block with more link text than this share is dropped from the result.
    pub max_link_ratio: f64,
}

/// Readability's constants, which are its algorithm rather than lengths.
const MAX_LENGTH_POINTS: u32 = 3;
const ANCESTOR_LEVELS: usize = 5;
/// Other top candidates that must share an ancestor for it to be taken instead.
const MIN_TOP_CANDIDATES: usize = 3;
const TOP_CANDIDATES: usize = 5;
const ALTERNATIVE_SHARE: f64 = 0.75;
const SIBLING_SHARE: f64 = 0.2;
const SIBLING_MIN_SCORE: f64 = 10.0;
/// Readability's 80 characters, divided by three like the other lengths.
const SIBLING_PARAGRAPH_UNITS: u32 = 27;
const SIBLING_MAX_LINK_DENSITY: f64 = 0.25;

/// What the extractor keeps: the chosen elements (the top candidate and the siblings that joined
/// it) and the blocks kept from them, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub roots: Vec<usize>,
    pub blocks: Vec<usize>,
}

/// Per element, summed over its subtree.
struct Totals {
    blocks: Vec<u32>,
    units: Vec<u32>,
    link_units: Vec<u32>,
}

impl Totals {
    fn of(page: &Page) -> Self {
        let n = page.elements.len();
        let mut totals = Totals {
            blocks: vec![0; n],
            units: vec![0; n],
            link_units: vec![0; n],
        };
        for block in &page.blocks {
            totals.blocks[block.element] += 1;
            totals.units[block.element] += block.units;
            totals.link_units[block.element] += block.link_units;
        }
        // Children come after their parents in document order: sum backwards.
        for i in (0..n).rev() {
            if let Some(p) = page.elements[i].parent {
                totals.blocks[p] += totals.blocks[i];
                totals.units[p] += totals.units[i];
                totals.link_units[p] += totals.link_units[i];
            }
        }
        totals
    }

    fn link_density(&self, element: usize) -> f64 {
        f64::from(self.link_units[element]) / f64::from(self.units[element].max(1))
    }
}

pub struct Readability {
    settings: ReadabilitySettings,
}

impl Readability {
    pub fn new(settings: ReadabilitySettings) -> Self {
        Readability { settings }
    }

    pub fn max_link_ratio(&self) -> f64 {
        self.settings.max_link_ratio
    }

    /// The article, or `None` when no block is long enough to be a paragraph.
    pub fn extract(&self, page: &Page, html: &Html) -> Option<Article> {
        let totals = Totals::of(page);
        let scores = self.score(page, html, &totals);
        let top = best(&scores)?;
        let top = shared_ancestor(page, &scores, top).unwrap_or(top);
        let top = higher_parent(page, &scores, top).unwrap_or(top);
        let top = only_child_parent(page, top);
        let roots = self.with_siblings(page, html, &scores, &totals, top);
        let blocks = page
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| roots.iter().any(|&r| in_subtree(page, r, b.element)))
            .filter(|(_, b)| b.link_ratio() <= self.settings.max_link_ratio)
            .map(|(i, _)| i)
            .collect();
        Some(Article { roots, blocks })
    }

    /// Each paragraph's score given to its ancestors; then each candidate scaled by its link
    /// density. `None` for elements no paragraph scored.
    fn score(&self, page: &Page, html: &Html, totals: &Totals) -> Vec<Option<f64>> {
        let mut scores: Vec<Option<f64>> = vec![None; page.elements.len()];
        for block in &page.blocks {
            if block.units < self.settings.min_paragraph_units {
                continue;
            }
            let points = self.paragraph_points(block);
            // A block that is its element's only one is a paragraph; its ancestors start above
            // it. Loose text among other blocks is a paragraph of its own inside the element.
            let first = if totals.blocks[block.element] == 1 {
                page.elements[block.element].parent
            } else {
                Some(block.element)
            };
            let ancestors = std::iter::successors(first, |&a| page.elements[a].parent);
            for (level, ancestor) in ancestors.take(ANCESTOR_LEVELS).enumerate() {
                let divider = match level {
                    0 => 1.0,
                    1 => 2.0,
                    _ => level as f64 * 3.0,
                };
                let score =
                    scores[ancestor].get_or_insert_with(|| tag_weight(page, html, ancestor));
                *score += points / divider;
            }
        }
        for (element, score) in scores.iter_mut().enumerate() {
            if let Some(score) = score {
                *score *= 1.0 - totals.link_density(element);
            }
        }
        scores
    }

    fn paragraph_points(&self, block: &Block) -> f64 {
        let length = (block.units / self.settings.units_per_point).min(MAX_LENGTH_POINTS);
        f64::from(1 + block.punct + length)
    }

    /// The top candidate and the siblings that join it, in document order.
    fn with_siblings(
        &self,
        page: &Page,
        html: &Html,
        scores: &[Option<f64>],
        totals: &Totals,
        top: usize,
    ) -> Vec<usize> {
        let Some(parent) = page.elements[top].parent else {
            return vec![top];
        };
        let top_score = scores[top].unwrap_or(0.0);
        let threshold = SIBLING_MIN_SCORE.max(top_score * SIBLING_SHARE);
        let top_class = class_of(page, html, top);
        let joins = |sibling: usize| {
            if sibling == top {
                return true;
            }
            let same_class = top_class.is_some() && class_of(page, html, sibling) == top_class;
            let bonus = if same_class {
                top_score * SIBLING_SHARE
            } else {
                0.0
            };
            if scores[sibling].is_some_and(|s| s + bonus >= threshold) {
                return true;
            }
            page.elements[sibling].paragraph && is_prose_paragraph(page, totals, sibling)
        };
        page.children(parent)
            .into_iter()
            .filter(|&s| joins(s))
            .collect()
    }
}

/// Readability's test for a sibling `p`: long with few links, or short without links ending a
/// sentence.
fn is_prose_paragraph(page: &Page, totals: &Totals, element: usize) -> bool {
    let units = totals.units[element];
    let density = totals.link_density(element);
    if units > SIBLING_PARAGRAPH_UNITS {
        return density < SIBLING_MAX_LINK_DENSITY;
    }
    let ends_sentence = || {
        page.blocks
            .iter()
            .rev()
            .find(|b| in_subtree(page, element, b.element))
            .is_some_and(|b| b.text.ends_with(SENTENCE_ENDS))
    };
    units > 0 && density == 0.0 && ends_sentence()
}

/// The best-scoring candidate (ties to the earlier element, as Readability keeps the first).
fn best(scores: &[Option<f64>]) -> Option<usize> {
    scores
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, (*s)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i)
}

/// The lowest ancestor of `top` that holds at least three of the other top candidates scoring
/// within three quarters of it: the posts of a thread, the sections of a long article.
fn shared_ancestor(page: &Page, scores: &[Option<f64>], top: usize) -> Option<usize> {
    let top_score = scores[top]?;
    let mut ranked: Vec<(usize, f64)> = scores
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, (*s)?)))
        .filter(|&(i, _)| i != top)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let alternatives: Vec<usize> = ranked
        .into_iter()
        .take(TOP_CANDIDATES - 1)
        .filter(|&(_, s)| s >= ALTERNATIVE_SHARE * top_score)
        .map(|(i, _)| i)
        .collect();
    if alternatives.len() < MIN_TOP_CANDIDATES {
        return None;
    }
    std::iter::successors(page.elements[top].parent, |&a| page.elements[a].parent).find(|&a| {
        alternatives
            .iter()
            .filter(|&&alt| in_subtree(page, a, alt))
            .count()
            >= MIN_TOP_CANDIDATES
    })
}

/// Walking up from `top` while the parents keep a third of its score, the first parent that
/// scores higher than the one below it.
fn higher_parent(page: &Page, scores: &[Option<f64>], top: usize) -> Option<usize> {
    let mut last = scores[top]?;
    let threshold = last / 3.0;
    let mut parent = page.elements[top].parent;
    while let Some(p) = parent {
        parent = page.elements[p].parent;
        let Some(score) = scores[p] else {
            continue;
        };
        if score < threshold {
            return None;
        }
        if score > last {
            return Some(p);
        }
        last = score;
    }
    None
}

/// `top`, or the highest ancestor whose only child is on the path to it.
fn only_child_parent(page: &Page, mut top: usize) -> usize {
    while let Some(parent) = page.elements[top].parent {
        if page.elements[parent].parent.is_none() || page.children(parent).len() != 1 {
            break;
        }
        top = parent;
    }
    top
}

fn in_subtree(page: &Page, root: usize, element: usize) -> bool {
    (root..page.elements[root].end).contains(&element)
}

fn element_ref<'a>(page: &Page, html: &'a Html, element: usize) -> Option<ElementRef<'a>> {
    html.tree
        .get(page.elements[element].node)
        .and_then(ElementRef::wrap)
}

fn class_of<'a>(page: &Page, html: &'a Html, element: usize) -> Option<&'a str> {
    element_ref(page, html, element)?
        .value()
        .attr("class")
        .filter(|c| !c.trim().is_empty())
}

/// Readability's starting score of a candidate, by tag.
fn tag_weight(page: &Page, html: &Html, element: usize) -> f64 {
    let Some(element) = element_ref(page, html, element) else {
        return 0.0;
    };
    match element.value().name() {
        "div" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::stages::html::blocks::{Guard, collect};
    use crate::stages::html::clean::Cleaner;
    use crate::stages::html::content::ContentRules;
    use crate::stages::html::prose::DomProse;

    /// The texts of the blocks the extractor keeps from `markup`.
    fn extract(markup: &str) -> Vec<String> {
        let rules = RuleSet::defaults().unwrap();
        let cleaner = Cleaner::from_rules(&rules).unwrap();
        let content = ContentRules::from_rules(&rules).unwrap();
        let parsed = crate::stages::html::source::parse(markup, &[]);
        let html = &parsed.html;
        let guard = Guard {
            prose: DomProse::measure(html),
            max_share: 0.5,
        };
        let page = collect(&parsed, markup, &|e| cleaner.removes(e), &content, &guard);
        let readability = Readability::new(ReadabilitySettings {
            min_paragraph_units: 8,
            units_per_point: 33,
            max_link_ratio: 0.5,
        });
        readability
            .extract(&page, html)
            .map(|a| {
                a.blocks
                    .iter()
                    .map(|&b| page.blocks[b].text.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn paragraphs(n: usize, topic: &str) -> String {
        (1..=n)
            .map(|i| format!("<p>{topic}的第{i}段，這裡有一些內容，句子也夠長，讀起來像正文。</p>"))
            .collect()
    }

    #[test]
    fn the_article_beats_a_sidebar_and_navigation() {
        let page = format!(
            "<body><ul><li><a href=/>首頁</a></li><li><a href=/n>新聞</a></li></ul>\
             <div id=side><p>側欄的介紹，只有一段話，也有標點符號。</p></div>\
             <div id=article>{}</div></body>",
            paragraphs(5, "文章")
        );
        let kept = extract(&page);
        assert_eq!(kept.len(), 5, "{kept:?}");
        assert!(kept.iter().all(|t| t.starts_with("文章")), "{kept:?}");
    }

    #[test]
    fn sibling_posts_join_the_best_one() {
        let posts: String = (1..=4)
            .map(|i| {
                format!(
                    "<div class=\"post\">{}</div>",
                    paragraphs(2, &format!("帖子{i}"))
                )
            })
            .collect();
        let page = format!(
            "<body><div id=nav><a href=/>首頁</a> <a href=/f>論壇</a></div><div id=thread>{posts}</div></body>"
        );
        let kept = extract(&page);
        assert_eq!(kept.len(), 8, "{kept:?}");
        assert!(
            kept[0].starts_with("帖子1") && kept[7].starts_with("帖子4"),
            "{kept:?}"
        );
    }

    #[test]
    fn a_link_list_scores_below_prose() {
        let links: String = (1..=12)
            .map(|i| {
                format!("<li><a href=/a{i}>一條很長的相關新聞標題，第{i}條，也有逗號</a></li>")
            })
            .collect();
        let page = format!(
            "<body><div id=related><ul>{links}</ul></div><div id=article>{}</div></body>",
            paragraphs(3, "正文")
        );
        let kept = extract(&page);
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert!(kept.iter().all(|t| t.starts_with("正文")), "{kept:?}");
    }

    #[test]
    fn short_chinese_paragraphs_count() {
        // Readability's 25-character minimum would pass over most of these sentences.
        let page = "<body><div id=a><p>今天天氣很好，我們去公園散步。</p><p>公園裡的花都開了，很多人在拍照。</p>\
                    <p>傍晚我們才回家，大家都很開心。</p></div><div id=b><a href=/x>更多</a></div></body>";
        assert_eq!(extract(page).len(), 3);
    }

    #[test]
    fn a_page_without_paragraphs_has_no_article() {
        assert!(extract("<body><a href=/>首頁</a> <span>短</span></body>").is_empty());
    }
}
