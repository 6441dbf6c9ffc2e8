//! Threads: the question and every post or answer of a forum or Q&A page.
//!
//! Forum and Q&A engines (Discuz!, phpwind, Flarum, Discourse, Zhihu, Zhidao, Tieba) print each post
//! in a block of the same markup: elements with one tag, first class and id, digits aside
//! (`div#post_53876`, `div#post_53877`). The scorer picks the best-scoring subtree, and when every
//! post carries a user card that is often one post alone. When the content, or its lowest ancestor
//! that has them, is one of at least `min_posts` elements of its shape in the lowest part of the
//! page that holds that many, of which at least `min_prose_posts` hold prose, every one of them is
//! part of the content: siblings (`div#post_1`, `div#post_2`) or in separate branches (Zhidao's
//! best answer apart from the others). Inside the thread, a short line that is not a sentence and
//! recurs word for word in most posts is a widget of the engine (`关注`, `展开全部`, `举报收起`), and
//! a line that is not a sentence and holds a time stamp, in most posts, is the post's stamp line
//! (author, time, place); both are dropped. A line of numbers or dates is never a widget, and a
//! post made only of such lines (`顶` as a whole reply) keeps them.

use regex::Regex;
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
    /// One pattern of every stamp pattern; `None` without any.
    stamps: Option<Regex>,
}

impl Posts {
    /// The thread rule of `rule`, a rule of kind `posts` (`None` for another kind).
    pub fn from_rule(rule: &Rule, kind: &HtmlKind) -> Option<Result<Self, RuleError>> {
        let HtmlKind::Posts {
            min_posts,
            min_prose_posts,
            max_widget_units,
            min_widget_share,
            stamp_patterns,
        } = kind
        else {
            return None;
        };
        if *min_posts < 2 || *min_prose_posts < 2 || min_prose_posts > min_posts {
            return Some(Err(rule.error(
                "a thread needs `min_posts` ≥ `min_prose_posts` ≥ 2 (one post is no thread)",
            )));
        }
        let stamps = match stamp_patterns.as_slice() {
            [] => None,
            patterns => match Regex::new(&patterns.join("|")) {
                Ok(regex) => Some(regex),
                Err(e) => return Some(Err(rule.error(format!("`stamp_patterns`: {e}")))),
            },
        };
        Some(Ok(Posts {
            id: rule.id.clone(),
            min_posts: *min_posts,
            min_prose_posts: *min_prose_posts,
            max_widget_units: *max_widget_units,
            min_widget_share: *min_widget_share,
            stamps,
        }))
    }

    /// The posts of the thread `container` is part of, in document order: the elements of the
    /// shape of the container or of its lowest ancestor that has them, in the lowest ancestor of
    /// it that holds `min_posts` of them, when enough of them hold prose (`is_post`); else, when
    /// the container holds the thread itself, the shape inside it with the most posts among those
    /// that repeat as siblings.
    pub fn thread(
        &self,
        page: &Page,
        container: usize,
        is_post: &dyn Fn(usize) -> bool,
    ) -> Option<Vec<usize>> {
        let by_shape = by_shape(page);
        let mut at = container;
        while let Some(parent) = page.elements[at].parent {
            if let Some(shape) = page.elements[at].shape {
                let same = &by_shape[&shape];
                let mut scope = Some(parent);
                while let Some(s) = scope {
                    let run = outermost(page, same, s);
                    if run.len() >= self.min_posts {
                        if self.is_thread(&run, is_post) {
                            return Some(run);
                        }
                        break;
                    }
                    scope = page.elements[s].parent;
                }
            }
            at = parent;
        }
        self.thread_inside(page, container, &by_shape, is_post)
    }

