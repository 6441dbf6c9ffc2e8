//! `html`: decoded markup → typed text blocks.
//!
//! One parse (html5ever via `scraper`), then one iterative walk over the tree that drops removed
//! elements ([`clean`]) and collects text blocks with their enclosing elements ([`blocks`]), one linear
//! pass that scores elements and picks the main content ([`content`]), and the title choice
//! ([`title`]). The output text has the chosen title on its first line (kind `Title`) and one block
//! per line after it, with `doc.kinds` one [`BlockKind`] per line.
//!
//! What the DOM cleaning and the content choice drop can't be byte edits of a text that doesn't
//! exist yet, so they are recorded in the report's [`HtmlAccounting`]: every removed element as a
//! byte range of the decoded markup with the markup itself (positions from [`source`]), every block
//! left out with its text, and the title; [`Html::rebuild`] gives the stage's output back from its
//! input and those. Flags say the same in words: one per removed element (rule id, element path
//! and the start of its text) and one summary of the main-content choice.

mod blocks;
mod clean;
mod content;
mod depth;
mod elide;
mod fallback;
mod kinds;
mod measure;
mod posts;
mod prose;
mod readability;
mod source;
mod title;
mod vocabulary;

pub use depth::markup_depth;
pub use kinds::HtmlKind;
use kinds::html_rules;
use rustc_hash::FxHashSet;
use scraper::Html as ParsedHtml;

use crate::document::Document;
use crate::error::RuleError;
use crate::report::{DroppedBlock, HtmlAccounting, RemovedElement};
use crate::rules::RuleSet;
use crate::stages::Stage;
use crate::types::BlockKind;
use crate::types::StageName;

/// The `html` stage: a page's markup to its main content's blocks of text and its title.
pub struct Html {
    cleaner: clean::Cleaner,
    /// Raw-text elements the cleaner removes by name, cut short before parsing.
    elided: Vec<String>,
    content: content::ContentRules,
    fallback: Option<fallback::Fallback>,
    titles: title::TitleRules,
}

impl Html {
    /// The stage with the `html` rules and the `[settings.html]` of `rules`.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let cleaner = clean::Cleaner::from_rules(rules)?;
        let content = content::ContentRules::from_rules(rules)?;
        let fallback = html_rules(rules)?
            .iter()
            .find_map(|(rule, kind)| fallback::Fallback::from_rule(rule, kind, &content))
            .transpose()?;
        Ok(Html {
            elided: cleaner.removed_raw_text(),
            cleaner,
            content,
            fallback,
            titles: title::TitleRules::from_rules(rules)?,
        })
    }
}

impl Stage for Html {
    fn name(&self) -> StageName {
        StageName::Html
    }

    fn run(&self, doc: &mut Document) {
        // The pipeline runs this stage only on decoded markup; a text document handed to the stage
        // directly (a rule example) is taken as markup too.
        let markup = match doc.html.take() {
            Some(markup) => markup,
            None => std::mem::take(&mut doc.text),
        };
        let source = source::parse(&markup, &self.elided);
        let parsed = &source.html;
        let guard = self.content.guard(parsed);
        let removes = |e: &scraper::ElementRef| self.cleaner.removes(e);
        let mut page = blocks::collect(&source, &markup, &removes, &self.content, &guard);
        self.content.spare_article_ancestors(&mut page);
        for removed in &page.removed {
            doc.flag(
                StageName::Html,
                removed.rule.clone(),
                removed.describe(),
                None,
            );
        }
        let mut choice = self.content.choose(&page);
        let rescue = self
            .fallback
            .as_ref()
            .and_then(|f| f.settle(&page, parsed, &mut choice, &|b| self.content.is_prose(b)));
        let thread = self.content.settle_thread(&page, parsed, &mut choice);
        for spared in page.spared.iter().chain(&choice.spared) {
            doc.flag(
                StageName::Html,
                spared.rule.clone(),
                describe_spared(&page, parsed, spared.element),
                None,
            );
        }
        let body: Vec<&blocks::Block> = choice.kept.iter().map(|&i| &page.blocks[i]).collect();
        let title = self.titles.choose(parsed, &page, &choice.kept);
        if let Some(why) = &title.flag {
            doc.flag(StageName::Html, title.rule.clone(), why.clone(), None);
        }
        let rule = choice.by_rule.as_deref().unwrap_or(&self.content.main_id);
        doc.flag(StageName::Html, rule, choice.summary(&page, parsed), None);
        if let Some(rescue) = rescue {
            doc.flag(StageName::Html, rescue.rule, rescue.message, None);
        }
        if let Some((rule, message)) = thread {
            doc.flag(StageName::Html, rule, message, None);
        }
        if body.is_empty() && page.prose_total > 0 {
            doc.flag(
                StageName::Html,
                self.content.main_id.clone(),
                empty_body(&page),
                None,
            );
        }
        for (rule, block) in &choice.dropped_inside {
            let text = &page.blocks[*block].text;
            doc.flag(
                StageName::Html,
                rule.clone(),
                format!("dropped inside the content: {text}"),
                None,
            );
        }
        let (text, kinds) = render(title.text.as_deref(), &body);
        doc.report.html = Some(HtmlAccounting {
            removed: removed_elements(&page, &markup),
            dropped: dropped_blocks(&page, &source, &markup, &choice, rule),
            title: title.text,
        });
        doc.text = text;
        doc.kinds = kinds;
    }
}

