//! The boilerplate rules' kinds and parameters as the rule files give them, and their compilation
//! into the stage's line rules.

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Kind, LineRule};
use crate::error::RuleError;
use crate::rules::Rule;
use crate::types::BlockKind;

/// The parameters of a boilerplate rule: what every kind takes, and the kind's own.
#[derive(Deserialize, JsonSchema)]
pub struct BoilerplateParams {
    /// A removal by this rule ends the page's article: the short tail after it may go too
    /// (`boilerplate.footer-tail`).
    #[serde(default)]
    ends_page: bool,
    /// Lines of these kinds (as the html stage typed them: `table_cell`, …) are left alone.
    #[serde(default)]
    skip_kinds: Vec<BlockKind>,
    /// The longest line the rule looks at, in characters, instead of the stage's `max_line_chars`.
    max_line_chars: Option<usize>,
    #[serde(flatten)]
    kind: BoilerplateKind,
}

/// The kinds of boilerplate rule and their parameters (`kind = "…"` in a `[[rule]]` of the stage).
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BoilerplateKind {
    /// A line matching one of the patterns.
    Line {
        /// Regular expressions; a short line matching any goes.
        patterns: Vec<String>,
        /// A line that ends a sentence goes only when it matches one of these.
        #[serde(default)]
        sentence_patterns: Vec<String>,
    },
    /// A line made only of the listed words and separators.
    Words {
        /// The words.
        words: Vec<String>,
    },
    /// A prefix matched by the pattern whose two capture groups hold the same text.
    Prefix {
        /// Regular expressions with two capture groups.
        patterns: Vec<String>,
    },
    /// A line of short space-separated keywords near the top of the page.
    KeywordLine {
        /// Only among the first this many lines.
        within: usize,
        /// At least this many keywords.
        min_words: usize,
    },
    /// A heading matched by the pattern, with the run of short lines under it.
    Heading {
        /// Regular expressions for the heading.
        patterns: Vec<String>,
        /// The longest line of the run, in characters.
        max_item_chars: usize,
    },
    /// A notice heading with the lines under it up to a bare link.
    Notice {
        /// Regular expressions for the heading.
        patterns: Vec<String>,
        /// At most this many lines under it.
        max_lines: usize,
    },
    /// A run of lines numbered 1, 2, 3, … with no sentence after it.
    NumberedRun {
        /// At least this many lines.
        min_run: usize,
        /// The longest line of the run, in characters.
        max_item_chars: usize,
    },
    /// The short lines after a removed footer line, to the end of the page.
    FooterTail {
        /// At most this many lines.
        max_lines: usize,
    },
    /// A line matched by the pattern before the page's first sentence, or in a run of such lines
    /// next to a line another rule removes.
    Counter {
        /// Regular expressions; a line matching any is a counter.
        patterns: Vec<String>,
    },
}

/// One rule; `max_line_chars` is the stage's limit, which the rule may raise or lower.
pub(super) fn compile(rule: &Rule, max_line_chars: usize) -> Result<LineRule, RuleError> {
    let params: BoilerplateParams = rule.parameters()?;
    let regex = |key: &str, patterns: &[String]| -> Result<Regex, RuleError> {
        Regex::new(&patterns.join("|")).map_err(|e| rule.error(format!("parameter `{key}`: {e}")))
    };
    let kind = match params.kind {
        BoilerplateKind::Line {
            patterns,
            sentence_patterns,
        } => Kind::Line {
            pattern: regex("patterns", &patterns)?,
            sentence_pattern: (!sentence_patterns.is_empty())
                .then(|| regex("sentence_patterns", &sentence_patterns))
                .transpose()?,
        },
        BoilerplateKind::Words { words } => Kind::Words { words },
        BoilerplateKind::Prefix { patterns } => Kind::Prefix {
            pattern: regex("patterns", &patterns)?,
        },
        BoilerplateKind::KeywordLine { within, min_words } => {
            Kind::KeywordLine { within, min_words }
        }
        BoilerplateKind::Heading {
            patterns,
            max_item_chars,
        } => Kind::Heading {
            pattern: regex("patterns", &patterns)?,
            max_item_chars,
        },
        BoilerplateKind::Notice {
            patterns,
            max_lines,
        } => Kind::Notice {
            pattern: regex("patterns", &patterns)?,
            max_lines,
        },
        BoilerplateKind::NumberedRun {
            min_run,
            max_item_chars,
        } => Kind::NumberedRun {
            min_run,
            max_item_chars,
        },
        BoilerplateKind::FooterTail { max_lines } => Kind::FooterTail { max_lines },
        BoilerplateKind::Counter { patterns } => Kind::Counter {
            pattern: regex("patterns", &patterns)?,
        },
    };
    Ok(LineRule {
        id: rule.id.clone(),
        kind,
        skip_kinds: params.skip_kinds,
        ends_page: params.ends_page,
        max_line_chars: params.max_line_chars.unwrap_or(max_line_chars),
    })
}
