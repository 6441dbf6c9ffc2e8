//! The walk: one iterative pass over the parsed tree that skips removed subtrees and cuts the text
//! into blocks at block-level element boundaries, remembering the innermost element of each block.

use std::hash::Hasher;
use std::ops::Range;

use ego_tree::iter::Edge;
use rustc_hash::FxHasher;
use scraper::{ElementRef, Node};

use super::clean::{Removal, attr, classes};
use super::content::{ContentRules, ElementClass};
use super::elide::ELIDED_ATTR;
use super::measure::{Measure, collapse_whitespace, measure};
use super::prose::{DomProse, holds_most};
use super::source::Parsed;
use crate::types::BlockKind;

/// An element that was kept, in document (pre-)order.
pub struct Element {
    pub parent: Option<usize>,
    /// One past the index of its last descendant: its subtree is `index..end`.
    pub end: usize,
    pub class: ElementClass,
    /// A `p` element.
    pub paragraph: bool,
    /// Its tag name, first two classes and id with digits left out: the posts of a thread share it
    /// (`div#post_53876`, `div#post_53877`). `None` without a class or id: a bare `div` or `td`
    /// is page layout as often as a post.
    pub shape: Option<u64>,
    /// `<a>` elements directly at this element (descendants are summed by the scorer).
    pub links: u32,
    /// The prose in its subtree on the DOM before any removal (see [`DomProse`]).
    pub dom_prose: u32,
    /// Its node in the parsed tree, to describe it in the report.
    pub node: ego_tree::NodeId,
}

/// A run of text between block boundaries.
pub struct Block {
    pub text: String,
    pub kind: BlockKind,
    /// 1 for `h1`, …; 0 for other blocks.
    pub heading_level: u8,
    /// The innermost element open when the block ended.
    pub element: usize,
    /// Scoring tokens: Han characters and runs of ASCII letters or digits.
    pub units: u32,
    pub link_units: u32,
    /// Chinese sentence punctuation marks.
    pub punct: u32,
    /// Han characters and sentence punctuation outside links: the block's share of the page's
    /// prose (see [`DomProse`]).
    pub prose: u32,
    /// Parts of its source text separated by white space (which collapsing drops between Han
    /// characters): a keyword list has many.
    pub spaced_parts: u32,
}

impl Block {
    pub fn link_ratio(&self) -> f64 {
        f64::from(self.link_units) / f64::from(self.units.max(1))
    }
}

/// A subtree dropped by a cleaning rule.
pub struct Removed {
    pub rule: String,
    pub path: String,
    /// The start of its text, white space collapsed, `…` when cut.
    pub preview: String,
    /// The size of its text.
    pub bytes: usize,
    /// Where it came from in the markup (see [`Parsed::span`]).
    pub span: Range<usize>,
}

/// How much of a removed element's text its flag quotes.
pub const PREVIEW_BYTES: usize = 240;
const PREVIEW_CHARS: usize = 80;

impl Removed {
    pub fn describe(&self) -> String {
        format!(
            "removed {} ({} bytes of text): {}",
            self.path, self.bytes, self.preview
        )
    }
}

/// A removal heuristic not applied to an element because the element holds too much of the
/// page's prose.
pub struct Spared {
    pub rule: String,
    /// The kept element.
    pub element: usize,
}

/// What the walk found.
pub struct Page {
    pub elements: Vec<Element>,
    pub blocks: Vec<Block>,
    pub removed: Vec<Removed>,
    pub spared: Vec<Spared>,
    /// The page's prose on the DOM before any removal.
    pub prose_total: u32,
}

impl Page {
    /// The children of `parent`, in document order (each subtree is an index range).
    pub fn children(&self, parent: usize) -> Vec<usize> {
        let mut children = Vec::new();
        let mut child = parent + 1;
        while child < self.elements[parent].end {
            children.push(child);
            child = self.elements[child].end;
        }
        children
    }

    /// Share of the page's prose (on the DOM before removals) in these blocks.
    pub fn prose_share(&self, blocks: &[usize]) -> f64 {
        let prose: u32 = blocks.iter().map(|&b| self.blocks[b].prose).sum();
        f64::from(prose) / f64::from(self.prose_total.max(1))
    }
}

