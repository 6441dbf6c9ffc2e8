//! The small vocabulary every module shares: stage names, input formats and block kinds. A leaf
//! module (it imports nothing of the crate), so the stages, the document, the report and the rules can
//! all name a stage without importing one another.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the input bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text.
    Text,
    /// HTML (or XHTML) markup.
    Html,
}

/// The kind of a line of text, set by the `html` stage; text inputs are all paragraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// The page's title.
    Title,
    /// A heading inside the body.
    Heading,
    /// A paragraph (every line of a text input).
    Paragraph,
    /// An item of a list.
    ListItem,
    /// A table cell's text.
    TableCell,
}

/// The stages, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    /// Bytes to UTF-8 text: charset detection and decoding.
    Decode,
    /// DOM cleaning and main-content extraction.
    Html,
    /// Injected tag soup, stray backslashes and forum BBCode.
    Markup,
    /// Encoding damage repaired.
    Mojibake,
    /// Pinyin glosses glued after characters.
    Pinyin,
    /// Injected spam: hijacked titles, inline phrases, tokens.
    Spam,
    /// Traditional/simplified glyphs.
    Script,
    /// Site chrome on short lines.
    Boilerplate,
    /// Repeated paragraphs and near-duplicate documents.
    Dedup,
}

impl StageName {
    /// Every stage, in pipeline order.
    pub const ALL: [StageName; 9] = [
        StageName::Decode,
        StageName::Html,
        StageName::Markup,
        StageName::Mojibake,
        StageName::Pinyin,
        StageName::Spam,
        StageName::Script,
        StageName::Boilerplate,
        StageName::Dedup,
    ];

    /// The name rules and reports use: `decode`, `html` …
    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Decode => "decode",
            StageName::Html => "html",
            StageName::Markup => "markup",
            StageName::Mojibake => "mojibake",
            StageName::Pinyin => "pinyin",
            StageName::Spam => "spam",
            StageName::Script => "script",
            StageName::Boilerplate => "boilerplate",
            StageName::Dedup => "dedup",
        }
    }

    /// Stages that only repair (never remove content): what `sluice repair` runs.
    pub fn repairs_only(self) -> bool {
        matches!(
            self,
            StageName::Decode | StageName::Mojibake | StageName::Pinyin | StageName::Script
        )
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StageName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StageName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = StageName::ALL.iter().map(|n| n.as_str()).collect();
                format!("unknown stage `{s}` (expected one of {})", names.join(", "))
            })
    }
}
