//! The title: `<title>`, `og:title` and the first `h1`, with the site name cut off and a hijacked
//! `<title>` (SEO spam that shares nothing with the article) passed over for the `h1`, `og:title` or
//! the article's first title-like line.

use std::collections::HashSet;

use scraper::{Html, Selector};

use super::blocks::{Block, Page, collapse_whitespace};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::StageName;
use crate::text::chars::is_han;

pub struct TitleRules {
    title: Selector,
    og_title: Selector,
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

impl TitleRules {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let parse =
            |s: &str| Selector::parse(s).map_err(|e| RuleError::new("html", 0, e.to_string()));
        let mut titles = TitleRules {
            title: parse("title")?,
            og_title: parse("meta[property=\"og:title\"]")?,
            site_name: None,
            hijack: None,
        };
        for rule in rules.for_stage(StageName::Html) {
            match rule.param::<String>("kind")?.as_str() {
                "title-site-name" => titles.site_name = Some(compile_site_name(rule)?),
                "title-hijack" => titles.hijack = Some(compile_hijack(rule)?),
                _ => {}
            }
        }
        Ok(titles)
    }

    /// `kept`: indices of the main-content blocks.
    pub fn choose(&self, html: &Html, page: &Page, kept: &[usize]) -> TitleChoice {
        let body: Vec<&Block> = kept.iter().map(|&i| &page.blocks[i]).collect();
        // Metadata is in `head`: searching only there spares a selector pass over the whole
        // tree (a `<title>` the parser left in the body is still found).
        let head = html
            .root_element()
            .child_elements()
            .find(|e| e.value().name() == "head");
        let tag = head
            .and_then(|head| head.select(&self.title).next())
            .or_else(|| html.select(&self.title).next())
            .map(|t| collapse_whitespace(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty());
        let og = head
            .and_then(|head| head.select(&self.og_title).next())
            .and_then(|m| m.value().attr("content"))
            .map(collapse_whitespace)
            .filter(|t| !t.is_empty());
        let h1 = page
            .blocks
            .iter()
            .find(|b| b.heading_level == 1)
            .or_else(|| body.iter().copied().find(|b| b.heading_level > 0))
            .map(|b| b.text.clone());
        let lead = lead_line(page, kept);
        self.decide(tag, og, h1, lead, &body)
    }

    fn decide(
        &self,
        tag: Option<String>,
        og: Option<String>,
        h1: Option<String>,
        lead: Option<String>,
        body: &[&Block],
    ) -> TitleChoice {
        let plain = |text: Option<String>| TitleChoice {
            text,
            rule: "html.title".to_string(),
            flag: None,
        };
        let Some(tag) = tag else {
            return plain(og.or(h1));
        };
        let squeezed = squeeze(&tag);
        // An h1 or og:title inside the <title> is the title without the site name.
        for inner in [&h1, &og].into_iter().flatten() {
            if inner.chars().count() >= 2 && squeezed.contains(&squeeze(inner)) {
                let flag = (squeeze(inner) != squeezed).then(|| {
                    format!("`<title>` {tag:?} carries a site name; the article title is {inner:?}")
                });
                return TitleChoice {
                    text: Some(inner.clone()),
                    rule: self.site_name_id(),
                    flag,
                };
            }
        }
        let segment = self.main_segment(&tag);
        // Built only here: most titles are settled above.
        let body: HashSet<char> = body
            .iter()
            .flat_map(|b| b.text.chars())
            .filter(|&c| is_han(c))
            .collect();
        if let Some(hijack) = &self.hijack
            && !body.is_empty()
            && han_count(&segment) >= MIN_HAN
            && overlap(&segment, &body) < hijack.min_overlap
        {
            // The article's heading, else its first title-like line.
            let better = [h1, og, lead]
                .into_iter()
                .flatten()
                .find(|c| overlap(c, &body) >= hijack.min_overlap);
            if let Some(better) = better {
                return TitleChoice {
                    flag: Some(format!(
                        "`<title>` {tag:?} shares little with the article: hijacked; title {better:?}"
                    )),
                    text: Some(better),
                    rule: hijack.id.clone(),
                };
            }
        }
        if segment != tag {
            return TitleChoice {
                flag: Some(format!(
                    "`<title>` {tag:?}: site name cut, title {segment:?}"
                )),
                text: Some(segment),
                rule: self.site_name_id(),
            };
        }
        plain(Some(tag))
    }

    fn site_name_id(&self) -> String {
        self.site_name
            .as_ref()
            .map_or("html.title".to_string(), |s| s.id.clone())
    }

    /// The longest part of a title split at site-name separators (`-`, `_`, `|`, …): the article
    /// title, whichever side the site name is on.
    fn main_segment(&self, title: &str) -> String {
        let Some(site) = &self.site_name else {
            return title.to_string();
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
            .into_iter()
            .rev()
            .max_by_key(|p| p.chars().count())
            .unwrap_or_else(|| title.to_string())
    }
}

/// The article's title line when it has no heading markup: a title-like block just above the main
/// content (titles sit outside the paragraphs' container).
fn lead_line(page: &Page, kept: &[usize]) -> Option<String> {
    const LOOK_BACK: usize = 3;
    let first = *kept.first()?;
    page.blocks[first.saturating_sub(LOOK_BACK)..first]
        .iter()
        .rev()
        .find(|b| looks_like_title(&b.text) && b.link_units == 0)
        .map(|b| b.text.clone())
}

/// A block that can be a title: a short line of Chinese that is not a sentence or clause.
fn looks_like_title(text: &str) -> bool {
    han_count(text) >= MIN_HAN
        && text.chars().count() <= 64
        && !text.contains(['，', '。', '；', ',', ';'])
        && !text.ends_with(['：', ':'])
}

/// Fewer Han characters than this make the character overlap meaningless (and a title line unlikely).
const MIN_HAN: usize = 4;

fn han_count(text: &str) -> usize {
    text.chars().filter(|&c| is_han(c)).count()
}

/// Without white space, for containment tests.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Share of the Han characters of `text` that occur in the article (1.0 for text without Han).
fn overlap(text: &str, body: &HashSet<char>) -> f64 {
    let han: Vec<char> = text.chars().filter(|&c| is_han(c)).collect();
    if han.is_empty() {
        return 1.0;
    }
    han.iter().filter(|c| body.contains(c)).count() as f64 / han.len() as f64
}

fn compile_site_name(rule: &Rule) -> Result<SiteName, RuleError> {
    rule.expect_keys(&["kind", "separators"])?;
    Ok(SiteName {
        id: rule.id.clone(),
        separators: rule.param("separators")?,
    })
}

fn compile_hijack(rule: &Rule) -> Result<Hijack, RuleError> {
    rule.expect_keys(&["kind", "min_overlap"])?;
    Ok(Hijack {
        id: rule.id.clone(),
        min_overlap: rule.param("min_overlap")?,
    })
}
