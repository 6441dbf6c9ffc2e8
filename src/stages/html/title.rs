//! The title, chosen by agreement between its sources and by what each candidate is.
//!
//! Sources, most trusted first: the heading at the top of the main content or just above it in its
//! branch of the page (the first heading before the content's first sentence), `og:title`, the
//! page's first `h1` when it is long enough to be a title (four Han characters or three words:
//! not a blog header's `李建忠`) and not a link (a logo), and a title-like line just above the content
//! (a permalink title) or first in it; and the parts of `<title>` (split at the site-name
//! separators). Headings
//! elsewhere (a sidebar's `导航`) are not sources.
//!
//! 1. **Agreement.** The first source that is one of the `<title>` parts (else the first found
//!    inside it, else the first part found inside a source) is the title, without the site name.
//!    The heading is the title when it agrees with `og:title`.
//! 2. **The best part of `<title>`.** A part that recurs inside another part (a keyword or section
//!    repeated from the headline) or names the site (`og:site_name`) is not the title; of the
//!    others the longest in scoring units (Han characters and ASCII words: `Powered by Discuz!
//!    Archiver` is four units) is.
//! 3. **Hijack.** A part sharing less than `min_overlap` of its Han characters (at least four)
//!    with the article gives way to the first source that does match it.
//! 4. **Too short.** A part too short to be an article's title (under four Han characters and
//!    three words: `显示`, `首页`) gives way to the first source long enough.
//!
//! Without `<title>`, the first source is the title.

use std::collections::HashSet;

use scraper::{Html, Selector};

use super::blocks::{Block, Page};
use super::kinds::{HtmlKind, html_rules};
use super::measure::{collapse_whitespace, measure};
use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::text::chars::{CLAUSE_MARKS, STATEMENT_ENDS, is_han};

pub struct TitleRules {
    title: Selector,
    og_title: Selector,
    og_site_name: Selector,
    site_name: Option<SiteName>,
    hijack: Option<Hijack>,
}

struct SiteName {
    id: String,
    separators: Vec<String>,
}

struct Hijack {
    id: String,
    /// Share of the title's Han characters that must occur in the article.
    min_overlap: f64,
}

/// The chosen title and, when a rule changed the choice, the rule and why.
pub struct TitleChoice {
    pub text: Option<String>,
    pub rule: String,
    pub flag: Option<String>,
}

/// What the page says its title is, source by source.
#[derive(Debug, Default)]
struct Sources {
    tag: Option<String>,
    og: Option<String>,
    site: Option<String>,
    /// The heading at the top of the content or just above it.
    heading: Option<String>,
    /// The page's first `h1`, when it is long enough to be a title.
    page_h1: Option<String>,
    /// A title-like line just above the content, when there is no heading.
    line: Option<String>,
}

impl Sources {
    /// The title candidates besides `<title>`, most trusted first.
    fn candidates(&self) -> impl Iterator<Item = &String> {
        [&self.heading, &self.og, &self.page_h1, &self.line]
            .into_iter()
            .flatten()
    }
}

