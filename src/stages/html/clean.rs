//! DOM cleaning before extraction: elements removed by rule (CSS selectors, hidden styles), decided
//! per element while the tree is walked, so a removed subtree is never read.

use regex::Regex;
use scraper::{ElementRef, Selector};

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};

use super::kinds::{HtmlKind, html_rules};

/// The element-removal rules of the stage, compiled.
pub struct Cleaner {
    rules: Vec<CleanRule>,
}

enum CleanRule {
    /// Elements matching a selector list.
    Remove { id: String, selector: Matcher },
    /// Elements hidden by an attribute or by their inline style.
    Hidden {
        id: String,
        attributes: Vec<String>,
        /// Matched against the inline style, lower-cased with white space removed.
        style: Regex,
    },
}

impl Cleaner {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let mut compiled = Vec::new();
        for (rule, kind) in html_rules(rules)? {
            match kind {
                HtmlKind::Remove { selectors } => compiled.push(compile_remove(rule, &selectors)?),
                HtmlKind::Hidden { attributes, styles } => {
                    compiled.push(compile_hidden(rule, attributes, &styles)?);
                }
                _ => {} // content and title rules, compiled by their own modules
            }
        }
        Ok(Cleaner { rules: compiled })
    }

    /// The raw-text elements (`script`, `style`) that a rule removes by tag name, whatever their
    /// attributes: their bodies need not be parsed.
    pub fn removed_raw_text(&self) -> Vec<String> {
        let mut names = Vec::new();
        for rule in &self.rules {
            if let CleanRule::Remove {
                selector: Matcher::Simple(simple),
                ..
            } = rule
            {
                let raw_text = simple
                    .tags
                    .iter()
                    .filter(|t| *t == "script" || *t == "style");
                names.extend(raw_text.cloned());
            }
        }
        names
    }

    /// The rule that removes `element`, if any: the first `remove` rule that matches (elements that
    /// are never text), else the first heuristic, which the prose guard may overrule.
    pub fn removes(&self, element: &ElementRef) -> Option<Removal<'_>> {
        let mut heuristic = None;
        for rule in &self.rules {
            match rule {
                CleanRule::Remove { id, selector } => {
                    if selector.matches(element) {
                        return Some(Removal {
                            rule: id,
                            heuristic: false,
                        });
                    }
                }
                CleanRule::Hidden {
                    id,
                    attributes,
                    style,
                } => {
                    if heuristic.is_none() && is_hidden(element, attributes, style) {
                        heuristic = Some(Removal {
                            rule: id,
                            heuristic: true,
                        });
                    }
                }
            }
        }
        heuristic
    }
}

/// A rule's decision to remove an element.
#[derive(Debug, Clone, Copy)]
pub struct Removal<'a> {
    pub rule: &'a str,
    /// A guess from how the element looks (hidden by a style), not what it is (a script): the
    /// prose guard may overrule it.
    pub heuristic: bool,
}

fn compile_remove(rule: &Rule, selectors: &[String]) -> Result<CleanRule, RuleError> {
    Ok(CleanRule::Remove {
        id: rule.id.clone(),
        selector: Matcher::parse(rule, selectors)?,
    })
}

fn compile_hidden(
    rule: &Rule,
    attributes: Vec<String>,
    styles: &[String],
) -> Result<CleanRule, RuleError> {
    let style = Regex::new(&styles.join("|"))
        .map_err(|e| rule.error(format!("parameter `styles`: {e}")))?;
    Ok(CleanRule::Hidden {
        id: rule.id.clone(),
        attributes,
        style,
    })
}

/// A rule's selector list. Lists of plain `tag`, `#id` and `.class` selectors (nearly all of the
/// rules) are matched by name: the general CSS matcher runs for every element of every page and was
/// the stage's largest cost after parsing.
pub enum Matcher {
    Simple(Names),
    Css(Box<Selector>),
}

/// The names of a list of plain selectors, by what they name.
#[derive(Default)]
pub struct Names {
    pub tags: Vec<String>,
    ids: Vec<String>,
    classes: Vec<String>,
}

pub enum Simple {
    Tag(String),
    Id(String),
    Class(String),
}

