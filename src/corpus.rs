//! Near-duplicate documents across a corpus: MinHash signatures of the folded text, LSH banding,
//! verification by estimated Jaccard similarity, union-find clusters and a keep policy.
//!
//! A [`Signature`] is 256 one-permutation MinHash slots over the character 5-grams of the folded,
//! white-space-free text (see [`shingle_hash`]). Two signatures agree in a slot with probability equal
//! to the Jaccard similarity of the two 5-gram sets, so the share of equal slots estimates it.
//! Everything is hashed with xxh3 (stable across machines and runs), so signatures can be stored and
//! compared later.
//!
//! Batch: [`CorpusDedup::cluster`] groups near-duplicates and picks one copy per cluster by the keep
//! policy. Streaming: [`StreamingDeduper`] answers "seen before?" with a bounded index, first seen wins.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::rules::settings::DedupSettings;
pub use crate::rules::settings::KeepPolicy;
use crate::text::fold::Folder;

/// Characters per shingle. Fixed rather than a setting: signatures stored by one run must stay
/// comparable with those of the next.
pub const SHINGLE_CHARS: usize = 5;

/// MinHash slots per signature: LSH bands use the first `bands × rows` of them, verification all
/// of them (the estimate of a Jaccard similarity of 0.6 has a standard error of 0.03).
pub const SLOTS: usize = 256;

/// The hash of one shingle (a window of at most `SHINGLE_CHARS` characters), stable across
/// machines: xxh3 of the code points packed 21 bits each into a little-endian `u128`, with the
/// window length in the top byte.
pub fn shingle_hash(window: &[char]) -> u64 {
    let packed = window
        .iter()
        .take(SHINGLE_CHARS)
        .fold(0u128, |key, &c| (key << 21) | u128::from(u32::from(c)));
    xxh3_64(&(packed | ((window.len() as u128) << 120)).to_le_bytes())
}

/// The characters that shingles are made of: the folded text without white space, so that line
/// breaks and spacing do not change a fingerprint.
pub fn shingle_chars(text: &str, folder: &Folder) -> Vec<char> {
    let mut chars = Vec::with_capacity(text.len() / 2);
    folder.fold_each(text, |c| {
        if !c.is_whitespace() {
            chars.push(c);
        }
    });
    chars
}

/// Hashes of all character shingles of `chars`; a text shorter than one shingle is one shingle.
pub fn shingles(chars: &[char]) -> impl Iterator<Item = u64> + '_ {
    let width = SHINGLE_CHARS.min(chars.len());
    let count = if chars.is_empty() {
        0
    } else {
        chars.len() - width + 1
    };
    (0..count).map(move |i| shingle_hash(&chars[i..i + width]))
}

/// A one-permutation MinHash signature (with densification) of a document's folded text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    /// `SLOTS` minimum values, or empty for a document without text.
    slots: Vec<u32>,
}

/// Marks a slot no shingle fell into, before densification.
const EMPTY_SLOT: u64 = u64::MAX;

impl Signature {
    /// The signature of a document without text, which is never a duplicate.
    pub fn empty() -> Signature {
        Signature { slots: Vec::new() }
    }

    /// The signature of `text` (after its cleaning stages), fingerprinted on the folded view.
    pub fn of(text: &str, folder: &Folder) -> Signature {
        Self::of_shingles(shingles(&shingle_chars(text, folder)))
    }

    /// One-permutation hashing: each shingle hash picks a slot with its high bits and competes for
    /// that slot's minimum with its low 32 bits; one hash per shingle instead of one per slot.
    fn of_shingles(hashes: impl Iterator<Item = u64>) -> Signature {
        let mut mins = [EMPTY_SLOT; SLOTS];
        let mut any = false;
        for h in hashes {
            let slot = ((h >> 32) as usize * SLOTS) >> 32;
            let value = u64::from(h as u32);
            if value < mins[slot] {
                mins[slot] = value;
            }
            any = true;
        }
        if !any {
            return Signature::empty();
        }
        Signature {
            slots: densify(&mins),
        }
    }

    /// True for a document without any text: it is never a duplicate. A stored signature of the
    /// wrong size (from another version) counts as empty rather than failing.
    pub fn is_empty(&self) -> bool {
        self.slots.len() != SLOTS
    }

