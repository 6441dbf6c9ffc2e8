//! Rule files: loading, validation and typed access for the stages.
//!
//! A rule set is a tree of files. `*.toml` files hold `[[rule]]` entries and `[settings.<stage>]`
//! tables; every other file is data a rule refers to by its path relative to the tree (word lists,
//! conversion tables). The default tree (`rules/` in the repository) is embedded in the binary.
//! `--rules DIR` overlays a directory on the defaults: a file with the same relative path replaces the
//! default file, other files are added. With `--no-default-rules` only DIR is used.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{Dir, include_dir};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::RuleError;
use crate::stages::StageName;

static DEFAULT_RULES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// Where something was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The rule file, relative to its rules directory.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
}

/// A must-change example: `input` becomes `output` when the rule's stage runs.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The stage's input.
    pub input: String,
    /// The stage's output.
    pub output: String,
}

/// One rule: a stable id, the stage that interprets it, its documentation and examples, and the
/// stage-specific parameters (everything else in its table).
#[derive(Debug, Clone)]
pub struct Rule {
    /// The stable id, `<stage>.<name>`.
    pub id: String,
    /// The stage that interprets the rule.
    pub stage: StageName,
    /// What the rule does and why.
    pub description: String,
    /// Inputs the rule's stage must change, and how.
    pub examples: Vec<Example>,
    /// Inputs the stage must leave unchanged.
    pub unchanged: Vec<String>,
    /// The stage-specific parameters: every other key of the rule's table.
    pub params: toml::Table,
    /// Where the rule is defined.
    pub origin: Origin,
}

impl Rule {
    /// An error located at this rule's definition.
    pub fn error(&self, message: impl std::fmt::Display) -> RuleError {
        RuleError::new(
            &self.origin.file,
            self.origin.line,
            format!("rule {}: {message}", self.id),
        )
    }

    /// A required parameter.
    pub fn param<T: DeserializeOwned>(&self, key: &str) -> Result<T, RuleError> {
        match self.params.get(key) {
            Some(v) => v
                .clone()
                .try_into()
                .map_err(|e| self.error(format!("parameter `{key}`: {e}"))),
            None => Err(self.error(format!("missing parameter `{key}`"))),
        }
    }

    /// An optional parameter with a default.
    pub fn param_or<T: DeserializeOwned>(&self, key: &str, default: T) -> Result<T, RuleError> {
        if self.params.contains_key(key) {
            self.param(key)
        } else {
            Ok(default)
        }
    }

    /// Reject parameters the stage does not know, so a typo is an error and not a silent default.
    pub fn expect_keys(&self, known: &[&str]) -> Result<(), RuleError> {
        match self.params.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(self.error(format!(
                "unknown parameter `{k}` (this stage takes: {})",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }
}

/// The compiled input of every stage: rules, per-stage settings and data files.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    settings: BTreeMap<StageName, (toml::Table, String)>,
    data: BTreeMap<String, Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    settings: BTreeMap<String, toml::Table>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
struct RawRule {
    id: String,
    stage: String,
    description: String,
    #[serde(default)]
    example: Vec<Example>,
    #[serde(default)]
    unchanged: Vec<String>,
    #[serde(flatten)]
    params: toml::Table,
}

impl RuleSet {
    /// The rule set embedded in the binary.
    pub fn defaults() -> Result<Self, RuleError> {
        Self::from_files(embedded_files())
    }

    /// Load `dir` over the defaults (or alone, when `with_defaults` is false).
    pub fn load(dir: &Path, with_defaults: bool) -> Result<Self, RuleError> {
        let mut files = if with_defaults {
            embedded_files()
        } else {
            BTreeMap::new()
        };
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry =
                entry.map_err(|e| RuleError::new(dir.display().to_string(), 0, e.to_string()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(entry.path()).map_err(|e| {
                RuleError::new(entry.path().display().to_string(), 0, e.to_string())
            })?;
            files.insert(rel, bytes);
        }
        Self::from_files(files)
    }

    /// Build a rule set from `(relative path, contents)` pairs.
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        for (path, bytes) in files {
            if path.ends_with(".toml") {
                let text = std::str::from_utf8(&bytes)
                    .map_err(|e| RuleError::new(&path, 0, format!("not UTF-8: {e}")))?;
                set.add_toml(&path, text)?;
            } else {
                set.data.insert(path, bytes);
            }
        }
        set.rules
            .sort_by(|a, b| (a.stage, &a.id).cmp(&(b.stage, &b.id)));
        Ok(set)
    }

    fn add_toml(&mut self, path: &str, text: &str) -> Result<(), RuleError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            RuleError::new(path, line, e.message().trim().to_string())
        })?;
        for (stage, table) in raw.settings {
            let stage: StageName = stage.parse().map_err(|e| RuleError::new(path, 0, e))?;
            let (merged, _) = self
                .settings
                .entry(stage)
                .or_insert_with(|| (toml::Table::new(), path.to_string()));
            for (k, v) in table {
                if merged.insert(k.clone(), v).is_some() {
                    return Err(RuleError::new(
                        path,
                        0,
                        format!("setting `{stage}.{k}` is defined twice"),
                    ));
                }
            }
        }
        for spanned in raw.rule {
            let line = line_of(text, spanned.span().start);
            let raw = spanned.into_inner();
            let origin = Origin {
                file: path.to_string(),
                line,
            };
            let rule = validate(raw, origin)?;
            if let Some(other) = self.rules.iter().find(|r| r.id == rule.id) {
                return Err(rule.error(format!(
                    "duplicate id, also defined at {}:{}",
                    other.origin.file, other.origin.line
                )));
            }
            self.rules.push(rule);
        }
        Ok(())
    }