/// Why the stage's output cannot be rebuilt from a markup and an accounting: they do not belong
/// together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RebuildError {
    /// A removed element's recorded markup is not the markup at its bytes.
    #[error("removed element {index} ({rule}) at {start}..{end} does not match the markup there")]
    Removed {
        /// Its place among the accounting's removed elements.
        index: usize,
        /// The rule that removed it.
        rule: String,
        /// Its first byte in the markup.
        start: usize,
        /// The byte after its last.
        end: usize,
    },
    /// A removed element's bytes are no element's span in the parsed markup.
    #[error("removed element {index} ({rule}) at {start}..{end} is no element of the markup")]
    NoElement {
        /// Its place among the accounting's removed elements.
        index: usize,
        /// The rule that removed it.
        rule: String,
        /// Its first byte in the markup.
        start: usize,
        /// The byte after its last.
        end: usize,
    },
    /// A dropped block is not among the markup's blocks, in the order of the accounting.
    #[error("dropped block {index} ({rule}) is not among the markup's blocks, in order")]
    Dropped {
        /// Its place among the accounting's dropped blocks.
        index: usize,
        /// The rule that dropped it.
        rule: String,
    },
}

impl Html {
    /// The stage's output for `markup`, rebuilt from what the report says it left out: the
    /// markup's blocks of text once the recorded elements are removed, less the recorded blocks,
    /// under the recorded title. No rule is consulted, so this checks the accounting: a removal
    /// not recorded, or recorded at the wrong bytes, gives a different text.
    pub fn rebuild(
        &self,
        markup: &str,
        accounting: &HtmlAccounting,
    ) -> Result<String, RebuildError> {
        for (index, removed) in accounting.removed.iter().enumerate() {
            if markup.get(removed.start..removed.end) != Some(removed.markup.as_str()) {
                return Err(RebuildError::Removed {
                    index,
                    rule: removed.rule.clone(),
                    start: removed.start,
                    end: removed.end,
                });
            }
        }
        let source = source::parse(markup, &self.elided);
        let recorded: FxHashSet<(usize, usize)> = accounting
            .removed
            .iter()
            .map(|r| (r.start, r.end))
            .collect();
        let starts: FxHashSet<usize> = recorded.iter().map(|&(start, _)| start).collect();
        let removes = |e: &scraper::ElementRef| {
            // The span only where the start matches: it walks the element's subtree.
            let span = starts
                .contains(&source.start(e, markup))
                .then(|| source.span(e, markup))?;
            recorded
                .contains(&(span.start, span.end))
                .then_some(clean::Removal {
                    rule: "recorded",
                    heuristic: false,
                })
        };
        let guard = self.content.guard(&source.html);
        let page = blocks::collect(&source, markup, &removes, &self.content, &guard);
        if let Some((index, removed)) = accounting
            .removed
            .iter()
            .enumerate()
            .find(|(_, r)| !page.removed.iter().any(|p| p.span == (r.start..r.end)))
        {
            return Err(RebuildError::NoElement {
                index,
                rule: removed.rule.clone(),
                start: removed.start,
                end: removed.end,
            });
        }
        let mut dropped = accounting.dropped.iter().enumerate().peekable();
        let mut body = Vec::new();
        for block in &page.blocks {
            let element = block_element(&page, &source, markup, block);
            if dropped
                .next_if(|(_, d)| d.element == element && d.text == block.text)
                .is_none()
            {
                body.push(block);
            }
        }
        if let Some((index, d)) = dropped.next() {
            return Err(RebuildError::Dropped {
                index,
                rule: d.rule.clone(),
            });
        }
        Ok(render(accounting.title.as_deref(), &body).0)
    }
}

/// The elements the cleaning rules removed, with their markup.
fn removed_elements(page: &blocks::Page, markup: &str) -> Vec<RemovedElement> {
    page.removed
        .iter()
        .map(|r| RemovedElement {
            rule: r.rule.clone(),
            path: r.path.clone(),
            start: r.span.start,
            end: r.span.end,
            markup: markup[r.span.clone()].to_string(),
        })
        .collect()
}

