//! Spans repeated across a run (issue 14): the documents of a run, in input order, each with the
//! suspect spans the spam stage found in it (`stages/spam/repeated.rs`), count how many unrelated
//! documents carry each span; a span carried by `min_docs` documents that are not near-duplicates of
//! one another is confirmed for the rest of the run.
//!
//! Everything here goes in input order, so a run's output depends on its batch size (a batch's
//! documents are cleaned again once a span is confirmed in it) and never on its threads.

use std::collections::HashMap;
use std::sync::Arc;

use crate::corpus::Signature;
use crate::stages::spam::repeated::Confirmed;

/// Spans waiting for confirmation beyond this many are all forgotten at once (in input order, so
/// deterministically): a stream of any length holds a bounded table.
const MAX_PENDING: usize = 1 << 18;

/// A run confirms at most this many spans.
const MAX_CONFIRMED: usize = 1 << 16;

pub(crate) struct RunSpans {
    min_docs: usize,
    /// Two documents at least this similar (estimated Jaccard) are near-duplicates: one support.
    jaccard: f64,
    confirmed: Arc<Confirmed>,
    /// Each span not yet confirmed, with the signatures of the unrelated documents carrying it.
    pending: HashMap<String, Vec<Arc<Signature>>>,
}

impl RunSpans {
    pub fn new(min_docs: usize, jaccard: f64) -> Self {
        RunSpans {
            min_docs,
            jaccard,
            confirmed: Arc::default(),
            pending: HashMap::new(),
        }
    }

    /// The spans confirmed so far.
    pub fn confirmed(&self) -> Arc<Confirmed> {
        Arc::clone(&self.confirmed)
    }

    /// The next document of the run: its suspect spans and its signature. Gives the spans it
    /// confirms.
    pub fn observe(&mut self, suspects: &[String], signature: &Arc<Signature>) -> Vec<String> {
        let mut fresh = Vec::new();
        for span in suspects {
            if self.confirmed.contains_key(span) || self.confirmed.len() >= MAX_CONFIRMED {
                continue;
            }
            let carriers = self.pending.entry(span.clone()).or_default();
            if carriers
                .iter()
                .any(|other| other.similarity(signature) >= self.jaccard)
            {
                continue;
            }
            carriers.push(Arc::clone(signature));
            if carriers.len() >= self.min_docs {
                let docs = carriers.len();
                self.pending.remove(span);
                Arc::make_mut(&mut self.confirmed).insert(span.clone(), docs);
                fresh.push(span.clone());
            }
        }
        if self.pending.len() > MAX_PENDING {
            self.pending.clear();
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn a_span_is_confirmed_by_unrelated_documents_only() {
        let folder = RuleSet::defaults().unwrap().folder().unwrap();
        let page = |text: &str| Arc::new(Signature::of(text, &folder));
        let mut spans = RunSpans::new(3, 0.5);
        let span = vec!["除湿机推荐".to_string()];
        let first = page("今天天气很好，我们去公园散步，看到很多人在跑步和打球。");
        let copy = page("今天天气很好，我们去公园散步，看到很多人在跑步和打球。");
        let other = page("股市今天上涨了两个百分点，投资者的信心有所恢复，成交量放大。");
        let third = page("这本小说讲述了一个少年离开家乡、到大城市闯荡的故事，情节动人。");
        assert!(spans.observe(&span, &first).is_empty());
        // A near-duplicate of the first adds no support.
        assert!(spans.observe(&span, &copy).is_empty());
        assert!(spans.observe(&span, &other).is_empty());
        assert_eq!(spans.observe(&span, &third), span);
        assert_eq!(spans.confirmed().get("除湿机推荐"), Some(&3));
        // Confirmed once: a later carrier confirms nothing new.
        assert!(spans.observe(&span, &page("另一篇文章。")).is_empty());
    }
}