    /// All rules, ordered by stage and id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with id `id`.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules of one stage, ordered by id.
    pub fn for_stage(&self, stage: StageName) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.stage == stage)
    }

    /// A stage setting, or `default` when no file sets it.
    pub fn setting<T: DeserializeOwned>(
        &self,
        stage: StageName,
        key: &str,
        default: T,
    ) -> Result<T, RuleError> {
        match self
            .settings
            .get(&stage)
            .and_then(|(t, f)| Some((t.get(key)?, f)))
        {
            Some((value, file)) => value
                .clone()
                .try_into()
                .map_err(|e| RuleError::new(file, 0, format!("setting `{stage}.{key}`: {e}"))),
            None => Ok(default),
        }
    }

    /// Set a stage setting from the command line (`--script hans`), over whatever the files say.
    pub fn override_setting(&mut self, stage: StageName, key: &str, value: toml::Value) {
        let (table, file) = self
            .settings
            .entry(stage)
            .or_insert_with(|| (toml::Table::new(), String::new()));
        table.insert(key.to_string(), value);
        *file = "command line".to_string();
    }

    /// A data file by its path relative to the rules tree.
    pub fn data(&self, path: &str) -> Result<&[u8], RuleError> {
        self.data
            .get(path)
            .map(Vec::as_slice)
            .ok_or_else(|| RuleError::new(path, 0, "data file is not in the rule set"))
    }

    /// A UTF-8 data file.
    pub fn data_str(&self, path: &str) -> Result<&str, RuleError> {
        std::str::from_utf8(self.data(path)?)
            .map_err(|e| RuleError::new(path, 0, format!("data file is not UTF-8: {e}")))
    }

    /// The shared folding view's character table (`script/opencc/TSCharacters.txt`).
    pub fn folder(&self) -> Result<crate::text::fold::Folder, RuleError> {
        Ok(crate::text::fold::Folder::from_opencc_ts_characters(
            self.data_str(FOLD_TABLE)?,
        ))
    }
}

/// The traditional→simplified character table behind the folded view.
pub const FOLD_TABLE: &str = "script/opencc/TSCharacters.txt";

fn validate(raw: RawRule, origin: Origin) -> Result<Rule, RuleError> {
    let err =
        |m: String| RuleError::new(&origin.file, origin.line, format!("rule {}: {m}", raw.id));
    let stage: StageName = raw.stage.parse().map_err(err)?;
    let well_formed = raw
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !well_formed || !raw.id.starts_with(&format!("{stage}.")) {
        return Err(err(format!(
            "id must be `{stage}.<name>` in lower case, digits, `-` and `.`"
        )));
    }
    if raw.description.trim().is_empty() {
        return Err(err("empty description".into()));
    }
    if raw.example.is_empty() || raw.unchanged.is_empty() {
        return Err(err(
            "needs at least one [[rule.example]] (input → output) and one `unchanged` input".into(),
        ));
    }
    Ok(Rule {
        id: raw.id,
        stage,
        description: raw.description.trim().to_string(),
        examples: raw.example,
        unchanged: raw.unchanged,
        params: raw.params,
        origin,
    })
}

fn embedded_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    collect(&DEFAULT_RULES, &mut files);
    files
}

fn collect(dir: &Dir<'static>, files: &mut BTreeMap<String, Vec<u8>>) {
    for file in dir.files() {
        files.insert(
            file.path().to_string_lossy().replace('\\', "/"),
            file.contents().to_vec(),
        );
    }
    for sub in dir.dirs() {
        collect(sub, files);
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(path: &str, text: &str) -> Result<RuleSet, RuleError> {
        RuleSet::from_files(BTreeMap::from([(
            path.to_string(),
            text.as_bytes().to_vec(),
        )]))
    }

    const GOOD: &str = r#"
[[rule]]
id = "markup.x"
stage = "markup"
description = "d"
pattern = "a"
unchanged = ["b"]
[[rule.example]]
input = "a"
output = ""
"#;

    #[test]
    fn loads_a_rule_with_params_and_line() {
        let set = one("m.toml", GOOD).unwrap();
        let rule = set.get("markup.x").unwrap();
        assert_eq!(rule.param::<String>("pattern").unwrap(), "a");
        assert_eq!(rule.origin.line, 2, "the line of the [[rule]] header");
        assert!(rule.expect_keys(&["other"]).is_err());
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = one("bad.toml", "\n\n[[rule]]\nid = \n").unwrap_err();
        assert_eq!(err.file, "bad.toml");
        assert_eq!(err.line, 4);
    }

    #[test]
    fn rules_without_examples_or_with_foreign_ids_are_rejected() {
        let no_examples = GOOD.replace("unchanged = [\"b\"]", "");
        assert!(
            one("m.toml", &no_examples)
                .unwrap_err()
                .message
                .contains("example")
        );
        let wrong_prefix = GOOD.replace("markup.x", "spam.x");
        assert!(
            one("m.toml", &wrong_prefix)
                .unwrap_err()
                .message
                .contains("id must be")
        );
        let dup = format!("{GOOD}{GOOD}");
        assert!(
            one("m.toml", &dup)
                .unwrap_err()
                .message
                .contains("duplicate")
        );
    }

    #[test]
    fn defaults_load() {
        let set = RuleSet::defaults().unwrap();
        assert!(!set.rules().is_empty());
    }
}
