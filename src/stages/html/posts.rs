//! Threads: the question and every post or answer of a forum or Q&A page.
//!
//! Forum and Q&A engines (Discuz!, phpwind, Flarum, Discourse, Zhihu, Zhidao, Tieba) print each post
//! in a block of the same markup, one after the other: sibling elements with one tag, class and id,
//! digits aside (`div#post_53876`, `div#post_53877`). The scorer picks the best-scoring subtree, and
//! when every post carries a user card that is often one post alone. When the content, or its lowest
//! ancestor that has them, is one of at least `min_posts` siblings of its shape of which at least
//! `min_prose_posts` hold prose, every one of them is part of the content. Inside the thread, a short
//! line that is not a sentence and recurs word for word in most posts is a widget of the engine
//! (`关注`, `展开全部`, `举报收起`) and is dropped; a line of numbers or dates, a sentence, and a
//! post made only of such lines (`顶` as a whole reply) are never widgets.

use rustc_hash::{FxHashMap, FxHashSet};

use super::blocks::{Block, Page};
use super::kinds::HtmlKind;
use crate::error::RuleError;
use crate::rules::Rule;
use crate::text::chars::is_han;

pub struct Posts {
    pub id: String,
    min_posts: usize,
    min_prose_posts: usize,
    max_widget_units: u32,
    min_widget_share: f64,
}

impl Posts {
    /// The thread rule of `rule`, a rule of kind `posts` (`None` for another kind).
    pub fn from_rule(rule: &Rule, kind: &HtmlKind) -> Option<Result<Self, RuleError>> {
        let &HtmlKind::Posts {
            min_posts,
            min_prose_posts,
            max_widget_units,
            min_widget_share,
        } = kind
        else {
            return None;
        };
        if min_posts < 2 || min_prose_posts < 2 || min_prose_posts > min_posts {
            return Some(Err(rule.error(
                "a thread needs `min_posts` ≥ `min_prose_posts` ≥ 2 (one post is no thread)",
            )));
        }
        Some(Ok(Posts {
            id: rule.id.clone(),
            min_posts,
            min_prose_posts,
            max_widget_units,
            min_widget_share,
        }))
    }

    /// The posts of the thread `container` is part of, in document order: the siblings of one
    /// shape of the container or of its lowest ancestor that has enough of them with prose
    /// (`is_post`); else, when the container holds the thread itself, the run inside it with the
    /// most posts.
    pub fn thread(
        &self,
        page: &Page,
        container: usize,
        is_post: &dyn Fn(usize) -> bool,
    ) -> Option<Vec<usize>> {
        let mut at = container;
        while let Some(parent) = page.elements[at].parent {
            if let Some(shape) = page.elements[at].shape {
                let run: Vec<usize> = page
                    .children(parent)
                    .into_iter()
                    .filter(|&c| page.elements[c].shape == Some(shape))
                    .collect();
                if self.is_thread(&run, is_post) {
                    return Some(run);
                }
            }
            at = parent;
        }
        self.thread_inside(page, container, is_post)
    }

    /// The run of siblings of one shape inside `container` with the most posts, if it is a
    /// thread; the first of equals.
    fn thread_inside(
        &self,
        page: &Page,
        container: usize,
        is_post: &dyn Fn(usize) -> bool,
    ) -> Option<Vec<usize>> {
        let mut best: Option<(usize, Vec<usize>)> = None;
        for parent in container..page.elements[container].end {
            // Groups in order of first appearance: the choice does not depend on hashing.
            let mut runs: Vec<(u64, Vec<usize>)> = Vec::new();
            for child in page.children(parent) {
                let Some(shape) = page.elements[child].shape else {
                    continue;
                };
                match runs.iter_mut().find(|(s, _)| *s == shape) {
                    Some((_, run)) => run.push(child),
                    None => runs.push((shape, vec![child])),
                }
            }
            for (_, run) in runs {
                let posts = run.iter().filter(|&&c| is_post(c)).count();
                if self.is_thread(&run, is_post) && best.as_ref().is_none_or(|(n, _)| posts > *n) {
                    best = Some((posts, run));
                }
            }
        }
        best.map(|(_, run)| run)
    }

    /// Enough siblings, enough of them posts, and most of them: a column of sidebar boxes has
    /// one or two with prose among lists.
    fn is_thread(&self, run: &[usize], is_post: &dyn Fn(usize) -> bool) -> bool {
        let posts = run.iter().filter(|&&c| is_post(c)).count();
        run.len() >= self.min_posts && posts >= self.min_prose_posts && 2 * posts >= run.len()
    }

    /// The kept blocks (`kept`, sorted) of the thread's `posts` that are the engine's widgets: at
    /// most `max_widget_units` long, no sentence (`is_prose`, sentence punctuation), more than
    /// numbers and dates, recurring word for word in `min_widget_share` of the posts (and at least
    /// two), in a post that holds other text besides. Sorted.
    pub fn widgets(
        &self,
        page: &Page,
        posts: &[usize],
        kept: &[usize],
        is_prose: &dyn Fn(&Block) -> bool,
    ) -> Vec<usize> {
        let is_candidate = |b: &Block| {
            b.units > 0
                && b.units <= self.max_widget_units
                && b.punct == 0
                && !is_prose(b)
                && b.text.chars().any(|c| is_han(c) || c.is_alphabetic())
        };
        // Per post, its kept blocks.
        let per_post: Vec<Vec<usize>> = posts
            .iter()
            .map(|&p| {
                let inside = p..page.elements[p].end;
                let blocks = kept.iter().copied();
                blocks
                    .filter(|&b| inside.contains(&page.blocks[b].element))
                    .collect()
            })
            .collect();
        // In how many posts each candidate text occurs.
        let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
        for blocks in &per_post {
            let texts: FxHashSet<&str> = blocks
                .iter()
                .map(|&b| &page.blocks[b])
                .filter(|b| is_candidate(b))
                .map(|b| b.text.as_str())
                .collect();
            for text in texts {
                *counts.entry(text).or_default() += 1;
            }
        }
        let needed = ((self.min_widget_share * posts.len() as f64).ceil() as usize).max(2);
        let recurs = |b: usize| {
            counts
                .get(page.blocks[b].text.as_str())
                .is_some_and(|&n| n >= needed)
        };
        // A post made only of recurring lines (`顶` as a whole reply) keeps them.
        let mut widgets: Vec<usize> = per_post
            .iter()
            .filter(|blocks| !blocks.iter().all(|&b| recurs(b)))
            .flat_map(|blocks| blocks.iter().copied())
            .filter(|&b| recurs(b))
            .collect();
        widgets.sort_unstable();
        widgets
    }
}
