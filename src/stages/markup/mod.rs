//! `markup`: residual markup in text — injected tag-soup lines, stray backslashes and forum BBCode.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::Stage;
use crate::text::lines::{line_ranges, with_newline};
use crate::types::StageName;
use bbcode::{BbcodePattern, bbcode_changes};

mod bbcode;

pub struct Markup {
    rules: Vec<MarkupRule>,
}

enum MarkupRule {
    TagSoup {
        id: String,
        max_id_len: usize,
        bullets: Vec<char>,
    },
    TagSoupRemnant {
        id: String,
        bullets: Vec<char>,
    },
    StrayBackslash {
        id: String,
        after: Vec<char>,
    },
    Bbcode {
        id: String,
        /// Object tags with their content (`[img]…[/img]`), then any listed tag alone.
        pattern: BbcodePattern,
        /// Tags that stand for a line break (`[br]`): replaced by one.
        breaks: Vec<String>,
        /// Tags used without a closing tag (`[hr]`, `[img src=…]`); any other tag goes only when
        /// its partner is in the text too.
        unpaired: Vec<String>,
    },
}

impl Markup {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let rules = rules
            .for_stage(StageName::Markup)
            .map(compile)
            .collect::<Result<_, _>>()?;
        Ok(Markup { rules })
    }
}

/// The kinds of markup rule and their parameters (`kind = "…"` in a `[[rule]]` of the stage).
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MarkupKind {
    /// Injected tag-soup lines (`<xmp id="masw4"><nav id="masw4"></nav>`).
    TagSoup {
        /// The longest id an injected element carries.
        max_id_len: usize,
        /// Bullet characters that may stand before an injected line and go with it.
        bullets: String,
    },
    /// What is left of a tag-soup line after its tags: a bullet alone on its line.
    TagSoupRemnant {
        /// The bullet characters removed when alone on a line.
        bullets: String,
    },
    /// A stray backslash before a line or after a sentence end.
    StrayBackslash {
        /// The characters after which a backslash is stray.
        after: String,
    },
    /// Forum BBCode tags.
    Bbcode {
        /// Tags removed wherever they stand (`b`, `url`, …), with their partner.
        tags: Vec<String>,
        /// Tags removed with their content (`[img]…[/img]`).
        objects: Vec<String>,
        /// Tags that stand for a line break (`br`): replaced by one.
        breaks: Vec<String>,
        /// Tags used without a closing tag (`hr`, `img src=…`); any other tag goes only when its
        /// partner is in the text too.
        unpaired: Vec<String>,
    },
}

fn compile(rule: &Rule) -> Result<MarkupRule, RuleError> {
    let id = rule.id.clone();
    Ok(match rule.parameters::<MarkupKind>()? {
        MarkupKind::TagSoup {
            max_id_len,
            bullets,
        } => MarkupRule::TagSoup {
            id,
            max_id_len,
            bullets: bullets.chars().collect(),
        },
        MarkupKind::TagSoupRemnant { bullets } => MarkupRule::TagSoupRemnant {
            id,
            bullets: bullets.chars().collect(),
        },
        MarkupKind::StrayBackslash { after } => MarkupRule::StrayBackslash {
            id,
            after: after.chars().collect(),
        },
        MarkupKind::Bbcode {
            tags,
            objects,
            breaks,
            unpaired,
        } => MarkupRule::Bbcode {
            id,
            pattern: BbcodePattern::new(&tags, &objects).map_err(|e| rule.error(e.to_string()))?,
            breaks: lower_case(breaks),
            unpaired: lower_case(unpaired),
        },
    })
}

impl Stage for Markup {
    fn name(&self) -> StageName {
        StageName::Markup
    }

    fn run(&self, doc: &mut Document) {
        let lines: Vec<Range<usize>> = line_ranges(&doc.text).collect();
        let mut changes = Vec::new();
        let mut soup_lines: HashSet<usize> = HashSet::new();
        for rule in &self.rules {
            if let MarkupRule::TagSoup {
                id,
                max_id_len,
                bullets,
            } = rule
            {
                for (index, range) in tag_soup_lines(&doc.text, &lines, *max_id_len, bullets) {
                    soup_lines.insert(index);
                    changes.push(Change::remove(
                        range,
                        id,
                        "line of empty elements sharing one id",
                    ));
                }
            }
        }
        for rule in &self.rules {
            match rule {
                MarkupRule::TagSoup { .. } | MarkupRule::StrayBackslash { .. } => {}
                MarkupRule::TagSoupRemnant { id, bullets } => {
                    for (index, range) in lines.iter().enumerate() {
                        let line = &doc.text[range.clone()];
                        if is_remnant(line, bullets)
                            && follows_soup(&doc.text, &lines, index, &soup_lines)
                        {
                            changes.push(Change::remove(
                                with_newline(&doc.text, range.clone()),
                                id,
                                "bullet and bracket left after tag soup",
                            ));
                        }
                    }
                }
                MarkupRule::Bbcode {
                    id,
                    pattern,
                    breaks,
                    unpaired,
                } => changes.extend(bbcode_changes(&doc.text, pattern, breaks, unpaired, id)),
            }
        }
        // Backslashes last: each is judged by the text around it as the other rules leave it, as
        // cleaning the output again would see it (`\[b]粗體[/b]` reads `\粗體`).
        let mut backslashes = Vec::new();
        for rule in &self.rules {
            if let MarkupRule::StrayBackslash { id, after } = rule {
                for at in stray_backslashes(&doc.text, after, &changes) {
                    backslashes.push(Change::remove(
                        at..at + 1,
                        id,
                        "backslash before a line or sentence",
                    ));
                }
            }
        }
        changes.extend(backslashes);
        doc.apply(StageName::Markup, changes);
    }
}