impl TitleRules {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let parse =
            |s: &str| Selector::parse(s).map_err(|e| RuleError::new("html", 0, e.to_string()));
        let mut titles = TitleRules {
            title: parse("title")?,
            og_title: parse("meta[property=\"og:title\"]")?,
            og_site_name: parse("meta[property=\"og:site_name\"]")?,
            site_name: None,
            hijack: None,
        };
        for (rule, kind) in html_rules(rules)? {
            match kind {
                HtmlKind::TitleSiteName { separators } => {
                    titles.site_name = Some(SiteName {
                        id: rule.id.clone(),
                        separators,
                    });
                }
                HtmlKind::TitleHijack { min_overlap } => {
                    titles.hijack = Some(Hijack {
                        id: rule.id.clone(),
                        min_overlap,
                    });
                }
                _ => {}
            }
        }
        Ok(titles)
    }

    /// `kept`: indices of the main-content blocks.
    pub fn choose(&self, html: &Html, page: &Page, kept: &[usize]) -> TitleChoice {
        // Metadata is in `head`: searching only there spares a selector pass over the whole
        // tree (a `<title>` the parser left in the body is still found).
        let head = html
            .root_element()
            .child_elements()
            .find(|e| e.value().name() == "head");
        let meta = |selector: &Selector| {
            head.and_then(|head| head.select(selector).next())
                .and_then(|m| m.value().attr("content"))
                .map(collapse_whitespace)
                .filter(|t| !t.is_empty())
        };
        let sources = Sources {
            tag: head
                .and_then(|head| head.select(&self.title).next())
                .or_else(|| html.select(&self.title).next())
                .map(|t| collapse_whitespace(&t.text().collect::<String>()))
                .filter(|t| !t.is_empty()),
            og: meta(&self.og_title),
            site: meta(&self.og_site_name),
            heading: content_heading(page, kept),
            // A logo `h1` is most often a link home.
            page_h1: page
                .blocks
                .iter()
                .find(|b| b.heading_level == 1)
                .filter(|b| is_title_length(&b.text) && b.link_ratio() <= 0.5)
                .map(|b| b.text.clone()),
            line: title_line(page, kept),
        };
        let body: Vec<&Block> = kept.iter().map(|&i| &page.blocks[i]).collect();
        self.decide(sources, &body)
    }

    fn decide(&self, sources: Sources, body: &[&Block]) -> TitleChoice {
        let plain = |text: Option<&String>| TitleChoice {
            text: text.cloned(),
            rule: "html.title".to_string(),
            flag: None,
        };
        let Some(tag) = &sources.tag else {
            return plain(sources.candidates().next());
        };
        let parts = self.parts(tag);
        // 1. A source that agrees with a part of <title>.
        if let Some(title) = agreement(&sources, tag, &parts) {
            let flag = (!same(&title, tag)).then(|| {
                format!("`<title>` {tag:?} carries a site name; the article title is {title:?}")
            });
            return TitleChoice {
                text: Some(title),
                rule: self.site_name_id(),
                flag,
            };
        }
        if let (Some(h), Some(o)) = (&sources.heading, &sources.og)
            && same(h, o)
        {
            return TitleChoice {
                flag: Some(format!(
                    "`<title>` {tag:?} disagrees with the heading and `og:title`: title {h:?}"
                )),
                text: Some(h.clone()),
                rule: self.site_name_id(),
            };
        }
        // 2. The best part.
        let part = best_part(&parts, sources.site.as_deref()).unwrap_or_else(|| tag.clone());
        // 3. A hijacked part gives way to a source that matches the article.
        if let Some(choice) = self.unhijack(tag, &part, &sources, body) {
            return choice;
        }
        // 4. A part too short to be a title gives way to the content's heading.
        if !is_title_length(&part)
            && let Some(better) = sources.candidates().find(|c| is_title_length(c))
        {
            return TitleChoice {
                flag: Some(format!(
                    "`<title>` {tag:?} is too short for an article title; title {better:?}"
                )),
                text: Some(better.clone()),
                rule: self.site_name_id(),
            };
        }
        if &part != tag {
            return TitleChoice {
                flag: Some(format!("`<title>` {tag:?}: site name cut, title {part:?}")),
                text: Some(part),
                rule: self.site_name_id(),
            };
        }
        plain(Some(tag))
    }

    /// When `part` shares too little with the article, the first of `better` that does not.
    fn unhijack(
        &self,
        tag: &str,
        part: &str,
        sources: &Sources,
        body: &[&Block],
    ) -> Option<TitleChoice> {
        let hijack = self.hijack.as_ref()?;
        if han_count(part) < MIN_HAN {
            return None;
        }
        // Built only here: most titles are settled by agreement.
        let article: HashSet<char> = body
            .iter()
            .flat_map(|b| b.text.chars())
            .filter(|&c| is_han(c))
            .collect();
        if article.is_empty() || overlap(part, &article) >= hijack.min_overlap {
            return None;
        }
        let better = sources
            .candidates()
            .find(|c| overlap(c, &article) >= hijack.min_overlap && is_title_length(c));
        let (text, why) = match better {
            Some(better) => (better.clone(), format!("title {better:?}")),
            // A hijacked title's parts are keyword groups, not a site name: kept whole and
            // flagged, for the spam stage to judge.
            None => (
                tag.to_string(),
                "no source matches the article: kept whole".to_string(),
            ),
        };
        Some(TitleChoice {
            flag: Some(format!(
                "`<title>` {tag:?} shares little with the article: hijacked; {why}"
            )),
            text: Some(text),
            rule: hijack.id.clone(),
        })
    }

    fn site_name_id(&self) -> String {
        self.site_name
            .as_ref()
            .map_or("html.title".to_string(), |s| s.id.clone())
    }

    /// The title split at the site-name separators (`-`, `_`, `|`, …), in order.
    fn parts(&self, title: &str) -> Vec<String> {
        let Some(site) = &self.site_name else {
            return vec![title.to_string()];
        };
        let mut parts = vec![title.to_string()];
        for sep in &site.separators {
            parts = parts
                .iter()
                .flat_map(|p| p.split(sep.as_str()))
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
        }
        parts
    }
}

