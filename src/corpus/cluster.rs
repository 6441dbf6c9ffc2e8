//! Batch clustering: candidate pairs from shared LSH buckets, verified by estimated Jaccard
//! similarity, joined into union-find clusters, with one copy per cluster kept by the keep policy.

use std::collections::HashMap;

use serde::Serialize;

use super::{CorpusDedup, KeepPolicy, Signature};

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
