//! Forum BBCode left in text (`[b]…[/b]`, `[url=…]`, `[img]url[/img]`).

use std::collections::HashMap;
use std::ops::Range;

use regex::Regex;

use crate::document::Change;

/// The longest attribute of a tag (`[url=…]`), in characters: past it a bracket is text.
const MAX_ATTRIBUTE_CHARS: usize = 300;
/// The longest content of an object tag (`[img]…[/img]`), in characters: past it the object's
/// tags are taken alone and what stands between them stays.
const MAX_OBJECT_CHARS: usize = 500;

/// Finds BBCode, leftmost first: an object tag with its content and closing tag, else a listed
/// tag alone.
///
/// The length limits are checked on each match instead of being written as bounded repetitions
/// (`[^\[\]\n]{0,500}`): the regex crate compiles a bounded repetition of a Unicode class into that
/// many copies of the class, and that one pattern was a quarter of a process's start-up (about
/// 10 ms). Unbounded, every part of a match still ends at the first bracket or line break, so a
/// match at a place is the same as the bounded pattern's except for its lengths: one over a limit
/// is refused there and the tag alone is tried at the same place, as the bounded pattern's
/// alternation would.
pub(super) struct BbcodePattern {
    /// The object alternative, then the tag alternative, unbounded.
    any: Regex,
    /// The tag alternative alone: what an object over its limits can still be.
    tag: Regex,
}

impl BbcodePattern {
    /// The pattern of the listed tag and object names (matched without regard to case).
    pub(super) fn new(tags: &[String], objects: &[String]) -> Result<Self, regex::Error> {
        let names = |names: &[String]| {
            let escaped: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
            escaped.join("|")
        };
        let (tags, objects) = (names(tags), names(objects));
        // An attribute runs to the closing bracket on the same line (`[url=…]`, `[img src=…]`).
        let attribute = r"(?:[= ][^\[\]\n]*)?";
        let tag = format!(r"\[/?(?:{tags}){attribute}\]");
        let object = format!(r"\[(?:{objects}){attribute}\][^\[\]\n]*\[/(?:{objects})\]");
        Ok(BbcodePattern {
            any: Regex::new(&format!("(?i){object}|{tag}"))?,
            tag: Regex::new(&format!("(?i){tag}"))?,
        })
    }

    /// The byte ranges of BBCode in `text`, leftmost first, none overlapping.
    pub(super) fn find_iter<'t>(
        &'t self,
        text: &'t str,
    ) -> impl Iterator<Item = Range<usize>> + 't {
        let mut from = 0;
        std::iter::from_fn(move || {
            while let Some(found) = self.any.find_at(text, from) {
                if let Some(range) = self.within_limits(text, found.range()) {
                    from = range.end;
                    return Some(range);
                }
                // Every match starts with `[`, one byte.
                from = found.start() + 1;
            }
            None
        })
    }

    /// `found` when it is within the limits; else, for an object, its opening tag alone when that
    /// is.
    fn within_limits(&self, text: &str, found: Range<usize>) -> Option<Range<usize>> {
        let matched = &text[found.clone()];
        let open_end = matched.find(']')? + 1;
        let is_object = !matched.starts_with("[/") && open_end < matched.len();
        if attribute_chars(&matched[..open_end]) > MAX_ATTRIBUTE_CHARS {
            return None;
        }
        if !is_object {
            return Some(found);
        }
        let content = &matched[open_end..matched[open_end..].find('[')? + open_end];
        if content.chars().count() <= MAX_OBJECT_CHARS {
            return Some(found);
        }
        // The tag alone can only be the object's opening tag: search no further than its end.
        let opening = &text[..found.start + open_end];
        let tag = self.tag.find_at(opening, found.start)?;
        (tag.start() == found.start).then(|| found.start..tag.end())
    }
}

/// The characters of a tag's attribute: after the `=` or space that follows its name, before `]`.
fn attribute_chars(tag: &str) -> usize {
    tag.find(['=', ' '])
        .map_or(0, |at| tag[at + 1..tag.len() - 1].chars().count())
}

