//! The fallback: when the main content holds little of the page's prose, a second extraction.
//!
//! An empty or near-empty body from a page with prose is a failure of the main scorer (a class or
//! style heuristic that matched the article, a page built in a way it does not know), never an
//! output. When the chosen blocks hold less than `below_share` of the page's prose (measured on the
//! DOM before removals) and fewer than `below_prose` characters of it, the readability-style
//! extractor runs, and its article is taken when it holds at least twice as much prose; when
//! neither holds any, every block that is not mostly links is kept (trafilatura falls back to
//! readability and jusText the same way). Each decision is flagged.

use scraper::Html;

use super::blocks::{Block, Page, label};
use super::content::{Choice, ContentRules};
use super::kinds::HtmlKind;
use super::readability::{Readability, ReadabilitySettings};
use crate::error::RuleError;
use crate::rules::Rule;

/// How many times the main choice's prose the fallback must hold to replace it (trafilatura takes
/// its fallback's text when it is more than twice as long): a short article on a page of long
/// sidebars stays.
const MIN_GAIN: f64 = 2.0;

pub struct Fallback {
    pub id: String,
    below_share: f64,
    below_prose: u32,
    readability: Readability,
}

/// What the fallback did, for the report.
pub struct Rescue {
    pub rule: String,
    pub message: String,
}

impl Fallback {
    /// The fallback of `rule`, a rule of kind `fallback` (`None` for another kind).
    pub fn from_rule(
        rule: &Rule,
        kind: &HtmlKind,
        content: &ContentRules,
    ) -> Option<Result<Self, RuleError>> {
        let &HtmlKind::Fallback {
            below_share,
            below_prose,
            min_paragraph_units,
            units_per_point,
        } = kind
        else {
            return None;
        };
        if units_per_point == 0 {
            return Some(Err(rule.error("`units_per_point` must be at least 1")));
        }
        let settings = ReadabilitySettings {
            min_paragraph_units,
            units_per_point,
            max_link_ratio: content.max_link_ratio(),
        };
        Some(Ok(Fallback {
            id: rule.id.clone(),
            below_share,
            below_prose,
            readability: Readability::new(settings),
        }))
    }

    /// Replace `choice` when it is near-empty (less than `below_share` of the page's prose, and
    /// fewer than `below_prose` characters of it: an article beside a longer comment thread is
    /// not) and a fallback holds more; say what was done. The prose blocks of the replaced choice
    /// stay beside the fallback's (`is_prose` is the scorer's test): a forum's short first post is
    /// often all the main scorer found, and the fallback's comment list does not hold it.
    pub fn settle(
        &self,
        page: &Page,
        html: &Html,
        choice: &mut Choice,
        is_prose: &dyn Fn(&Block) -> bool,
    ) -> Option<Rescue> {
        let share = page.prose_share(&choice.kept);
        let prose: u32 = choice.kept.iter().map(|&b| page.blocks[b].prose).sum();
        if page.prose_total == 0 || share >= self.below_share || prose >= self.below_prose {
            return None;
        }
        let main = format!(
            "the main content holds {} of the page's prose ({} of {} blocks)",
            percent(share),
            choice.kept.len(),
            page.blocks.len()
        );
        let article = self.readability.extract(page, html);
        let message = match article {
            Some(article)
                if page.prose_share(&article.blocks) >= MIN_GAIN * share.max(f64::EPSILON) =>
            {
                // Losing content is worse than leaving dirt: the main choice's prose stays.
                let from_article = article.blocks.len();
                let article_share = page.prose_share(&article.blocks);
                let mut kept = article.blocks;
                kept.extend(
                    choice
                        .kept
                        .iter()
                        .copied()
                        .filter(|&b| is_prose(&page.blocks[b])),
                );
                kept.sort_unstable();
                kept.dedup();
                let message = format!(
                    "{main}; the readability-style extraction ({}) holds {}: taken, and \
                     {} prose blocks of the main content beside it",
                    describe_roots(page, html, &article.roots),
                    percent(article_share),
                    kept.len() - from_article
                );
                *choice = Choice {
                    container: article.roots.first().copied(),
                    by_rule: Some(self.id.clone()),
                    kept,
                    dropped_inside: Vec::new(),
                    spared: std::mem::take(&mut choice.spared),
                };
                message
            }
            _ if share == 0.0 => {
                let kept = self.permissive(page);
                let message = format!(
                    "{main}, and the readability-style extraction none: every block that is not \
                     mostly links is kept ({} blocks, {} of the prose)",
                    kept.len(),
                    percent(page.prose_share(&kept))
                );
                *choice = Choice {
                    container: None,
                    by_rule: Some(self.id.clone()),
                    kept,
                    dropped_inside: Vec::new(),
                    spared: std::mem::take(&mut choice.spared),
                };
                message
            }
            _ => format!(
                "{main}; the readability-style extraction does not hold twice as much: kept"
            ),
        };
        Some(Rescue {
            rule: self.id.clone(),
            message,
        })
    }

    /// The last resort: every block that is not mostly links.
    fn permissive(&self, page: &Page) -> Vec<usize> {
        let max = self.readability.max_link_ratio();
        (0..page.blocks.len())
            .filter(|&b| page.blocks[b].link_ratio() <= max)
            .collect()
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `div#post1 and 3 siblings`.
fn describe_roots(page: &Page, html: &Html, roots: &[usize]) -> String {
    let first = roots
        .first()
        .and_then(|&r| html.tree.get(page.elements[r].node))
        .and_then(scraper::ElementRef::wrap)
        .map_or("none".to_string(), |e| label(&e));
    match roots.len() {
        0 | 1 => first,
        n => format!("{first} and {} siblings", n - 1),
    }
}
