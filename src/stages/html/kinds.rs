//! Each kind of html rule read from its `[[rule]]`.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::types::StageName;

/// The kinds of html rule and their parameters (`kind = "…"` in a `[[rule]]` of the stage).
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum HtmlKind {
    /// Elements that are never text, removed wherever they are.
    Remove {
        /// CSS selectors of the elements.
        selectors: Vec<String>,
    },
    /// Elements hidden by an attribute or an inline style, removed unless they hold the page's prose.
    Hidden {
        /// Attributes that hide an element (`hidden`).
        attributes: Vec<String>,
        /// Regular expressions over the inline style, lower-cased with white space removed.
        styles: Vec<String>,
    },
    /// The main-content choice, reported under this rule's id.
    MainContent {},
    /// Containers publishing systems put the article in, chosen over the scorer.
    ContentContainer {
        /// CSS selectors of the containers.
        selectors: Vec<String>,
        /// Between rules whose containers qualify, the highest priority wins.
        priority: i64,
        /// The least prose, in units, a container must hold to be chosen.
        min_units: u32,
        /// The least share of the prose of the scorer's choice a container must hold to be chosen.
        min_share: f64,
    },
    /// Class and id words of site chrome.
    ClassVocabulary {
        /// The words, lower-case ASCII.
        words: Vec<String>,
    },
    /// Link farms inside the main content.
    LinkFarm {
        /// The least number of links of a link farm.
        min_links: u32,
        /// The least share of link text in a link farm's text.
        min_link_ratio: f64,
    },
    /// The posts of a thread: repeated sibling blocks of one shape, each with prose.
    Posts {
        /// The least number of siblings of one shape that make a thread.
        min_posts: usize,
        /// The least number of them that must hold prose.
        min_prose_posts: usize,
        /// A widget line (`关注`, `举报收起`) is at most this many units long.
        max_widget_units: u32,
        /// A widget line recurs, word for word, in at least this share of the posts (and two).
        min_widget_share: f64,
        /// A post's stamp line (author, time, place: `6765 有用 小倪儿 看过 2024-04-07 13:19:20
        /// 贵州`) is no sentence and matches one of these patterns (dates, times, `3小时前`); when
        /// that share of the posts has one, they are dropped.
        #[serde(default)]
        stamp_patterns: Vec<String>,
    },
    /// The article title without the site name.
    TitleSiteName {
        /// What separates the parts of a `<title>`, tried in order.
        separators: Vec<String>,
    },
    /// A hijacked `<title>`, replaced by a source that matches the article.
    TitleHijack {
        /// The title is hijacked when less than this share of its Han characters occur in the
        /// article.
        min_overlap: f64,
    },
    /// A second, readability-style extractor for pages whose main content is near-empty.
    Fallback {
        /// The main content is near-empty when it holds less than this share of the page's prose
        /// (and fewer than `below_prose` characters of it).
        below_share: f64,
        /// The main content is near-empty when it holds fewer than this many characters of the
        /// page's prose (and less than `below_share` of it).
        below_prose: u32,
        /// A block shorter than this many units is not a paragraph.
        min_paragraph_units: u32,
        /// Units per length point of a paragraph (at least 1).
        units_per_point: u32,
    },
}

/// The html rules of `rules` with their parameters, in rule order.
pub fn html_rules(rules: &RuleSet) -> Result<Vec<(&Rule, HtmlKind)>, RuleError> {
    rules
        .for_stage(StageName::Html)
        .map(|rule| Ok((rule, rule.parameters::<HtmlKind>()?)))
        .collect()
}