    /// The estimated Jaccard similarity of the two documents' shingle sets (0 when either is empty).
    pub fn similarity(&self, other: &Signature) -> f64 {
        if self.is_empty() || other.is_empty() {
            return 0.0;
        }
        let equal = self
            .slots
            .iter()
            .zip(&other.slots)
            .filter(|(a, b)| a == b)
            .count();
        equal as f64 / SLOTS as f64
    }

    /// The LSH key of band `band` of `rows` slots (the band index is the seed, so that equal values
    /// in different bands do not collide). Values go through a small buffer 16 at a time, chaining
    /// the seed, so any `rows` works without allocating.
    fn band_key(&self, band: usize, rows: usize) -> u64 {
        let mut key = band as u64;
        for chunk in self.slots[band * rows..(band + 1) * rows].chunks(16) {
            let mut buf = [0u8; 64];
            for (i, v) in chunk.iter().enumerate() {
                buf[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
            }
            key = xxh3_64_with_seed(&buf[..4 * chunk.len()], key);
        }
        key
    }
}

/// Fill empty slots by borrowing from a non-empty slot chosen by a hash of (slot, attempt), the
/// "optimal densification" of Shrivastava (2017): two documents probe the same sequence, so a filled
/// slot still agrees with probability equal to their Jaccard similarity.
fn densify(mins: &[u64; SLOTS]) -> Vec<u32> {
    (0..SLOTS)
        .map(|slot| {
            let mut attempt = 0u64;
            let mut source = slot;
            while mins[source] == EMPTY_SLOT {
                let probe = xxh3_64_with_seed(&(slot as u64).to_le_bytes(), attempt);
                source = (probe % SLOTS as u64) as usize;
                attempt += 1;
            }
            mins[source] as u32
        })
        .collect()
}

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
    folder: Folder,
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

/// What the batch clustering decided for one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The cluster the document belongs to, when it has near-duplicates (numbered from 0 in order of
    /// each cluster's earliest member).
    pub cluster: Option<usize>,
    /// The index of the copy kept for this document's cluster (its own index when it is kept).
    pub kept: usize,
    /// Estimated Jaccard similarity with the kept copy, for documents in a cluster.
    pub similarity: Option<f64>,
}