/// The removal heuristics of the walk (hidden styles) may not take an element holding more than
/// `max_share` of the page's prose, measured on the DOM before any removal.
pub struct Guard {
    pub prose: DomProse,
    pub max_share: f64,
}

impl Guard {
    /// Whether the element at `order` (document order among all elements) is too much of the page
    /// to be removed by a heuristic.
    fn protects(&self, order: usize) -> bool {
        holds_most(self.prose.of(order), self.prose.total, self.max_share)
    }
}

/// Which rule, if any, removes an element.
pub type Removes<'r> = dyn Fn(&ElementRef) -> Option<Removal<'r>> + 'r;

/// Walk the document once. Iterative (`traverse` yields open and close edges), so nesting depth
/// costs no stack. `markup` is what was parsed, for the spans of removed elements.
pub fn collect(
    parsed: &Parsed,
    markup: &str,
    removes: &Removes<'_>,
    content: &ContentRules,
    guard: &Guard,
) -> Page {
    let html = &parsed.html;
    let mut walk = Walk::default();
    let mut skipping: Option<ego_tree::NodeId> = None;
    // Document order among all elements, removed ones included: the index into `guard.prose`.
    let mut order = 0;
    for edge in html.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                let this = order;
                order += usize::from(node.value().is_element());
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(text) => walk.text(text),
                    Node::Element(_) => {
                        let Some(element) = ElementRef::wrap(node) else {
                            continue;
                        };
                        let protected = guard.protects(this);
                        let removal = removes(&element);
                        if element.value().name() == "head" {
                            walk.removed_from_head(&element, removes, parsed, markup);
                            skipping = Some(node.id());
                        } else if let Some(Removal { rule, heuristic }) = removal
                            && !(heuristic && protected)
                        {
                            walk.removed(rule, &element, parsed.span(&element, markup));
                            skipping = Some(node.id());
                        } else {
                            walk.open(&element, content.classify(&element), guard.prose.of(this));
                            if let Some(removal) = removal {
                                walk.spared(removal.rule);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if skipping.is_none()
                    && let Node::Element(element) = node.value()
                {
                    walk.close(element.name());
                }
            }
        }
    }
    walk.flush();
    Page {
        elements: walk.elements,
        blocks: walk.blocks,
        removed: walk.removed,
        spared: walk.spared,
        prose_total: guard.prose.total,
    }
}

