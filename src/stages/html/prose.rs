//! How much of the page's prose each element holds, measured on the DOM before any rule removes
//! anything: the evidence that keeps a heuristic from removing the article.
//!
//! Prose here is what a reader sees as running text: Han characters and Chinese sentence
//! punctuation in text nodes, outside links and outside elements that are never displayed
//! (`head`, `script`, `style`, `template`, `noscript`). A removal heuristic (a hidden style, a
//! chrome class or id, a link farm) that would remove an element holding more than
//! `protect_prose_share` of the page's prose is not applied, and flagged: `<body class="nav-bar">`,
//! an article container hidden until scripts run (`#js_content` with `visibility: hidden`).

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::clean::attr;
use super::measure::measure;

/// Prose per element, indexed by the element's position in document order among all elements of
/// the tree (the walk counts the same way, removed subtrees included).
pub struct DomProse {
    per_element: Vec<u32>,
    pub total: u32,
}

impl DomProse {
    /// One iterative pass over the tree.
    pub fn measure(html: &Html) -> Self {
        let mut per_element = Vec::new();
        // Open elements: their index and whether their text counts.
        let mut open: Vec<(usize, bool)> = Vec::new();
        for edge in html.tree.root().traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(element) => {
                        let inherited = open.last().is_none_or(|&(_, counts)| counts);
                        let name = element.name();
                        let is_link = name == "a" && attr(element, "href").is_some();
                        let counts = inherited && !is_link && !never_displayed(name);
                        open.push((per_element.len(), counts));
                        per_element.push(0);
                    }
                    Node::Text(text) => {
                        if let Some(&(index, true)) = open.last() {
                            per_element[index] += measure(text).prose();
                        }
                    }
                    _ => {}
                },
                Edge::Close(node) => {
                    if node.value().is_element()
                        && let Some((index, _)) = open.pop()
                        && let Some(&(parent, _)) = open.last()
                    {
                        per_element[parent] += per_element[index];
                    }
                }
            }
        }
        let total = per_element.first().copied().unwrap_or(0);
        DomProse { per_element, total }
    }

    /// The prose in the subtree of the element at `index` (document order).
    pub fn of(&self, index: usize) -> u32 {
        self.per_element.get(index).copied().unwrap_or(0)
    }
}

/// Whether `prose` of a page's `total` is more than `max_share` of it: too much for a heuristic to
/// remove.
pub fn holds_most(prose: u32, total: u32, max_share: f64) -> bool {
    total > 0 && f64::from(prose) > max_share * f64::from(total)
}

/// Elements whose text is never displayed: it is no part of what the page says.
fn never_displayed(name: &str) -> bool {
    matches!(name, "head" | "script" | "style" | "template" | "noscript")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_scripts_and_head_are_not_prose() {
        let html = Html::parse_document(
            "<html><head><title>標題文字</title></head><body>\
             <div><p>正文，兩句。</p><a href=\"/x\">連結文字</a><a name=\"top\">錨點</a></div>\
             <script>var s = '腳本裡的字';</script></body></html>",
        );
        let prose = DomProse::measure(&html);
        // 正文兩句 (4) + ，。 (2) + 錨點 (2): a named anchor is not a link.
        assert_eq!(prose.total, 8);
        // html, head, title, body, div: the div holds all of it.
        assert_eq!(prose.of(4), 8);
        assert_eq!(prose.of(1), 0, "head");
    }
}