impl Decision {
    /// True when document `index` (the one this decision is for) stays in the output.
    pub fn is_kept(&self, index: usize) -> bool {
        self.kept == index
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

    /// Cluster near-duplicate documents. `clean_lengths[i]` is the length of document `i`'s clean
    /// text (used by the `longest` policy). Returns one decision per document, in input order.
    pub fn cluster(&self, signatures: &[Signature], clean_lengths: &[usize]) -> Vec<Decision> {
        let mut sets = UnionFind::new(signatures.len());
        for (a, b) in self.candidate_pairs(signatures) {
            if sets.find(a) != sets.find(b)
                && signatures[a].similarity(&signatures[b]) >= self.jaccard
            {
                sets.union(a, b);
            }
        }
        self.decide(signatures, clean_lengths, &mut sets)
    }

    /// Pairs of documents that share an LSH bucket in some band. Members of a bucket are compared
    /// with at most `max_bucket_compare` earlier members, which keeps a bucket of thousands of copies
    /// linear while still linking each copy to one of them.
    fn candidate_pairs(&self, signatures: &[Signature]) -> Vec<(usize, usize)> {
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(signatures.len() * self.bands);
        for (index, signature) in signatures.iter().enumerate() {
            entries.extend(self.band_keys(signature).map(|key| (key, index as u32)));
        }
        entries.sort_unstable();
        let mut pairs = Vec::new();
        for bucket in entries.chunk_by(|a, b| a.0 == b.0) {
            for (i, &(_, b)) in bucket.iter().enumerate().skip(1) {
                let from = i.saturating_sub(self.max_bucket_compare);
                for &(_, a) in &bucket[from..i] {
                    pairs.push((a as usize, b as usize));
                }
            }
        }
        pairs
    }

    fn decide(
        &self,
        signatures: &[Signature],
        clean_lengths: &[usize],
        sets: &mut UnionFind,
    ) -> Vec<Decision> {
        let n = signatures.len();
        let length = |i: usize| clean_lengths.get(i).copied().unwrap_or(0);
        // The kept copy of each set, keyed by its root; members are visited in input order, so the
        // first one seen wins ties.
        let mut kept_of_root: HashMap<usize, usize> = HashMap::new();
        let mut size_of_root: HashMap<usize, usize> = HashMap::new();
        for i in 0..n {
            let root = sets.find(i);
            *size_of_root.entry(root).or_default() += 1;
            let best = kept_of_root.entry(root).or_insert(i);
            if self.keep == KeepPolicy::Longest && length(i) > length(*best) {
                *best = i;
            }
        }
        let mut cluster_of_root: HashMap<usize, usize> = HashMap::new();
        (0..n)
            .map(|i| {
                let root = sets.find(i);
                let kept = kept_of_root[&root];
                if size_of_root[&root] < 2 {
                    return Decision {
                        cluster: None,
                        kept,
                        similarity: None,
                    };
                }
                let next = cluster_of_root.len();
                let cluster = *cluster_of_root.entry(root).or_insert(next);
                Decision {
                    cluster: Some(cluster),
                    kept,
                    similarity: Some(signatures[i].similarity(&signatures[kept])),
                }
            })
            .collect()
    }

    /// A streaming deduplicator with these settings.
    pub fn streaming(&self) -> StreamingDeduper {
        StreamingDeduper::new(self.clone())
    }
}

/// Disjoint sets with path halving and union by size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

/// First-seen-wins deduplication of a stream. Documents are numbered in the order they are checked
/// (from 0). The index remembers the last `stream_bound` documents with text, duplicates included
/// (each pointing at the first-seen copy of its cluster, so a copy that resembles only another copy
/// is still caught), and forgets the oldest first. Each LSH bucket keeps only its most recent
/// document: unrelated documents almost never share a band, so a shared bucket is nearly always one
/// cluster, and memory stays at about 2.3 KB per remembered document (measured in `eval_dedup`).
pub struct StreamingDeduper {
    settings: CorpusDedup,
    next_id: u64,
    /// Band key → the most recent remembered document with that band.
    buckets: HashMap<u64, u64>,
    /// Remembered documents: their signature and the first-seen document of their cluster.
    remembered: HashMap<u64, (Signature, u64)>,
    /// Remembered documents, oldest first.
    order: VecDeque<u64>,
}

impl StreamingDeduper {
    pub fn new(settings: CorpusDedup) -> Self {
        StreamingDeduper {
            settings,
            next_id: 0,
            buckets: HashMap::new(),
            remembered: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Check the next document of the stream: the number of the first-seen document it duplicates,
    /// or `None` when it is new.
    pub fn check(&mut self, signature: &Signature) -> Option<u64> {
        let id = self.next_id;
        self.next_id += 1;
        if signature.is_empty() {
            return None;
        }
        let keys: Vec<u64> = self.settings.band_keys(signature).collect();
        let first_seen = self.find_match(signature, &keys);
        for key in keys {
            self.buckets.insert(key, id);
        }
        self.remembered
            .insert(id, (signature.clone(), first_seen.unwrap_or(id)));
        self.order.push_back(id);
        if self.order.len() > self.settings.stream_bound {
            self.forget_oldest();
        }
        first_seen
    }

    /// The first-seen document of the cluster of the earliest remembered document similar enough
    /// to `signature`.
    fn find_match(&self, signature: &Signature, keys: &[u64]) -> Option<u64> {
        let mut candidates: Vec<u64> = keys
            .iter()
            .filter_map(|key| self.buckets.get(key).copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find_map(|id| {
            let (other, first_seen) = self.remembered.get(&id)?;
            (other.similarity(signature) >= self.settings.jaccard).then_some(*first_seen)
        })
    }

    fn forget_oldest(&mut self) {
        let Some(id) = self.order.pop_front() else {
            return;
        };
        let Some((signature, _)) = self.remembered.remove(&id) else {
            return;
        };
        for key in self.settings.band_keys(&signature) {
            if self.buckets.get(&key) == Some(&id) {
                self.buckets.remove(&key);
            }
        }
    }

    /// How many documents the index remembers now.
    pub fn remembered(&self) -> usize {
        self.order.len()
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