fn lower_case(names: Vec<String>) -> Vec<String> {
    names.iter().map(|n| n.to_ascii_lowercase()).collect()
}

fn tag_regex() -> &'static Regex {
    static TAG: OnceLock<Regex> = OnceLock::new();
    TAG.get_or_init(|| {
        Regex::new(r#"<\s*(/?)\s*[A-Za-z][A-Za-z0-9]*([^<>]*)>"#).expect("valid regex")
    })
}

fn id_regex() -> &'static Regex {
    static ID: OnceLock<Regex> = OnceLock::new();
    ID.get_or_init(|| Regex::new(r#"\bid\s*=\s*["']?([A-Za-z0-9_-]+)"#).expect("valid regex"))
}

/// The ids of the opening tags of a line made only of tags (after its bullets), when every opening
/// tag has one; `None` for a line with text or with a tag without an id.
fn soup_ids<'a>(line: &'a str, bullets: &[char]) -> Option<Vec<&'a str>> {
    let body = line
        .trim()
        .trim_start_matches(|c: char| bullets.contains(&c) || c.is_whitespace());
    if !body.starts_with('<') {
        return None;
    }
    let mut covered = 0;
    let mut ids = Vec::new();
    for tag in tag_regex().captures_iter(body) {
        let whole = tag.get(0).expect("group 0");
        if !body[covered..whole.start()].trim().is_empty() {
            return None;
        }
        covered = whole.end();
        if &tag[1] != "/" {
            let attributes = tag.get(2).expect("group 2").as_str();
            ids.push(id_regex().captures(attributes)?.get(1)?.as_str());
        }
    }
    (body[covered..].trim().is_empty() && !ids.is_empty()).then_some(ids)
}

/// Injected ids are short random tokens of lower-case letters and digits (`masw4`, `79bc66`).
fn is_random_id(id: &str, max_len: usize) -> bool {
    (MIN_ID_LEN..=max_len).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Shorter ids (`a`, `top`) are human-made anchors.
const MIN_ID_LEN: usize = 4;

/// Lines made only of empty elements whose every id is a random token: one element alone, several
/// sharing an id, or several groups with different ids, as injectors write them.
fn tag_soup_lines(
    text: &str,
    lines: &[Range<usize>],
    max_id_len: usize,
    bullets: &[char],
) -> Vec<(usize, Range<usize>)> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            soup_ids(&text[(*r).clone()], bullets)
                .is_some_and(|ids| ids.iter().all(|id| is_random_id(id, max_id_len)))
        })
        .map(|(i, r)| (i, with_newline(text, r.clone())))
        .collect()
}

fn is_remnant(line: &str, bullets: &[char]) -> bool {
    let trimmed = line.trim();
    trimmed.contains(['<', '>'])
        && trimmed
            .chars()
            .all(|c| bullets.contains(&c) || c.is_whitespace() || matches!(c, '<' | '>' | '/'))
}

/// Whether the nearest non-blank line above `index` is a removed tag-soup line.
fn follows_soup(text: &str, lines: &[Range<usize>], index: usize, soup: &HashSet<usize>) -> bool {
    (0..index)
        .rev()
        .find(|&i| !text[lines[i].clone()].trim().is_empty())
        .is_some_and(|i| soup.contains(&i))
}