/// BBCode left in a forum post's text: a line-break tag becomes a line break, other tags go, and
/// object tags (`[img]url[/img]`) go with their content. A tag right after a letter, digit or `_`
/// is an index in code (`a[i]`), not BBCode, and stays; so does a paired tag whose partner is not in
/// the text (`他說[b]不是`).
pub(super) fn bbcode_changes(
    text: &str,
    pattern: &BbcodePattern,
    breaks: &[String],
    unpaired: &[String],
    id: &str,
) -> Vec<Change> {
    let tags: Vec<BbTag> = pattern
        .find_iter(text)
        .filter(|range| {
            !text[..range.start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|range| BbTag::new(text, range))
        .collect();
    // Where each tag name first opens and last closes: a paired tag needs its partner on the
    // right side of it.
    let mut first_open: HashMap<&str, usize> = HashMap::new();
    let mut last_close: HashMap<&str, usize> = HashMap::new();
    for tag in &tags {
        if tag.closing {
            last_close.insert(&tag.name, tag.range.start);
        } else {
            first_open.entry(&tag.name).or_insert(tag.range.start);
        }
    }
    let listed = |list: &[String], name: &str| list.iter().any(|t| t == name);
    tags.iter()
        .filter(|tag| {
            let at = tag.range.start;
            tag.object
                || listed(unpaired, &tag.name)
                || if tag.closing {
                    first_open.get(tag.name.as_str()).is_some_and(|&o| o < at)
                } else {
                    last_close.get(tag.name.as_str()).is_some_and(|&c| c > at)
                }
        })
        .map(|tag| {
            if listed(breaks, &tag.name) {
                Change::replace(tag.range.clone(), "\n", id, "BBCode line break")
            } else {
                Change::remove(tag.range.clone(), id, "BBCode left in the text")
            }
        })
        .collect()
}

/// One BBCode match: a tag, or an object tag with its content and closing tag.
struct BbTag {
    range: Range<usize>,
    /// Lower-case.
    name: String,
    closing: bool,
    object: bool,
}

impl BbTag {
    fn new(text: &str, range: Range<usize>) -> Self {
        let tag = &text[range.clone()];
        let closing = tag.starts_with("[/");
        let name = tag[if closing { 2 } else { 1 }..]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        BbTag {
            range,
            name,
            closing,
            object: !closing && tag.contains("[/"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn pattern() -> BbcodePattern {
        BbcodePattern::new(&names(&["b", "url", "img"]), &names(&["img", "attach"])).unwrap()
    }

    /// The pattern as it was written before the limits moved out of it.
    fn bounded() -> Regex {
        let attribute = r"(?:[= ][^\[\]\n]{0,300})?";
        Regex::new(&format!(
            r"(?i)\[(?:img|attach){attribute}\][^\[\]\n]{{0,500}}\[/(?:img|attach)\]|\[/?(?:b|url|img){attribute}\]"
        ))
        .unwrap()
    }

    fn found(text: &str) -> Vec<&str> {
        pattern().find_iter(text).map(|r| &text[r]).collect()
    }

    #[test]
    fn an_object_over_its_limit_is_its_tags_alone() {
        let long = "圖".repeat(MAX_OBJECT_CHARS + 1);
        let text = format!("[img]{long}[/img]");
        assert_eq!(found(&text), ["[img]", "[/img]"]);
        let text = format!("[img]{}[/img]", "圖".repeat(MAX_OBJECT_CHARS));
        assert_eq!(found(&text), [text.as_str()]);
        let text = format!("[attach]{long}[/attach]");
        assert!(found(&text).is_empty(), "attach is no tag alone");
    }

    #[test]
    fn an_attribute_over_its_limit_is_text() {
        let text = format!("[url={}]連結[/url]", "a".repeat(MAX_ATTRIBUTE_CHARS + 1));
        assert_eq!(found(&text), ["[/url]"]);
        let text = format!("[url={}]連結[/url]", "a".repeat(MAX_ATTRIBUTE_CHARS));
        assert_eq!(found(&text).len(), 2);
    }

    /// Bits of BBCode, and objects and attributes short or at a limit, one under or one over.
    fn piece() -> impl Strategy<Value = String> {
        const SHORT: [&str; 19] = [
            "[",
            "]",
            "[/",
            "img",
            "IMG",
            "b",
            "url",
            "attach",
            "=",
            " ",
            "\n",
            "中",
            "[img]",
            "[/img]",
            "[url=",
            "[url ",
            "[attach]",
            "[/attach]",
            "[/url]",
        ];
        prop_oneof![
            2 => prop::sample::select(&SHORT[..]).prop_map(str::to_string),
            1 => edge_length(MAX_OBJECT_CHARS).prop_map(|n| format!("[img]{}[/img]", "長".repeat(n))),
            1 => edge_length(MAX_ATTRIBUTE_CHARS).prop_map(|n| format!("[url={}]", "y".repeat(n))),
        ]
    }

    fn edge_length(limit: usize) -> impl Strategy<Value = usize> {
        prop_oneof![0..4usize, limit - 2..limit + 2]
    }

    proptest! {
        #[test]
        fn finds_what_the_bounded_pattern_finds(
            pieces in prop::collection::vec(piece(), 0..16)
        ) {
            let text: String = pieces.concat();
            let expected: Vec<_> = bounded().find_iter(&text).map(|m| m.range()).collect();
            let actual: Vec<_> = pattern().find_iter(&text).collect();
            prop_assert_eq!(actual, expected);
        }
    }
}
