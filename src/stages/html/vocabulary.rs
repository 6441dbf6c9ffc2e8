//! Class and id vocabularies: the words that name chrome (`xgwz`, `tuijian`, `comment`, …), matched
//! against the parts of every element's class and id names.

use std::collections::HashSet;

use aho_corasick::AhoCorasick;

use crate::error::RuleError;
use crate::rules::Rule;

/// A `class-vocabulary` rule's words, compiled for matching class and id names.
pub struct Vocabulary {
    pub id: String,
    /// Every word, matched against a whole part.
    words: HashSet<String>,
    /// The words of five or more letters, also matched inside a part (ASCII case-insensitive).
    long_words: Option<AhoCorasick>,
}

impl Vocabulary {
    fn new(id: String, words: Vec<String>) -> Result<Self, String> {
        let long: Vec<&String> = words.iter().filter(|w| w.len() >= 5).collect();
        let long_words = if long.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(long)
                .map_err(|e| e.to_string())?;
            Some(automaton)
        };
        Ok(Vocabulary {
            id,
            words: words.into_iter().collect(),
            long_words,
        })
    }

    /// Check the rule's words and compile them.
    pub fn compile(rule: &Rule, words: Vec<String>) -> Result<Self, RuleError> {
        if words
            .iter()
            .any(|w| w.is_empty() || w != &w.to_ascii_lowercase())
        {
            return Err(rule.error("`words` must be non-empty lower-case ASCII"));
        }
        Vocabulary::new(rule.id.clone(), words).map_err(|e| rule.error(e))
    }

    /// A class or id names chrome when one of its parts (split at `-`, `_`, digits and case
    /// changes) is a vocabulary word, or contains a word of five or more letters (`foot` must not
    /// match `football`). This runs for every class of every element: hashed, and one automaton for
    /// the long words.
    pub fn names_chrome(&self, name: &str) -> bool {
        name_parts(name).any(|part| {
            let is_word = if part.bytes().any(|b| b.is_ascii_uppercase()) {
                self.words.contains(&part.to_ascii_lowercase())
            } else {
                self.words.contains(part)
            };
            is_word || self.long_words.as_ref().is_some_and(|ac| ac.is_match(part))
        })
    }
}

/// The parts of a class or id name, as slices of it: split at every character that is not an ASCII
/// letter and before an upper-case letter that follows a lower-case one.
fn name_parts(name: &str) -> impl Iterator<Item = &str> + '_ {
    let bytes = name.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            if !b.is_ascii_alphabetic() {
                let part = &name[start..i];
                i += 1;
                // Multi-byte characters are skipped whole: `start` stays on a char boundary.
                while i < bytes.len() && !name.is_char_boundary(i) {
                    i += 1;
                }
                start = i;
                if !part.is_empty() {
                    return Some(part);
                }
                continue;
            }
            if b.is_ascii_uppercase() && i > start && bytes[i - 1].is_ascii_lowercase() {
                let part = &name[start..i];
                start = i;
                i += 1;
                return Some(part);
            }
            i += 1;
        }
        let part = &name[start..];
        start = bytes.len();
        (!part.is_empty()).then_some(part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_split_into_parts() {
        let parts: Vec<&str> = name_parts("xgwzList_gg2 commentBox").collect();
        assert_eq!(parts, ["xgwz", "List", "gg", "comment", "Box"]);
        let parts: Vec<&str> = name_parts("新聞-gg中文xgwz").collect();
        assert_eq!(parts, ["gg", "xgwz"]);
        let words = vec!["gg".into(), "comment".into(), "foot".into()];
        let v = Vocabulary::new("x".into(), words).unwrap();
        assert!(v.names_chrome("gg_box"));
        assert!(!v.names_chrome("eggs"));
        assert!(v.names_chrome("foot"));
        assert!(!v.names_chrome("football"));
        assert!(v.names_chrome("commentlist"));
        assert!(v.names_chrome("GG_box"));
    }
}
