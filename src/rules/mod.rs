//! Rule files: loading, validation and typed access for the stages.
//!
//! A rule set is a tree of files. `*.toml` files hold `[[rule]]` entries and `[settings.<stage>]`
//! tables; every other file is data a rule refers to by its path relative to the tree (word lists,
//! conversion tables). The default tree (`rules/` in the repository) is embedded in the binary.
//! `--rules DIR` overlays a directory on the defaults: a file with the same relative path replaces the
//! default file, other files are added. With `--no-default-rules` only DIR is used.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::RuleError;
use crate::types::StageName;
use files::{Bytes, embedded_files};
pub(crate) use resources::Resources;
use settings::StageSettings;

mod doc;
pub(crate) mod files;
mod resources;
pub mod schema;
pub mod settings;

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
    /// The line of each parameter, so an error in one names it.
    pub param_lines: BTreeMap<String, usize>,
    /// Where the rule is defined.
    pub origin: Origin,
}

impl Rule {
    /// The documentation of this rule's parameters, from its kind's type: (name, doc) pairs.
    pub fn parameter_docs(&self) -> Vec<(String, String)> {
        crate::stages::parameter_docs(self)
    }

    /// An error located at this rule's definition.
    pub fn error(&self, message: impl std::fmt::Display) -> RuleError {
        RuleError::new(
            &self.origin.file,
            self.origin.line,
            format!("rule {}: {message}", self.id),
        )
    }

    /// The rule's parameters as the stage's type: a `#[serde(tag = "kind")]` enum of the kinds of
    /// rule the stage knows, or a struct when it has one. An unknown kind or parameter, a missing or
    /// ill-typed one, is an error at the parameter's line (or the rule's, when no parameter is to
    /// blame).
    pub fn parameters<T: DeserializeOwned>(&self) -> Result<T, RuleError> {
        self.params.clone().try_into().map_err(|e| {
            let message = e.message().trim();
            let line = self.line_to_blame(message).unwrap_or(self.origin.line);
            RuleError::new(
                &self.origin.file,
                line,
                format!("rule {}: {message}", self.id),
            )
        })
    }

    /// The line of the parameter an error message names in backquotes (`unknown field `x``), or of
    /// `kind` when the message is about the kind (`unknown variant`).
    fn line_to_blame(&self, message: &str) -> Option<usize> {
        let named = message.split('`').nth(1);
        let kind = self.params.get("kind").and_then(|k| k.as_str());
        let key = match named {
            Some(key) if self.param_lines.contains_key(key) => key,
            Some(variant) if message.contains("variant") && kind == Some(variant) => "kind",
            _ => return None,
        };
        self.param_lines.get(key).copied()
    }
}

/// The id of a flag a stage raises for a decision of its own rather than a rule's (`spam.cap`: the
/// removal cap was hit), declared in a `[[flag]]` table so that every id in a report is documented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredFlag {
    /// The flag's id, as reports carry it.
    pub id: String,
    /// The stage that raises it.
    pub stage: StageName,
    /// What it means, in Markdown.
    pub description: String,
    /// Where it is declared.
    pub origin: Origin,
}

/// The compiled input of every stage: rules, per-stage settings and data files.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    flags: Vec<DeclaredFlag>,
    settings: BTreeMap<StageName, BTreeMap<String, (toml::Value, Origin)>>,
    data: BTreeMap<String, Bytes>,
    /// The digest of every file the set was built from (rules and data), for provenance: taken
    /// when first asked for (it reads every byte of the language models).
    digest: OnceLock<u128>,
    /// The models the stages share, built when the first stage asks for them.
    resources: OnceLock<Resources>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    settings: BTreeMap<String, toml::Spanned<BTreeMap<String, toml::Spanned<toml::Value>>>>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
    #[serde(default)]
    flag: Vec<toml::Spanned<RawFlag>>,
}