fn is_block_level(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "br"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// How many of an element's class names its shape takes: engines append state classes to some
/// posts (`bd answer answer-fold`, `bd answer answer-hide answer-fold`), and one name alone is
/// often a utility class (`line`, `clearfix`).
const SHAPE_CLASSES: usize = 2;

/// A hash of the element's tag name, first class names and id without their digits (see
/// [`Element::shape`]).
fn shape(element: &scraper::node::Element) -> Option<u64> {
    let mut classes = classes(element).take(SHAPE_CLASSES).peekable();
    let id = attr(element, "id").map_or("", str::trim);
    if classes.peek().is_none() && id.is_empty() {
        return None;
    }
    let mut hasher = FxHasher::default();
    let mut write = |part: &str| {
        part.bytes()
            .filter(|b| !b.is_ascii_digit())
            .for_each(|b| hasher.write_u8(b));
        // Parts are separated, so `class="ab"` and `class="a" id="b"` differ.
        hasher.write_u8(0);
    };
    write(element.name());
    write(id);
    classes.for_each(&mut write);
    Some(hasher.finish())
}

fn kind_of(name: &str) -> Option<(BlockKind, u8)> {
    Some(match name {
        "h1" => (BlockKind::Heading, 1),
        "h2" => (BlockKind::Heading, 2),
        "h3" => (BlockKind::Heading, 3),
        "h4" => (BlockKind::Heading, 4),
        "h5" => (BlockKind::Heading, 5),
        "h6" => (BlockKind::Heading, 6),
        "li" | "dt" | "dd" => (BlockKind::ListItem, 0),
        "td" | "th" => (BlockKind::TableCell, 0),
        "p" | "div" | "blockquote" | "pre" | "article" | "section" | "body" => {
            (BlockKind::Paragraph, 0)
        }
        _ => return None,
    })
}

#[derive(Default)]
struct Walk {
    elements: Vec<Element>,
    blocks: Vec<Block>,
    removed: Vec<Removed>,
    spared: Vec<Spared>,
    /// Indices of the open kept elements.
    stack: Vec<usize>,
    /// Open elements that type their blocks.
    kinds: Vec<(BlockKind, u8)>,
    /// Parallel to `stack`: whether each open element is a link.
    link_stack: Vec<bool>,
    link_depth: usize,
    pre_depth: usize,
    pending: String,
    /// Scoring units and prose characters of the link text in `pending`.
    pending_link: Measure,
}

impl Walk {
    fn open(&mut self, element: &ElementRef, class: ElementClass, dom_prose: u32) {
        let name = element.value().name();
        if is_block_level(name) {
            self.flush();
        }
        let index = self.elements.len();
        let parent = self.stack.last().copied();
        // Only `a[href]` is a link: a named anchor left open (`<a name=top>`) is reopened by the
        // parser around everything after it and must not make the page look like links.
        let is_link = name == "a" && attr(element.value(), "href").is_some();
        self.link_stack.push(is_link);
        if is_link {
            self.link_depth += 1;
            if let Some(p) = parent {
                self.elements[p].links += 1;
            }
        }
        if name == "pre" {
            self.pre_depth += 1;
        }
        if let Some(kind) = kind_of(name) {
            self.kinds.push(kind);
        }
        self.elements.push(Element {
            parent,
            end: index + 1,
            class,
            paragraph: name == "p",
            shape: shape(element.value()),
            links: 0,
            dom_prose,
            node: element.id(),
        });
        self.stack.push(index);
    }

    /// A heuristic not applied to the element just opened.
    fn spared(&mut self, rule: &str) {
        self.spared.push(Spared {
            rule: rule.to_string(),
            element: self.elements.len() - 1,
        });
    }

    fn close(&mut self, name: &str) {
        if is_block_level(name) {
            self.flush();
        }
        if self.link_stack.pop() == Some(true) {
            self.link_depth = self.link_depth.saturating_sub(1);
        }
        if name == "pre" {
            self.pre_depth = self.pre_depth.saturating_sub(1);
        }
        if kind_of(name).is_some() {
            self.kinds.pop();
        }
        if let Some(index) = self.stack.pop() {
            self.elements[index].end = self.elements.len();
        }
    }

    /// `head` is read by the title logic, never as text; what the cleaning rules would remove there
    /// and that holds text (scripts, styles) is reported like the body's. Empty elements (`meta`,
    /// `link`) are left out: every page has dozens, and they hold no text to account for.
    fn removed_from_head(
        &mut self,
        head: &ElementRef,
        removes: &Removes<'_>,
        parsed: &Parsed,
        markup: &str,
    ) {
        let mut after = 0; // the end of the last one reported: one inside another is not
        for element in head.descendants().filter_map(ElementRef::wrap) {
            if let Some(Removal { rule, .. }) = removes(&element)
                && (element.text().any(|t| !t.trim().is_empty())
                    || attr(element.value(), ELIDED_ATTR).is_some())
            {
                let span = parsed.span(&element, markup);
                if span.start >= after {
                    after = span.end;
                    self.removed(rule, &element, span);
                }
            }
        }
    }

    fn removed(&mut self, rule: &str, element: &ElementRef, span: Range<usize>) {
        // A preview is enough for the report; removed scripts and styles can be large.
        let mut raw = String::new();
        // A script or style body cut before parsing (see `elide`) says how much was cut.
        let mut bytes = attr(element.value(), ELIDED_ATTR)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        for text in element.text() {
            bytes += text.len();
            if raw.len() < PREVIEW_BYTES {
                raw.push_str(text);
            }
        }
        let collapsed = collapse_whitespace(&raw);
        let mut preview: String = collapsed.chars().take(PREVIEW_CHARS).collect();
        if raw.len() < bytes || preview.len() < collapsed.len() {
            preview.push('…');
        }
        self.removed.push(Removed {
            rule: rule.to_string(),
            path: path(element),
            preview,
            bytes,
            span,
        });
    }

    fn text(&mut self, text: &str) {
        if self.pre_depth > 0 && text.contains('\n') {
            let mut lines = text.split('\n').peekable();
            while let Some(line) = lines.next() {
                self.append(line);
                if lines.peek().is_some() {
                    self.flush();
                }
            }
        } else {
            self.append(text);
        }
    }

    fn append(&mut self, text: &str) {
        if self.link_depth > 0 {
            self.pending_link.add(measure(text));
        }
        self.pending.push_str(text);
    }

    fn flush(&mut self) {
        // Most flushes carry only the white space between two tags.
        if self.pending.trim().is_empty() {
            self.pending.clear();
            self.pending_link = Measure::default();
            return;
        }
        let text = collapse_whitespace(&self.pending);
        let spaced_parts =
            u32::try_from(self.pending.split_whitespace().count()).unwrap_or(u32::MAX);
        self.pending.clear();
        let link = std::mem::take(&mut self.pending_link);
        let Some(&element) = self.stack.last() else {
            return;
        };
        if text.is_empty() {
            return;
        }
        let all = measure(&text);
        let (kind, heading_level) = self
            .kinds
            .last()
            .copied()
            .unwrap_or((BlockKind::Paragraph, 0));
        self.blocks.push(Block {
            punct: all.punct,
            prose: all.prose().saturating_sub(link.prose()),
            text,
            kind,
            heading_level,
            element,
            units: all.units,
            link_units: link.units.min(all.units),
            spaced_parts,
        });
    }
}

/// The element with its parent and grandparent, `div#main > div.box > div#farm`, for reports.
pub fn path(element: &ElementRef) -> String {
    let mut path: Vec<String> = element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take(2)
        .map(|e| label(&e))
        .collect();
    path.reverse();
    path.push(label(element));
    path.join(" > ")
}

/// `tag#id.class` for reports.
pub fn label(element: &ElementRef) -> String {
    let value = element.value();
    let mut label = value.name().to_string();
    if let Some(id) = value.id() {
        label.push('#');
        label.push_str(id);
    }
    // In the order of `scraper`'s `classes()` (sorted, no repeats), without interning every name.
    let mut names: Vec<&str> = classes(value).collect();
    names.sort_unstable();
    names.dedup();
    for class in names.into_iter().take(2) {
        label.push('.');
        label.push_str(class);
    }
    label
}

#[cfg(test)]
mod tests {
    use super::super::clean::Cleaner;
    use super::*;

    #[test]
    fn scripts_and_styles_in_head_are_reported() {
        let rules = crate::rules::RuleSet::defaults().unwrap();
        let (cleaner, content) = (
            Cleaner::from_rules(&rules).unwrap(),
            ContentRules::from_rules(&rules).unwrap(),
        );
        let markup = "<html><head><meta charset=gbk><title>標題</title><script>var a = 1;</script>\
             <style>p { color: red }</style><link rel=stylesheet href=a.css></head>\
             <body><p>正文。</p><script>b()</script></body></html>";
        let parsed = super::super::source::parse(markup, &[]);
        let guard = Guard {
            prose: DomProse::measure(&parsed.html),
            max_share: 0.5,
        };
        let page = collect(&parsed, markup, &|e| cleaner.removes(e), &content, &guard);
        let removed: Vec<(&str, usize, &str)> = page
            .removed
            .iter()
            .map(|r| (r.path.as_str(), r.bytes, &markup[r.span.clone()]))
            .collect();
        assert_eq!(
            removed,
            [
                ("html > head > script", 10, "<script>var a = 1;</script>"),
                ("html > head > style", 16, "<style>p { color: red }</style>"),
                ("html > body > script", 3, "<script>b()</script>")
            ]
        );
        assert!(page.blocks.iter().all(|b| !b.text.contains("var")));
    }
}