/// Offsets of backslashes that start a line or a sentence once `changes` (the stage's other edits)
/// are made: a tag removed right before or after a backslash is not there to hide it.
fn stray_backslashes(text: &str, after: &[char], changes: &[Change]) -> Vec<usize> {
    let ending: HashMap<usize, &Change> = changes
        .iter()
        .filter(|c| !c.range.is_empty())
        .map(|c| (c.range.end, c))
        .collect();
    let starting: HashMap<usize, &Change> = changes
        .iter()
        .filter(|c| !c.range.is_empty())
        .map(|c| (c.range.start, c))
        .collect();
    let mut found = Vec::new();
    for (at, _) in text.match_indices('\\') {
        // Step back over the removals that end where the backslash starts; a tag that becomes a
        // line break starts a line.
        let mut start = at;
        let mut broken = false;
        while let Some(change) = ending.get(&start) {
            broken = change.replacement.ends_with('\n');
            if !change.replacement.is_empty() {
                break;
            }
            start = change.range.start;
        }
        let before = text[..start].chars().next_back();
        let starts_line = broken
            || text[..start]
                .rsplit('\n')
                .next()
                .is_some_and(|prefix| prefix.chars().all(char::is_whitespace));
        let after_sentence = before.is_some_and(|c| after.contains(&c));
        if !(starts_line || after_sentence) {
            continue;
        }
        // Step over the removals that start right after it.
        let mut end = at + 1;
        while let Some(change) = starting.get(&end).filter(|c| c.replacement.is_empty()) {
            end = change.range.end;
        }
        let rest = &text[end..];
        let token = rest.split(char::is_whitespace).next().unwrap_or("");
        // Any non-ASCII character, not only Han: mojibake (`\Ã©tÃ©`) is repaired into Han after
        // this stage, and the judgement must not change when the output is cleaned again.
        let non_ascii_follows = rest
            .chars()
            .next()
            .is_some_and(|c| !c.is_ascii() && !c.is_whitespace());
        if non_ascii_follows || is_capitalised_word(token) {
            found.push(at);
        }
    }
    found
}

/// `Next`, `Page`: a capital then lower-case letters only, so paths, escapes and macros are not words.
fn is_capitalised_word(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markup() -> Markup {
        Markup::from_rules(&RuleSet::defaults().unwrap()).unwrap()
    }

    fn run(text: &str) -> Document {
        let mut doc = Document::from_text(text);
        markup().run(&mut doc);
        doc
    }

    #[test]
    fn bbcode_pairs_are_matched_case_blind_and_alone_closers_stay() {
        assert_eq!(
            run("[B]粗體[/b]，[URL=http://a.cn]連結[/url]").text,
            "粗體，連結"
        );
        assert_eq!(run("結尾[/b]多了一個").text, "結尾[/b]多了一個");
        assert_eq!(run("[/b]在前[b]在後").text, "[/b]在前[b]在後");
        assert_eq!(run("上[HR]下[attach]1234[/attach]").text, "上下");
    }

    #[test]
    fn removes_seed_000_tag_soup_with_bullets_and_remnant() {
        let text = "標題\n\n  • <xmp id=\"masw4\"><nav id=\"masw4\"></nav> <xmp id=\"masw4\"><menu id=\"masw4\"></menu>\n  • <nav id=\"masw4\"><strong id=\"masw4\"></strong></nav>\n  • >\n    正文";
        let doc = run(text);
        assert_eq!(doc.text, "標題\n\n    正文");
        let rules: Vec<&str> = doc.report.edits.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "markup.tag-soup-line",
                "markup.tag-soup-line",
                "markup.tag-soup-remnant"
            ]
        );
    }

    #[test]
    fn single_elements_and_mixed_ids_of_random_tokens_go_too() {
        let doc = run(
            "<u id=\"0me9\"></u>\n正文\n  • <dl id=\"l1m9\"><center id=\"l1m9\"></center></dl> <s id=\"79bc66\"></s>\n",
        );
        assert_eq!(doc.text, "正文\n");
    }

    #[test]
    fn anchors_and_ids_that_are_not_random_tokens_stay() {
        for text in [
            "<a id=\"top\"></a>",
            "<div id=\"Main_Box\"></div>",
            "<p id=\"intro\">引言</p>",
        ] {
            assert_eq!(run(text).text, text);
        }
    }

    /// A backslash is judged as the text reads once the tags around it are gone, as a second pass
    /// would see it (found by tests/properties.rs).
    #[test]
    fn a_backslash_hidden_by_a_tag_goes_in_the_same_pass() {
        let doc = run("\\[b]粗體[/b]\n正文[br]\\黑馬說");
        assert_eq!(doc.text, "粗體\n正文\n黑馬說");
        assert_eq!(run(&doc.text).text, doc.text);
    }

    #[test]
    fn legitimate_markup_and_backslashes_stay() {
        for text in [
            "<xmp>code</xmp>",
            "見 C:\\Windows\\System32",
            "a\\nb",
            "  • >",
            "\\Users\\me",
        ] {
            assert_eq!(run(text).text, text);
        }
    }

    #[test]
    fn removes_stray_backslashes_of_seed_004() {
        assert_eq!(run("壁壘。\\版權聲明:本").text, "壁壘。版權聲明:本");
        assert_eq!(run("\\Next Page").text, "Next Page");
    }
}
