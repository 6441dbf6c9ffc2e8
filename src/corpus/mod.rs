//! Near-duplicate documents across a corpus: MinHash signatures of the folded text, LSH banding,
//! verification by estimated Jaccard similarity, union-find clusters and a keep policy.
//!
//! A [`Signature`] is 256 one-permutation MinHash slots over the character 5-grams of the folded,
//! white-space-free text (see [`signature::shingle_hash`]). Two signatures agree in a slot with
//! probability equal to the Jaccard similarity of the two 5-gram sets, so the share of equal slots
//! estimates it.
//! Everything is hashed with xxh3 (stable across machines and runs), so signatures can be stored and
//! compared later.
//!
//! Batch: [`CorpusDedup::cluster`] groups near-duplicates and picks one copy per cluster by the keep
//! policy. Streaming: [`StreamingDeduper`] answers "seen before?" with a bounded index, first seen wins.

mod cluster;
mod signature;
mod stream;

use std::sync::Arc;

use serde::Serialize;

use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::rules::settings::DedupSettings;
pub use crate::rules::settings::KeepPolicy;
use crate::text::fold::Folder;
pub use signature::{SHINGLE_CHARS, SLOTS, Signature, shingle_chars, shingles};
pub use stream::StreamingDeduper;

/// The corpus-level settings (`[settings.dedup]` in `rules/dedup.toml`): the stage's typed settings
/// themselves, so their defaults live in one place.
pub type CorpusDedup = DedupSettings;

/// A document's MinHash signature with its LSH band keys, as a record carries it so that documents
/// cleaned by different processes can be clustered in one later pass (Spark, Ray): the pass groups
/// records by band key, verifies pairs by [`Fingerprint::slots`] as [`CorpusDedup::cluster`] does,
/// and applies the keep policy with `text_bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    /// The `SLOTS` MinHash values (empty for a document without text, which is never a duplicate).
    pub slots: Vec<u32>,
    /// The LSH key of each band, as 16 lower-case hex digits: a 64-bit key is past the integers a
    /// JSON reader such as Spark's or JavaScript's holds exactly.
    pub bands: Vec<String>,
    /// The length in bytes (UTF-8) of the clean text, which the `longest` keep policy compares.
    pub text_bytes: usize,
}

/// Fingerprints of texts with the settings and folding of one rule set.
pub struct Fingerprinter {
    settings: CorpusDedup,
    folder: Arc<Folder>,
}

impl Fingerprinter {
    /// The near-duplicate settings and the folding table of `rules`.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        Ok(Fingerprinter {
            settings: CorpusDedup::from_rules(rules)?,
            folder: rules.folder()?,
        })
    }

    /// The fingerprint of a clean text.
    pub fn fingerprint(&self, text: &str) -> Fingerprint {
        self.settings
            .fingerprint(&Signature::of(text, &self.folder), text.len())
    }

    /// The settings a global pass must cluster with to agree with a single run.
    pub fn settings(&self) -> &CorpusDedup {
        &self.settings
    }
}