/// The blocks the content choice left out, each with the rule that dropped it inside the content,
/// else the rule that chose the content (`content_rule`).
fn dropped_blocks(
    page: &blocks::Page,
    source: &source::Parsed,
    markup: &str,
    choice: &content::Choice,
    content_rule: &str,
) -> Vec<DroppedBlock> {
    let kept: FxHashSet<usize> = choice.kept.iter().copied().collect();
    (0..page.blocks.len())
        .filter(|b| !kept.contains(b))
        .map(|b| {
            let block = &page.blocks[b];
            let rule = choice
                .dropped_inside
                .iter()
                .find(|(_, inside)| *inside == b)
                .map_or(content_rule, |(rule, _)| rule.as_str());
            DroppedBlock {
                rule: rule.to_string(),
                element: block_element(page, source, markup, block),
                text: block.text.clone(),
            }
        })
        .collect()
}

/// Where the innermost element holding `block` starts in the markup.
fn block_element(
    page: &blocks::Page,
    source: &source::Parsed,
    markup: &str,
    block: &blocks::Block,
) -> usize {
    source
        .html
        .tree
        .get(page.elements[block.element].node)
        .and_then(scraper::ElementRef::wrap)
        .map_or(0, |e| source.start(&e, markup))
}

/// The flag of a heuristic not applied to an element that holds most of the page's prose.
fn describe_spared(page: &blocks::Page, html: &ParsedHtml, element: usize) -> String {
    let path = html
        .tree
        .get(page.elements[element].node)
        .and_then(scraper::ElementRef::wrap)
        .map_or_else(String::new, |e| blocks::path(&e));
    let prose = page.elements[element].dom_prose;
    format!(
        "not applied to {path}: it holds {prose} of the page's {} characters of prose",
        page.prose_total
    )
}

/// Why a page with prose has an empty body: what removed its text.
fn empty_body(page: &blocks::Page) -> String {
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for removed in &page.removed {
        match by_rule.iter_mut().find(|(r, _)| *r == removed.rule) {
            Some((_, bytes)) => *bytes += removed.bytes,
            None => by_rule.push((&removed.rule, removed.bytes)),
        }
    }
    let rules: Vec<String> = by_rule
        .iter()
        .map(|(rule, bytes)| format!("{rule} ({bytes} bytes of text)"))
        .collect();
    format!(
        "empty body although the page holds {} characters of prose: no kept block holds any; removed: {}",
        page.prose_total,
        if rules.is_empty() {
            "nothing".to_string()
        } else {
            rules.join(", ")
        }
    )
}

/// The title line (when there is one) and one line per block; a block equal to the title (the
/// article's own `h1`) is not repeated.
fn render(title: Option<&str>, body: &[&blocks::Block]) -> (String, Vec<BlockKind>) {
    let mut text = String::new();
    let mut kinds = Vec::new();
    let mut push = |line: &str, kind: BlockKind| {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
        kinds.push(kind);
    };
    if let Some(title) = title {
        push(title, BlockKind::Title);
    }
    for block in body {
        if Some(block.text.as_str()) == title {
            continue;
        }
        push(&block.text, block.kind);
    }
    (text, kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(markup: &str) -> Document {
        let stage = Html::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let mut doc = Document::from_text("");
        doc.html = Some(markup.to_string());
        stage.run(&mut doc);
        doc
    }

    const ARTICLE: &str = "<p>第一段，這是正文的內容，很長很長的一句話。</p><p>第二段，還有更多的正文內容在這裡。</p>";

    #[test]
    fn an_article_of_lists_is_not_lost_to_a_prose_box_inside_it() {
        let paragraphs: String = (1..=4)
            .map(|n| format!("<p>第{n}段，這位歌手的生平和作品介紹在這裡。</p>"))
            .collect();
        let items: String = (1..=20)
            .map(|n| format!("<li>第{n}張專輯 二〇〇一年發行</li>"))
            .collect();
        let page = format!(
            "<body><div id=\"page\"><div class=\"box\"><p>本條目需要補充更多來源，請協助改善。</p></div>\
             {paragraphs}<ul>{items}</ul></div></body>"
        );
        let text = run(&page).text;
        assert!(text.contains("第1段") && text.contains("第4段"), "{text}");
        assert!(text.contains("第20張專輯"), "{text}");
    }

    #[test]
    fn typed_blocks_with_title_first() {
        let doc = run(&format!(
            "<html><head><title>真標題-新浪新聞</title></head><body><h1>真標題</h1>{ARTICLE}</body></html>"
        ));
        let lines: Vec<&str> = doc.text.lines().collect();
        assert_eq!(lines[0], "真標題");
        assert_eq!(doc.kinds[0], BlockKind::Title);
        assert_eq!(doc.kinds.len(), lines.len());
        assert!(lines.contains(&"第二段，還有更多的正文內容在這裡。"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // html5ever itself is quadratic in nesting depth (its scope checks), so keep this moderate.
        let depth = 5_000;
        let markup = format!(
            "{}<p>深處的正文，還是正文。</p>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let doc = run(&markup);
        assert!(doc.text.contains("深處的正文"));
    }

    #[test]
    fn empty_markup_gives_empty_text() {
        let doc = run("");
        assert!(doc.text.is_empty());
        assert!(doc.kinds.is_empty());
    }
}