/// The title the sources agree on with `<title>`: the first source that is one of its parts, else
/// the first found inside it (a separator the rules do not know), else the first part found inside
/// a source (a heading with an edit link: `雄安新区[编辑]`). A copy of the whole `<title>` with its
/// site name (`og:title` often is one) tells nothing.
fn agreement(sources: &Sources, tag: &str, parts: &[String]) -> Option<String> {
    let informative = || {
        sources
            .candidates()
            .filter(|c| parts.len() == 1 || !same(c, tag))
    };
    let exact = informative().find(|c| parts.iter().any(|p| same(c, p)));
    let inside =
        || informative().find(|c| is_title_length(c) && squeeze(tag).contains(&squeeze(c)));
    if let Some(source) = exact.or_else(inside) {
        return Some(source.clone());
    }
    informative().find_map(|c| {
        parts
            .iter()
            .find(|p| is_title_length(p) && squeeze(c).contains(&squeeze(p)))
            .cloned()
    })
}

/// The longest part in scoring units, passing over parts that recur inside another part (a
/// keyword or section repeated from the headline) and the site's own name.
fn best_part(parts: &[String], site: Option<&str>) -> Option<String> {
    let recurs = |i: usize| {
        let part = squeeze(&parts[i]);
        parts
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && squeeze(other).contains(&part))
    };
    let names_site = |part: &str| site.is_some_and(|s| same(part, s));
    let candidates: Vec<usize> = (0..parts.len())
        .filter(|&i| !recurs(i) && !names_site(&parts[i]))
        .collect();
    let pool = if candidates.is_empty() {
        (0..parts.len()).collect()
    } else {
        candidates
    };
    // Ties go to the earlier part: the headline comes first in most templates.
    pool.into_iter()
        .rev()
        .max_by_key(|&i| measure(&parts[i]).units)
        .map(|i| parts[i].clone())
}

/// The heading at the top of the content (before its first sentence), else the nearest heading
/// just above the content in its branch of the page.
fn content_heading(page: &Page, kept: &[usize]) -> Option<String> {
    let is_heading = |b: &&Block| b.heading_level > 0 && is_title_length(&b.text);
    let top = kept
        .iter()
        .map(|&i| &page.blocks[i])
        .take_while(|b| !is_sentence(b))
        .find(is_heading);
    top.or_else(|| above_content(page, kept).find(is_heading))
        .map(|b| b.text.clone())
}

/// The nearest title-like line just above the content in its branch of the page (a permalink
/// title is one link, a line partly linked is navigation), else the content's first line when it
/// looks like a title and a sentence follows it.
fn title_line(page: &Page, kept: &[usize]) -> Option<String> {
    let above = above_content(page, kept)
        .find(|b| looks_like_title(b) && (b.link_units == 0 || b.link_units == b.units));
    let first_line = || match kept {
        [first, next, ..] => {
            let (first, next) = (&page.blocks[*first], &page.blocks[*next]);
            (looks_like_title(first) && first.link_units == 0 && is_sentence(next)).then_some(first)
        }
        _ => None,
    };
    above.or_else(first_line).map(|b| b.text.clone())
}

/// The blocks just above the first block of the content, nearest first, up to a sentence, in the
/// content's branch of the page.
fn above_content<'a>(page: &'a Page, kept: &[usize]) -> impl Iterator<Item = &'a Block> {
    const LOOK_BACK: usize = 6;
    let first = kept.first().copied().unwrap_or(0);
    let content = page.blocks.get(first).map_or(0, |b| b.element);
    page.blocks[first.saturating_sub(LOOK_BACK)..first]
        .iter()
        .rev()
        .take_while(|b| !is_sentence(b))
        .filter(move |b| beside(page, b.element, content))
}