impl Matcher {
    pub fn parse(rule: &Rule, selectors: &[String]) -> Result<Self, RuleError> {
        if selectors.is_empty() {
            return Err(rule.error("parameter `selectors` is empty"));
        }
        // Parse as CSS in any case, so a bad selector is an error either way.
        let css = Selector::parse(&selectors.join(", "))
            .map_err(|e| rule.error(format!("parameter `selectors`: {e}")))?;
        let simple: Option<Vec<Simple>> = selectors.iter().map(|s| simple(s.trim())).collect();
        let Some(simple) = simple else {
            return Ok(Matcher::Css(Box::new(css)));
        };
        let mut names = Names::default();
        for s in simple {
            match s {
                Simple::Tag(tag) => names.tags.push(tag),
                Simple::Id(id) => names.ids.push(id),
                Simple::Class(class) => names.classes.push(class),
            }
        }
        Ok(Matcher::Simple(names))
    }

    pub fn matches(&self, element: &ElementRef) -> bool {
        match self {
            Matcher::Css(selector) => selector.matches(element),
            Matcher::Simple(names) => {
                let value = element.value();
                (!names.tags.is_empty() && names.tags.iter().any(|t| t == value.name()))
                    || (!names.ids.is_empty()
                        && attr(value, "id").is_some_and(|id| names.ids.iter().any(|i| i == id)))
                    || (!names.classes.is_empty()
                        && classes(value).any(|c| names.classes.iter().any(|n| n == c)))
            }
        }
    }
}

/// An element's class names, read from its attribute: `scraper`'s `classes()` interns every name
/// into the global atom table on first use, which cost more than the rest of the walk.
pub fn classes(element: &scraper::node::Element) -> impl Iterator<Item = &str> {
    attr(element, "class")
        .unwrap_or("")
        .split_ascii_whitespace()
}

/// The value of an element's attribute `name` (no namespace), as `scraper`'s `Element::attr`
/// gives it, without interning `name` into the atom table first: that lookup took half the time
/// of the stage's many attribute reads (each element's `id`, `class`, `style`, `href`).
pub fn attr<'e>(element: &'e scraper::node::Element, name: &str) -> Option<&'e str> {
    element
        .attrs
        .iter()
        .find(|(qualified, _)| {
            qualified.prefix.is_none()
                && qualified.ns == html5ever::ns!()
                && &*qualified.local == name
        })
        .map(|(_, value)| &**value)
}

fn simple(selector: &str) -> Option<Simple> {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if let Some(id) = selector.strip_prefix('#') {
        return is_name(id).then(|| Simple::Id(id.to_string()));
    }
    if let Some(class) = selector.strip_prefix('.') {
        return is_name(class).then(|| Simple::Class(class.to_string()));
    }
    let tag = selector.to_ascii_lowercase();
    is_name(&tag).then_some(Simple::Tag(tag))
}

fn is_hidden(element: &ElementRef, attributes: &[String], style: &Regex) -> bool {
    let value = element.value();
    if attributes.iter().any(|a| attr(value, a).is_some()) {
        return true;
    }
    attr(value, "style").is_some_and(|css| {
        let compact: String = css
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        style.is_match(&compact)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn removed_by(markup: &str) -> Vec<String> {
        let cleaner = Cleaner::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let html = Html::parse_fragment(markup);
        html.root_element()
            .descendent_elements()
            .filter_map(|e| cleaner.removes(&e).map(|r| r.rule.to_string()))
            .collect()
    }

    #[test]
    fn hidden_styles_and_attributes() {
        assert_eq!(
            removed_by("<div style=\"DISPLAY: none\">x</div>"),
            ["html.hidden"]
        );
        assert_eq!(removed_by("<span hidden>x</span>"), ["html.hidden"]);
        assert_eq!(
            removed_by("<div style=\"width:0;height:0;overflow:hidden\">x</div>"),
            ["html.hidden"]
        );
        assert!(removed_by("<div style=\"width:100px;display:block\">x</div>").is_empty());
        assert!(removed_by("<div style=\"width:0.5em\">x</div>").is_empty());
    }

    #[test]
    fn scripts_and_ruby_text() {
        assert_eq!(
            removed_by("<script>x</script><ruby>漢<rt>hàn</rt></ruby>"),
            ["html.script-style", "html.ruby-text"]
        );
    }
}