    /// The elements of one shape inside `container` with the most posts, among the shapes that
    /// repeat as siblings there, if they are a thread; the first of equals.
    fn thread_inside(
        &self,
        page: &Page,
        container: usize,
        by_shape: &FxHashMap<u64, Vec<usize>>,
        is_post: &dyn Fn(usize) -> bool,
    ) -> Option<Vec<usize>> {
        let mut best: Option<(usize, Vec<usize>)> = None;
        let mut seen: FxHashSet<u64> = FxHashSet::default();
        for parent in container..page.elements[container].end {
            let mut counts: FxHashMap<u64, usize> = FxHashMap::default();
            // Shapes in order of first appearance: the choice does not depend on hashing.
            let mut repeated = Vec::new();
            for child in page.children(parent) {
                let Some(shape) = page.elements[child].shape else {
                    continue;
                };
                let count = counts.entry(shape).or_default();
                *count += 1;
                if *count == 2 && seen.insert(shape) {
                    repeated.push(shape);
                }
            }
            for shape in repeated {
                let run = outermost(page, &by_shape[&shape], container);
                let posts = run.iter().filter(|&&c| is_post(c)).count();
                if self.is_thread(&run, is_post) && best.as_ref().is_none_or(|(n, _)| posts > *n) {
                    best = Some((posts, run));
                }
            }
        }
        best.map(|(_, run)| run)
    }

    /// Enough elements, enough of them posts, and half of them: a column of sidebar boxes has
    /// one or two with prose among lists.
    fn is_thread(&self, run: &[usize], is_post: &dyn Fn(usize) -> bool) -> bool {
        let posts = run.iter().filter(|&&c| is_post(c)).count();
        run.len() >= self.min_posts && posts >= self.min_prose_posts && 2 * posts >= run.len()
    }

    /// The kept blocks (`kept`, sorted) of the thread's `posts` that are the engine's: widgets
    /// (at most `max_widget_units` long, more than numbers and dates, recurring word for word in
    /// `min_widget_share` of the posts, and at least two) and stamp lines (no sentence, matching
    /// a stamp pattern, in that share of the posts), in a post that holds other text besides.
    /// Sorted.
    pub fn widgets(
        &self,
        page: &Page,
        posts: &[usize],
        kept: &[usize],
        is_prose: &dyn Fn(&Block) -> bool,
    ) -> Vec<usize> {
        let no_sentence = |b: &Block| b.units > 0 && b.punct == 0 && !is_prose(b);
        // A question the engine asks under every answer (`你对这个回答的评价是？`) is a widget too:
        // the same words in most posts.
        let is_candidate = |b: &Block| {
            b.units > 0
                && b.units <= self.max_widget_units
                && b.text.chars().any(|c| is_han(c) || c.is_alphabetic())
        };
        let is_stamp =
            |b: &Block| no_sentence(b) && self.stamps.as_ref().is_some_and(|r| r.is_match(&b.text));
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
        // In how many posts each candidate text occurs, and how many have a stamp line.
        let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
        let mut stamped = 0;
        for blocks in &per_post {
            let blocks = blocks.iter().map(|&b| &page.blocks[b]);
            let texts: FxHashSet<&str> = blocks
                .clone()
                .filter(|b| is_candidate(b))
                .map(|b| b.text.as_str())
                .collect();
            for text in texts {
                *counts.entry(text).or_default() += 1;
            }
            stamped += usize::from(blocks.clone().any(is_stamp));
        }
        let needed = ((self.min_widget_share * posts.len() as f64).ceil() as usize).max(2);
        let engine = |b: usize| {
            let block = &page.blocks[b];
            counts
                .get(block.text.as_str())
                .is_some_and(|&n| n >= needed)
                || (stamped >= needed && is_stamp(block))
        };
        // A post made only of such lines (`顶` as a whole reply) keeps them.
        let mut widgets: Vec<usize> = per_post
            .iter()
            .filter(|blocks| !blocks.iter().all(|&b| engine(b)))
            .flat_map(|blocks| blocks.iter().copied())
            .filter(|&b| engine(b))
            .collect();
        widgets.sort_unstable();
        widgets
    }
}

/// Every element with a shape, by shape, in document order.
fn by_shape(page: &Page) -> FxHashMap<u64, Vec<usize>> {
    let mut by_shape: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    for (i, element) in page.elements.iter().enumerate() {
        if let Some(shape) = element.shape {
            by_shape.entry(shape).or_default().push(i);
        }
    }
    by_shape
}

/// The elements of `same` (sorted) strictly inside `scope` that are inside no other of them.
fn outermost(page: &Page, same: &[usize], scope: usize) -> Vec<usize> {
    let end = page.elements[scope].end;
    let from = same.partition_point(|&e| e <= scope);
    let mut run: Vec<usize> = Vec::new();
    for &e in same[from..].iter().take_while(|&&e| e < end) {
        if run.last().is_none_or(|&last| e >= page.elements[last].end) {
            run.push(e);
        }
    }
    run
}
