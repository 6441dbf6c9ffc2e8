//! Streaming deduplication: first seen wins, with a bounded index of the documents seen last.

use std::collections::{HashMap, VecDeque};

use super::{CorpusDedup, Signature};

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
