//! What several stages share, built once per rule set from its files: the word model
//! ([`WORD_MODEL`]), the character n-gram model ([`NGRAM_MODEL`]) and the folding view of the
//! traditional→simplified character map ([`FOLD_TABLE`]), which both models score traditional text
//! through and near-duplicate signatures fold text with. A rule set whose files are
//! the embedded ones shares the process's copy, built on first use; `--rules DIR` with its own
//! files gets models of its own.

use std::sync::{Arc, OnceLock};

use crate::error::RuleError;
use crate::text::fold::Folder;
use crate::text::lm::{LanguageModel, NgramModel};

use super::files::{Bytes, NGRAM_MODEL, WORD_MODEL, embedded};
use super::{FOLD_TABLE, RuleSet};

/// The models and the folding view of a rule set; cloning shares them.
#[derive(Clone)]
pub(crate) struct Resources {
    /// The word model.
    pub(crate) model: Arc<LanguageModel>,
    /// The character n-gram model.
    pub(crate) ngrams: Arc<NgramModel>,
    /// The folding view of the character table.
    pub(crate) folder: Arc<Folder>,
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resources").finish_non_exhaustive()
    }
}

/// The files the resources are built from.
const FILES: [&str; 3] = [WORD_MODEL, NGRAM_MODEL, FOLD_TABLE];

impl Resources {
    /// The resources of `rules`: the process's embedded ones when its files are the embedded
    /// files, else built from its files (the embedded file standing in for one the set lacks, as
    /// with `--no-default-rules`); a file that does not read is an error naming it.
    pub(crate) fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let files = FILES.map(|path| file(Some(rules), path));
        let is_embedded = |bytes: &Bytes, path| embedded(path).is_some_and(|e| bytes.same_as(e));
        if FILES
            .iter()
            .zip(&files)
            .all(|(path, bytes)| is_embedded(bytes, path))
        {
            return Ok(Self::embedded().clone());
        }
        Self::build(files)
    }

    /// The resources of the embedded files, built once per process.
    pub(crate) fn embedded() -> &'static Self {
        static EMBEDDED: OnceLock<Resources> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            Self::build(FILES.map(|path| file(None, path))).expect(
                "the embedded models are well-formed (derive_lm_image, derive_char_ngrams.py)",
            )
        })
    }

    /// The models and the folding view of the word model's, the n-gram model's and the character
    /// table's bytes.
    fn build([words, ngrams, table]: [Bytes; 3]) -> Result<Self, RuleError> {
        let table = std::str::from_utf8(&table)
            .map_err(|e| RuleError::new(FOLD_TABLE, 0, format!("data file is not UTF-8: {e}")))?;
        let folder = Arc::new(Folder::from_opencc_ts_characters(table));
        let model = LanguageModel::read(words, Arc::clone(&folder))
            .map_err(|e| RuleError::new(WORD_MODEL, 0, e.to_string()))?;
        let ngrams = NgramModel::from_bytes(ngrams, Arc::clone(&folder))
            .map_err(|e| RuleError::new(NGRAM_MODEL, 0, e.to_string()))?;
        Ok(Resources {
            model: Arc::new(model),
            ngrams: Arc::new(ngrams),
            folder,
        })
    }
}

/// The file at `path` of `rules`, or the embedded one when there is no rule set or it lacks it.
fn file(rules: Option<&RuleSet>, path: &str) -> Bytes {
    rules
        .and_then(|rules| rules.data_bytes(path).ok())
        .cloned()
        .unwrap_or_else(|| Bytes::Embedded(embedded(path).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_embedded_files_share_the_process_models() {
        let process = Resources::embedded();
        let defaults = Resources::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        assert!(Arc::ptr_eq(&defaults.model, &process.model));
        // A set without them (`--no-default-rules`) uses the embedded files.
        let empty = Resources::from_rules(&RuleSet::default()).unwrap();
        assert!(Arc::ptr_eq(&empty.model, &process.model));
        // The same bytes read from a directory are the embedded files too.
        let copies = FILES.map(|path| (path.to_string(), embedded(path).unwrap().to_vec()));
        let copies = RuleSet::from_files(BTreeMap::from(copies)).unwrap();
        let copied = Resources::from_rules(&copies).unwrap();
        assert!(Arc::ptr_eq(&copied.ngrams, &process.ngrams));
        assert!(Arc::ptr_eq(&copied.folder, &process.folder));
    }

    #[test]
    fn the_models_simplify_with_the_rule_sets_table() {
        // A table that folds 的 into a rare character: the model reads 的 as that character.
        let process = &Resources::embedded().model;
        let table = BTreeMap::from([(FOLD_TABLE.to_string(), "的\t乂\n".into())]);
        let resources = Resources::from_rules(&RuleSet::from_files(table).unwrap()).unwrap();
        assert_eq!(resources.model.char_logp('的'), process.char_logp('乂'));
        assert_ne!(resources.model.char_logp('的'), process.char_logp('的'));
    }
}