/// Where each key of each `[[rule]]` stands: a second reading of the file, because the parameters are
/// collected with `flatten`, which loses spans.
#[derive(Deserialize)]
struct RuleKeyLines {
    #[serde(default)]
    rule: Vec<BTreeMap<String, toml::Spanned<serde::de::IgnoredAny>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    id: String,
    stage: String,
    description: String,
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
        Self::from_data(embedded_files())
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
            files.insert(rel, Bytes::Read(Arc::from(bytes)));
        }
        Self::from_data(files)
    }

    /// Build a rule set from `(relative path, contents)` pairs.
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> Result<Self, RuleError> {
        Self::from_data(
            files
                .into_iter()
                .map(|(path, bytes)| (path, Bytes::Read(Arc::from(bytes))))
                .collect(),
        )
    }

    fn from_data(files: BTreeMap<String, Bytes>) -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        for (path, bytes) in &files {
            if path.ends_with(".toml") {
                let text = std::str::from_utf8(bytes)
                    .map_err(|e| RuleError::new(path.as_str(), 0, format!("not UTF-8: {e}")))?;
                set.add_toml(path, text)?;
            }
        }
        set.data = files;
        set.rules
            .sort_by(|a, b| (a.stage, &a.id).cmp(&(b.stage, &b.id)));
        set.flags
            .sort_by(|a, b| (a.stage, &a.id).cmp(&(b.stage, &b.id)));
        settings::check_all(&set)?;
        Ok(set)
    }

    fn add_toml(&mut self, path: &str, text: &str) -> Result<(), RuleError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            RuleError::new(path, line, e.message().trim().to_string())
        })?;
        for (stage, table) in raw.settings {
            let line = line_of(text, table.span().start);
            let stage: StageName = stage.parse().map_err(|e| RuleError::new(path, line, e))?;
            let merged = self.settings.entry(stage).or_default();
            for (key, value) in table.into_inner() {
                let origin = Origin {
                    file: path.to_string(),
                    line: line_of(text, value.span().start),
                };
                if let Some((_, first)) = merged.get(&key) {
                    return Err(RuleError::new(
                        path,
                        origin.line,
                        format!(
                            "setting `{stage}.{key}` is defined twice (first at {}:{})",
                            first.file, first.line
                        ),
                    ));
                }
                merged.insert(key, (value.into_inner(), origin));
            }
        }
        let key_lines: RuleKeyLines = toml::from_str(text)
            .map_err(|e| RuleError::new(path, 0, e.message().trim().to_string()))?;
        for (spanned, keys) in raw.rule.into_iter().zip(key_lines.rule) {
            let line = line_of(text, spanned.span().start);
            let raw = spanned.into_inner();
            let origin = Origin {
                file: path.to_string(),
                line,
            };
            let mut rule = validate(raw, origin)?;
            rule.param_lines = keys
                .into_iter()
                .filter(|(key, _)| rule.params.contains_key(key))
                .map(|(key, value)| (key, line_of(text, value.span().start)))
                .collect();
            self.check_new_id(&rule.id, &rule.origin)?;
            self.rules.push(rule);
        }
        for spanned in raw.flag {
            let origin = Origin {
                file: path.to_string(),
                line: line_of(text, spanned.span().start),
            };
            let raw = spanned.into_inner();
            let stage = check_id("flag", &raw.id, &raw.stage, &raw.description, &origin)?;
            self.check_new_id(&raw.id, &origin)?;
            self.flags.push(DeclaredFlag {
                id: raw.id,
                stage,
                description: raw.description.trim().to_string(),
                origin,
            });
        }
        Ok(())
    }

    /// An id is declared once, by a rule or a flag.
    fn check_new_id(&self, id: &str, origin: &Origin) -> Result<(), RuleError> {
        let rules = self.rules.iter().map(|r| (&r.id, &r.origin));
        let flags = self.flags.iter().map(|f| (&f.id, &f.origin));
        match rules.chain(flags).find(|(other, _)| *other == id) {
            Some((_, other)) => Err(RuleError::new(
                &origin.file,
                origin.line,
                format!(
                    "rule {id}: duplicate id, also defined at {}:{}",
                    other.file, other.line
                ),
            )),
            None => Ok(()),
        }
    }

    /// A digest (XXH3-128, hex) of every file the set was built from, rules and data, by relative
    /// path: two sets with the same digest are the same files. Settings given on the command line
    /// are not files: see [`RuleSet::describe_settings`].
    pub fn digest(&self) -> String {
        let digest = self.digest.get_or_init(|| files::digest_set(&self.data));
        format!("xxh3-128:{digest:032x}")
    }

    /// All rules, ordered by stage and id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The declared flags, ordered by stage and id.
    pub fn flags(&self) -> &[DeclaredFlag] {
        &self.flags
    }

    /// A declared flag by its id.
    pub fn flag(&self, id: &str) -> Option<&DeclaredFlag> {
        self.flags.iter().find(|f| f.id == id)
    }

    /// Each setting of `stage`: name, value in effect, documentation.
    pub fn describe_settings(
        &self,
        stage: StageName,
    ) -> Result<Vec<settings::Described>, RuleError> {
        settings::describe(self, stage)
    }

    /// Whether `id`, met in a report, is a rule's or a declared flag's.
    pub fn declares(&self, id: &str) -> bool {
        self.get(id).is_some() || self.flag(id).is_some()
    }

    /// The rule with id `id`.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules of one stage, ordered by id.
    pub fn for_stage(&self, stage: StageName) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.stage == stage)
    }

    /// A stage's settings: what the files (and the command line) set, the defaults for the rest.
    /// Each key is checked alone first, so an unknown or ill-typed one is reported at its own line.
    pub fn settings<S: StageSettings>(&self) -> Result<S, RuleError> {
        let Some(set) = self.settings.get(&S::STAGE) else {
            return Ok(S::default());
        };
        for (key, (value, origin)) in set {
            let one = toml::Table::from_iter([(key.clone(), value.clone())]);
            if let Err(e) = one.try_into::<S>() {
                return Err(RuleError::new(
                    &origin.file,
                    origin.line,
                    format!("setting `{}.{key}`: {}", S::STAGE, e.message().trim()),
                ));
            }
        }
        let all: toml::Table = set
            .iter()
            .map(|(key, (value, _))| (key.clone(), value.clone()))
            .collect();
        all.try_into()
            .map_err(|e| RuleError::new("settings", 0, format!("[settings.{}]: {e}", S::STAGE)))
    }

    /// Set a stage setting from the command line (`--script hans`), over whatever the files say.
    /// It is checked when the stage's settings are read.
    pub fn override_setting(&mut self, stage: StageName, key: &str, value: toml::Value) {
        let origin = Origin {
            file: "command line".to_string(),
            line: 0,
        };
        self.settings
            .entry(stage)
            .or_default()
            .insert(key.to_string(), (value, origin));
    }

    /// A data file by its path relative to the rules tree.
    pub fn data(&self, path: &str) -> Result<&[u8], RuleError> {
        self.data_bytes(path).map(|bytes| &**bytes)
    }

    /// A data file as it is held: the embedded copy or the bytes read.
    fn data_bytes(&self, path: &str) -> Result<&Bytes, RuleError> {
        self.data
            .get(path)
            .ok_or_else(|| RuleError::new(path, 0, "data file is not in the rule set"))
    }

    /// The language models the stages share, built from this set's files once (the process's
    /// embedded models when the files are the embedded ones).
    pub(crate) fn resources(&self) -> Result<Resources, RuleError> {
        if let Some(resources) = self.resources.get() {
            return Ok(resources.clone());
        }
        let resources = Resources::from_rules(self)?;
        Ok(self.resources.get_or_init(|| resources).clone())
    }

    /// A UTF-8 data file.
    pub fn data_str(&self, path: &str) -> Result<&str, RuleError> {
        std::str::from_utf8(self.data(path)?)
            .map_err(|e| RuleError::new(path, 0, format!("data file is not UTF-8: {e}")))
    }

    /// The shared folding view of the character table (`script/opencc/TSCharacters.txt`), built
    /// once with the rule set's language models.
    pub fn folder(&self) -> Result<Arc<crate::text::fold::Folder>, RuleError> {
        Ok(self.resources()?.folder)
    }
}

