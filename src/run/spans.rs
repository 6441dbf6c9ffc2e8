//! Spans repeated across a run (issue 14): the documents of a run, in input order, each with the
//! suspect spans the spam stage found in it (`stages/spam/repeated.rs`), count how many unrelated
//! documents carry each span; a span carried by `min_docs` documents that are not near-duplicates of
//! one another is confirmed for the rest of the run, when it sits in other text in each of them: at
//! least two different texts follow its comma, and either two different letters come before it or
//! none does (it starts a clause). Pages that share a sentence (a republished quote, a site's
//! chrome) share the text around each of its spans too.
//!
//! Everything here goes in input order, so a run's output depends on its batch size (a batch's
//! documents are cleaned again once a span is confirmed in it) and never on its threads.

use std::collections::HashMap;
use std::sync::Arc;

use crate::corpus::Signature;
use crate::stages::spam::repeated::{Confirmed, Suspect};

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
    /// Each span not yet confirmed, with the unrelated documents carrying it.
    pending: HashMap<String, Vec<Carrier>>,
}

/// A document that carries a span: its signature, and the span's suspect with its context.
struct Carrier {
    signature: Arc<Signature>,
    before: Option<char>,
    after: String,
}

/// Whether the carriers hold a span in other text each: two texts after it, and two letters before
/// it or none.
fn in_other_text(carriers: &[Carrier]) -> bool {
    let differ = |a: &Carrier| carriers.iter().any(|b| b.after != a.after);
    let first = &carriers[0];
    differ(first) && (first.before.is_none() || carriers.iter().any(|b| b.before != first.before))
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
    pub fn observe(&mut self, suspects: &[Suspect], signature: &Arc<Signature>) -> Vec<String> {
        let mut fresh = Vec::new();
        for suspect in suspects {
            let span = &suspect.key;
            if self.confirmed.contains_key(span) || self.confirmed.len() >= MAX_CONFIRMED {
                continue;
            }
            let carriers = self.pending.entry(span.clone()).or_default();
            if carriers
                .iter()
                .any(|other| other.signature.similarity(signature) >= self.jaccard)
            {
                continue;
            }
            carriers.push(Carrier {
                signature: Arc::clone(signature),
                before: suspect.before,
                after: suspect.after.clone(),
            });
            if carriers.len() >= self.min_docs && in_other_text(carriers) {
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
        let at = |before: Option<char>, after: &str| {
            vec![Suspect {
                key: "除湿机推荐".into(),
                before,
                after: after.into(),
            }]
        };
        let span = at(None, "天气");
        let first = page("今天天气很好，我们去公园散步，看到很多人在跑步和打球。");
        let copy = page("今天天气很好，我们去公园散步，看到很多人在跑步和打球。");
        let other = page("股市今天上涨了两个百分点，投资者的信心有所恢复，成交量放大。");
        let third = page("这本小说讲述了一个少年离开家乡、到大城市闯荡的故事，情节动人。");
        assert!(spans.observe(&span, &first).is_empty());
        // A near-duplicate of the first adds no support.
        assert!(spans.observe(&span, &copy).is_empty());
        assert!(spans.observe(&at(None, "投资"), &other).is_empty());
        assert_eq!(spans.observe(&at(None, "到大"), &third), ["除湿机推荐"]);
        assert_eq!(spans.confirmed().get("除湿机推荐"), Some(&3));
        // Confirmed once: a later carrier confirms nothing new.
        assert!(spans.observe(&span, &page("另一篇文章。")).is_empty());
    }

    #[test]
    fn a_sentence_that_pages_share_is_not_confirmed() {
        let folder = RuleSet::defaults().unwrap().folder().unwrap();
        let texts = [
            "股市今天上涨。",
            "小说讲述了一个故事。",
            "春天来了，花开了。",
        ];
        let mut spans = RunSpans::new(3, 0.5);
        // The same letter before the span and the same text after it in every page.
        for text in texts {
            let suspect = Suspect {
                key: "服平台".into(),
                before: Some('客'),
                after: "线下".into(),
            };
            let signature = Arc::new(Signature::of(text, &folder));
            assert!(spans.observe(&[suspect], &signature).is_empty());
        }
        assert!(spans.confirmed().is_empty());
    }
}