/// Whether `element` or its parent or grandparent holds `content`: a title above the article sits
/// in its branch of the page, a logo or a navigation cell in another.
fn beside(page: &Page, element: usize, content: usize) -> bool {
    std::iter::successors(Some(element), |&e| page.elements[e].parent)
        .take(3)
        .any(|e| (e..page.elements[e].end).contains(&content))
}

/// A block of running text, which no title sits above.
fn is_sentence(block: &Block) -> bool {
    block.text.contains(STATEMENT_ENDS) || block.punct >= 3 || block.units > 64
}

/// A block that can be a title without heading markup: a short line of Chinese that is not a
/// sentence, a clause or a list of keywords.
fn looks_like_title(block: &Block) -> bool {
    let text = &block.text;
    han_count(text) >= MIN_HAN
        && text.chars().count() <= 64
        && !text.contains(CLAUSE_MARKS)
        && !text.ends_with(['：', ':'])
        && block.spaced_parts < KEYWORD_PARTS
}

/// Lines of this many parts separated by white space are keyword lists (`北京装修 装修公司 家装设计`).
const KEYWORD_PARTS: u32 = 3;

/// Long enough to be an article's title: four Han characters or three words.
fn is_title_length(text: &str) -> bool {
    han_count(text) >= MIN_HAN || measure(text).units >= 3
}

/// Fewer Han characters than this make the character overlap meaningless (and a title unlikely).
const MIN_HAN: usize = 4;

fn han_count(text: &str) -> usize {
    text.chars().filter(|&c| is_han(c)).count()
}

/// Without white space, for containment tests.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn same(a: &str, b: &str) -> bool {
    squeeze(a) == squeeze(b)
}

/// Share of the Han characters of `text` that occur in the article (1.0 for text without Han).
fn overlap(text: &str, body: &HashSet<char>) -> f64 {
    let han: Vec<char> = text.chars().filter(|&c| is_han(c)).collect();
    if han.is_empty() {
        return 1.0;
    }
    han.iter().filter(|c| body.contains(c)).count() as f64 / han.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_part_in_units_not_characters() {
        let parts: Vec<String> = [
            "社会资本与再就业(页 1)",
            "学术前沿",
            "powered by Discuz! Archiver",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            best_part(&parts, None).as_deref(),
            Some("社会资本与再就业(页 1)")
        );
    }

    #[test]
    fn recurring_parts_and_the_site_name_are_not_the_title() {
        let parts: Vec<String> = ["华为", "华为发布新机", "科技频道"]
            .map(String::from)
            .to_vec();
        assert_eq!(best_part(&parts, None).as_deref(), Some("华为发布新机"));
        let parts: Vec<String> = ["示例新闻网", "短讯"].map(String::from).to_vec();
        assert_eq!(
            best_part(&parts, Some("示例新闻网")).as_deref(),
            Some("短讯")
        );
    }

    fn agreed(tag: &str, sources: Sources) -> Option<String> {
        let parts: Vec<String> = tag.split('_').map(String::from).collect();
        let sources = Sources {
            tag: Some(tag.to_string()),
            ..sources
        };
        agreement(&sources, tag, &parts)
    }

    #[test]
    fn agreement_is_a_part_not_the_whole_copy() {
        let tag = "文章标题_财经频道_示例网";
        let og = |t: &str| Sources {
            og: Some(t.to_string()),
            ..Sources::default()
        };
        assert_eq!(agreed(tag, og("文章标题")).as_deref(), Some("文章标题"));
        assert_eq!(agreed(tag, og(tag)), None);
        assert_eq!(
            agreed(tag, og("文章标题_财经")).as_deref(),
            Some("文章标题_财经")
        );
        // Too short to count when only found inside.
        assert_eq!(agreed(tag, og("示例")), None);
        let heading = Sources {
            heading: Some("文章标题[编辑]".to_string()),
            ..Sources::default()
        };
        assert_eq!(agreed(tag, heading).as_deref(), Some("文章标题"));
    }
}