impl CorpusDedup {
    /// The settings from `[settings.dedup]`, validated.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let setting_error = |m: String| RuleError::new("[settings.dedup]", 0, m);
        let settings: CorpusDedup = rules.settings()?;
        if settings.bands == 0 || settings.rows == 0 || settings.bands * settings.rows > SLOTS {
            return Err(setting_error(format!(
                "setting `dedup.bands` × `dedup.rows` must be between 1 and {SLOTS}"
            )));
        }
        if !(0.0..=1.0).contains(&settings.jaccard) {
            return Err(setting_error(
                "setting `dedup.jaccard` must be between 0 and 1".into(),
            ));
        }
        if settings.stream_bound == 0 || settings.max_bucket_compare == 0 {
            return Err(setting_error(
                "settings `dedup.stream_bound` and `dedup.max_bucket_compare` must be positive"
                    .into(),
            ));
        }
        Ok(settings)
    }

    /// The LSH keys of a signature, one per band (none for an empty signature).
    fn band_keys<'a>(&self, signature: &'a Signature) -> impl Iterator<Item = u64> + 'a {
        let rows = self.rows.clamp(1, SLOTS);
        let bands = if signature.is_empty() {
            0
        } else {
            self.bands.min(SLOTS / rows)
        };
        (0..bands).map(move |band| signature.band_key(band, rows))
    }

    /// The fingerprint of `signature`, for a clean text of `text_bytes` bytes.
    pub fn fingerprint(&self, signature: &Signature, text_bytes: usize) -> Fingerprint {
        Fingerprint {
            slots: signature.slots.clone(),
            bands: self
                .band_keys(signature)
                .map(|key| format!("{key:016x}"))
                .collect(),
            text_bytes,
        }
    }

    /// A streaming deduplicator with these settings.
    pub fn streaming(&self) -> StreamingDeduper {
        StreamingDeduper::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Folder {
        Folder::from_opencc_ts_characters("國\t国\n網\t网\n際\t际\n")
    }

    // The first slots and band key of ARTICLE's fingerprint under the default rules, as computed when
    // fingerprints were first emitted (the band key also checked with Python's xxhash: xxh3_64 of the
    // four slots, little-endian, seed 0).
    const PINNED_SLOTS: [u32; 4] = [2440589112, 2177566482, 1639358474, 101268015];
    const PINNED_BAND: &str = "02fb97dcfa36a12f";

    const ARTICLE: &str = "跨境電商是電商領域的熱點之一，近期國務院常務會議提出降低進口商品關稅，\
        支持跨境電子商務發展。蜜淘著重增強供應鏈能力，從保稅倉發貨，把物流時間縮短到三天以內。\
        謝文斌認為，平臺化的跨境電商最大的問題是貨源和正品保障。";

    #[test]
    fn identical_texts_have_equal_signatures_and_other_scripts_fold_together() {
        let f = folder();
        let a = Signature::of(ARTICLE, &f);
        assert_eq!(a, Signature::of(ARTICLE, &f));
        let simplified = ARTICLE.replace('國', "国").replace('網', "网");
        assert_eq!(a.similarity(&Signature::of(&simplified, &f)), 1.0);
    }

    #[test]
    fn similarity_tracks_overlap() {
        let f = folder();
        let a = Signature::of(ARTICLE, &f);
        let half: String = ARTICLE.chars().take(ARTICLE.chars().count() / 2).collect();
        let s = a.similarity(&Signature::of(&half, &f));
        assert!((0.3..0.75).contains(&s), "half the text, similarity {s}");
        let other = Signature::of("完全不同的另一篇文章，講的是天氣和農業收成的事情。", &f);
        assert!(a.similarity(&other) < 0.1);
    }

    #[test]
    fn empty_text_has_an_empty_signature_and_never_matches() {
        let f = folder();
        let empty = Signature::of("  \n ", &f);
        assert!(empty.is_empty());
        assert_eq!(empty.similarity(&empty), 0.0);
        let short = Signature::of("短文", &f);
        assert!(!short.is_empty());
        let stored: Signature = serde_json::from_str(r#"{"slots":[1,2,3]}"#).unwrap();
        assert!(
            stored.is_empty(),
            "a signature of the wrong size never matches"
        );
        let settings = CorpusDedup::default();
        assert_eq!(
            settings.cluster(&[stored.clone(), stored], &[1, 1])[1].cluster,
            None
        );
    }

    #[test]
    fn clusters_keep_the_longest_copy() {
        let f = folder();
        let longer = format!("{ARTICLE}轉載請註明出處。");
        let texts = [
            ARTICLE,
            "另一篇完全無關的文章，內容關於天氣和農業收成。",
            &longer,
        ];
        let sigs: Vec<Signature> = texts.iter().map(|t| Signature::of(t, &f)).collect();
        let lengths: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        let decisions = CorpusDedup::default().cluster(&sigs, &lengths);
        assert_eq!(decisions[0].cluster, Some(0));
        assert_eq!(decisions[2].cluster, Some(0));
        assert_eq!(decisions[0].kept, 2);
        assert!(!decisions[0].is_kept(0) && decisions[2].is_kept(2));
        assert_eq!(decisions[1].cluster, None);
        assert!(decisions[1].is_kept(1));

        let first = CorpusDedup {
            keep: KeepPolicy::First,
            ..CorpusDedup::default()
        };
        assert_eq!(first.cluster(&sigs, &lengths)[2].kept, 0);
    }

    #[test]
    fn streaming_remembers_first_seen_within_its_bound() {
        let f = folder();
        let settings = CorpusDedup {
            stream_bound: 1,
            ..CorpusDedup::default()
        };
        let mut stream = settings.streaming();
        let a = Signature::of(ARTICLE, &f);
        let b = Signature::of("另一篇完全無關的文章，內容關於天氣和農業收成。", &f);
        assert_eq!(stream.check(&a), None);
        assert_eq!(stream.check(&a), Some(0));
        assert_eq!(stream.check(&a), Some(0), "still the first-seen copy");
        assert_eq!(stream.check(&b), None);
        // The bound is 1: every `a` was forgotten when `b` was remembered.
        assert_eq!(stream.check(&a), None);
        assert_eq!(stream.remembered(), 1);
    }

    #[test]
    fn a_fingerprint_carries_the_signature_and_the_band_keys_clustering_uses() {
        let f = folder();
        let settings = CorpusDedup::default();
        let signature = Signature::of(ARTICLE, &f);
        let fingerprint = settings.fingerprint(&signature, ARTICLE.len());
        assert_eq!(fingerprint.slots.len(), SLOTS);
        assert_eq!(fingerprint.text_bytes, ARTICLE.len());
        let keys: Vec<String> = settings
            .band_keys(&signature)
            .map(|k| format!("{k:016x}"))
            .collect();
        assert_eq!(fingerprint.bands, keys);
        assert_eq!(fingerprint.bands.len(), settings.bands);
        assert!(fingerprint.bands.iter().all(|k| k.len() == 16));
        let empty = settings.fingerprint(&Signature::empty(), 0);
        assert!(empty.slots.is_empty() && empty.bands.is_empty());
    }

    #[test]
    fn fingerprints_are_stable_across_machines() {
        // Pinned values: a change of hashing or folding would make signatures stored by earlier
        // runs incomparable, so it must show up here.
        let rules = RuleSet::defaults().unwrap();
        let fingerprint = Fingerprinter::from_rules(&rules)
            .unwrap()
            .fingerprint(ARTICLE);
        assert_eq!(&fingerprint.slots[..4], &PINNED_SLOTS);
        assert_eq!(fingerprint.bands[0], PINNED_BAND);
    }

    #[test]
    fn settings_come_from_the_rules() {
        let rules = RuleSet::defaults().unwrap();
        let settings = CorpusDedup::from_rules(&rules).unwrap();
        assert!(settings.bands * settings.rows <= SLOTS);
    }
}