/// The traditional→simplified character table behind the folded view.
pub const FOLD_TABLE: &str = "script/opencc/TSCharacters.txt";

/// The stage of a rule or flag whose id is `<stage>.<name>` and whose description is not empty.
fn check_id(
    what: &str,
    id: &str,
    stage: &str,
    description: &str,
    origin: &Origin,
) -> Result<StageName, RuleError> {
    let err = |m: String| RuleError::new(&origin.file, origin.line, format!("{what} {id}: {m}"));
    let stage: StageName = stage.parse().map_err(err)?;
    let well_formed = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !well_formed || !id.starts_with(&format!("{stage}.")) {
        return Err(err(format!(
            "id must be `{stage}.<name>` in lower case, digits, `-` and `.`"
        )));
    }
    if description.trim().is_empty() {
        return Err(err("empty description".into()));
    }
    Ok(stage)
}

fn validate(raw: RawRule, origin: Origin) -> Result<Rule, RuleError> {
    let stage = check_id("rule", &raw.id, &raw.stage, &raw.description, &origin)?;
    let err =
        |m: String| RuleError::new(&origin.file, origin.line, format!("rule {}: {m}", raw.id));
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
        param_lines: BTreeMap::new(),
        origin,
    })
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
        assert_eq!(rule.params["pattern"].as_str(), Some("a"));
        assert_eq!(rule.origin.line, 2, "the line of the [[rule]] header");
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
