//! `spam`: remove injected SEO spam and keep the document.
//!
//! Every rule matches on the folded view of the text (no invisible characters, width and case folded,
//! traditional→simplified, look-alike glyphs folded by `spam/homoglyphs.txt`) and edits the original
//! through the view's offset map. The rules, in the order they claim text:
//! - `title-hijack`: a first line of porn/gambling keyword groups joined by `|`, `_`, `-`, `,` or spaces.
//! - `scored-title`: the same line judged with no list: its groups' promotional sound and how little
//!   the body shares its words.
//! - `stuffing-line`: a line that is only a list of spam phrases.
//! - `scrape-token`: anti-scraping tokens (`%Nd2r1%`) and their `@` wrappers around real words; when the
//!   wrapped words are spam themselves, the whole group goes (`obfuscated-phrase`).
//! - `listed-phrase`: a phrase of the word lists with injection evidence (its stray comma, or a word of the
//!   sentence it splits).
//! - `context-phrase`: a phrase in no list: a cue word extended to the span the injector inserted, with
//!   injection evidence from the language model and the punctuation, and no support elsewhere on the page.
//! - `scored-span`: a span ending at a comma, judged by one logistic model over list-free evidence.
//! - `repeated-span`: a suspect span that unrelated documents of one run carry (`repeated.rs`).
//!
//! Cheap on clean text: one folding pass and automaton scans; the language model only scores the few
//! characters around a candidate.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder};
use regex::Regex;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::settings::SpamSettings;
use crate::rules::{FOLD_TABLE, Resources, RuleSet};
use crate::stages::Stage;
use crate::text::fold::Folder;
use crate::types::StageName;

mod evidence;
mod folds;
mod kinds;
mod lexicon;
mod stuffing;
mod title;
mod tokens;

pub use kinds::SpamKind;
use lexicon::{check_homoglyphs, inside_latin_word, leftmost_longest};
mod context;
mod listed;
mod model;
pub mod repeated;
mod scored;
mod scored_title;

pub use scored::{FEATURES, SpanCandidate};
pub use scored_title::{TITLE_FEATURES, TitleCandidate};

/// The `spam` stage: injected SEO spam removed, the document kept.
pub struct Spam {
    folder: Folder,
    /// The folder's work on the common characters, tabulated at the first document.
    folds: OnceLock<folds::CharFolds>,
    title: Option<TitleRule>,
    stuffing: Option<StuffingRule>,
    tokens: Option<TokenRule>,
    listed: Option<ListedRule>,
    context: Option<ContextRule>,
    scored: Option<scored::ScoredRule>,
    scored_title: Option<scored_title::ScoredTitle>,
    repeated: Option<repeated::RepeatedRule>,
    /// Above this share of the document's characters (whitespace not counted) the stage removes
    /// nothing and flags instead.
    max_delete_share: f64,
    /// Removals up to this many characters are never capped (short documents, rule examples).
    cap_free_chars: usize,
    /// Above this many cue words in one document the context rule (which scores every candidate
    /// with the language model) is skipped and flagged: such a page is spam through and through.
    max_context_cues: usize,
    /// Commas an injector appends to its phrase.
    commas: Vec<char>,
    /// Every listed phrase and cue word in one automaton, so that clean text is scanned once.
    lexicon: Option<Lexicon>,
    /// The rule set's language models, which weigh a span against the text around it.
    resources: Resources,
}

/// Which list a lexicon word comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    Phrase,
    Cue,
    WeakCue,
}

struct Lexicon {
    /// Standard (overlapping) matching; the value indexes `owners`.
    automaton: CharwiseDoubleArrayAhoCorasick<u32>,
    /// For each distinct word, the lists (and entry indexes) it belongs to.
    owners: Vec<Vec<(Source, usize)>>,
}

/// A match: its original byte range and its list entry (folded word, category).
type Hit<'a> = (Range<usize>, &'a str, &'a str);

/// Words of the lexicon are at most this many characters, so that a match starts within the last
/// RING folded characters.
const RING: usize = 64;

/// A word list compiled to one automaton over folded text; the value indexes `entries`.
struct WordList {
    automaton: CharwiseDoubleArrayAhoCorasick<u32>,
    entries: Vec<(String, String)>, // (folded word, category)
}

struct TitleRule {
    id: String,
    words: WordList,
    separators: Vec<char>,
    min_groups: usize,
    min_coverage: f64,
    /// Matches of words not marked `generic` a title needs.
    min_specific_words: usize,
}

struct StuffingRule {
    id: String,
    separators: Vec<char>,
    min_items: usize,
    max_item_chars: usize,
    min_spam_share: f64,
    /// The share of promotional sound bigrams at which an unlisted item counts as spam.
    min_promo_cover: Option<f64>,
}

struct TokenRule {
    id: String,
    phrase_id: String,
    token: Regex,
    wrappers: Vec<char>,
    max_piece_chars: usize,
}

struct ListedRule {
    id: String,
    phrases: WordList,
    min_join_gain: f64,
}

struct ContextRule {
    id: String,
    cues: WordList,
    /// Cue words too common to mark a span alone (借款, 推荐): they need a name part before them.
    weak_cues: WordList,
    name_parts: WordList,
    max_extend_chars: usize,
    max_span_chars: usize,
    min_join_gain: f64,
}

impl Spam {
    /// The stage with the `spam` rules and the `[settings.spam]` of `rules`.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let settings: SpamSettings = rules.settings()?;
        let homoglyphs = rules.data_str(&settings.homoglyphs)?;
        check_homoglyphs(&settings.homoglyphs, homoglyphs)?;
        // The homoglyph table has the OpenCC format, so it extends the shared folding table: later
        // lines win, and a look-alike folds exactly like a traditional character.
        let folder = Folder::from_opencc_ts_characters(&format!(
            "{}\n{homoglyphs}",
            rules.data_str(FOLD_TABLE)?
        ));
        let mut stage = Spam {
            title: None,
            stuffing: None,
            tokens: None,
            listed: None,
            context: None,
            scored: None,
            scored_title: None,
            repeated: None,
            max_delete_share: settings.max_delete_share,
            cap_free_chars: settings.cap_free_chars,
            max_context_cues: settings.max_context_cues,
            commas: settings.commas.chars().collect(),
            lexicon: None,
            folds: OnceLock::new(),
            folder,
            resources: rules.resources()?,
        };
        for rule in rules.for_stage(StageName::Spam) {
            stage.compile(rule, rules)?;
        }
        stage.lexicon = stage.build_lexicon()?;
        Ok(stage)
    }

    fn lists(&self) -> Vec<(Source, &WordList)> {
        let mut lists = Vec::new();
        if let Some(listed) = &self.listed {
            lists.push((Source::Phrase, &listed.phrases));
        }
        if let Some(context) = &self.context {
            lists.push((Source::Cue, &context.cues));
            lists.push((Source::WeakCue, &context.weak_cues));
        }
        lists
    }

    fn build_lexicon(&self) -> Result<Option<Lexicon>, RuleError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut words: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<(Source, usize)>> = Vec::new();
        for (source, list) in self.lists() {
            for (i, (word, _)) in list.entries.iter().enumerate() {
                let slot = *index.entry(word.as_str()).or_insert_with(|| {
                    words.push(word.as_str());
                    owners.push(Vec::new());
                    words.len() - 1
                });
                owners[slot].push((source, i));
            }
        }
        if words.is_empty() {
            return Ok(None);
        }
        let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .build_with_values(words.iter().enumerate().map(|(i, w)| (*w, i as u32)))
            .map_err(|e| RuleError::new("rules/spam", 0, format!("spam word lists: {e}")))?;
        Ok(Some(Lexicon { automaton, owners }))
    }

    /// The leftmost-longest matches of each list, as original byte ranges, from one overlapping
    /// scan of the folded text. The text is folded character by character straight into the
    /// automaton: nothing is built for clean text, and a ring of recent offsets maps a match back.
    fn hits(&self, text: &str) -> HashMap<Source, Vec<Hit<'_>>> {
        let Some(lexicon) = &self.lexicon else {
            return HashMap::new();
        };
        let mut by_source: HashMap<Source, Vec<(Range<usize>, usize)>> = HashMap::new();
        let mut stepper = lexicon.automaton.find_overlapping_stepper();
        // (folded byte position, original byte offset) of the last RING folded characters.
        let mut ring = [(0usize, 0usize); RING];
        let mut count = 0usize;
        let mut folded_pos = 0usize;
        self.fold_chars(text, |offset, c, f| {
            let end = offset + c.len_utf8();
            ring[count % RING] = (folded_pos, offset);
            count += 1;
            folded_pos += f.len_utf8();
            stepper.consume(f);
            for m in stepper.matches() {
                // Newest first: a word is a few characters long.
                let start = (count.saturating_sub(RING)..count)
                    .rev()
                    .map(|i| ring[i % RING])
                    .find(|(pos, _)| *pos == m.start());
                let Some((_, start)) = start else { continue };
                if inside_latin_word(text, &(start..end)) {
                    continue;
                }
                for &(source, i) in &lexicon.owners[m.value() as usize] {
                    by_source.entry(source).or_default().push((start..end, i));
                }
            }
        });
        let lists = self.lists();
        by_source
            .into_iter()
            .filter_map(|(source, mut matches)| {
                let list = lists.iter().find(|(s, _)| *s == source)?.1;
                Some((source, leftmost_longest(&mut matches, list)))
            })
            .collect()
    }
}

/// One run of words interleaved with tokens: `@交%Nd2r1%换或買%dQ21R%賣@`.
struct TokenGroup {
    /// The whole group, wrappers included.
    outer: Range<usize>,
    /// What to remove when the words are real: the tokens and the wrappers.
    noise: Vec<Range<usize>>,
    /// The words with the tokens taken out.
    words: String,
}

/// Why a candidate span looks inserted.
#[derive(Debug, Default)]
struct Evidence {
    comma: bool,
    /// The comma is followed by more punctuation or the line end (`,。`, `,,`).
    stray_comma: bool,
    join_gain: f64,
    /// The span is a whole clause: punctuation or the line start before it, its comma after it.
    whole_clause: bool,
}

/// A span around a cue word that may have been inserted.
struct Candidate {
    /// The span with its comma.
    range: Range<usize>,
    evidence: Evidence,
    /// A brand code (ＡＧ, DG) glued before the phrase.
    branded: bool,
    /// Words between the cue and the comma (赌球行为,): the cue itself sits in running text.
    extended_right: bool,
}

/// The changes found so far, and the original byte ranges they claim.
#[derive(Default)]
struct Found {
    changes: Vec<Change>,
    /// The claimed ranges (start → end); they never overlap, so only the nearest one before a range
    /// can overlap it, and a page full of spam stays linear.
    claimed: BTreeMap<usize, usize>,
}

impl Found {
    fn overlaps(&self, range: &Range<usize>) -> bool {
        self.claimed
            .range(..range.end.max(range.start + 1))
            .next_back()
            .is_some_and(|(_, &end)| end > range.start)
    }

    fn remove(&mut self, range: Range<usize>, rule: &str, reason: String) {
        if !range.is_empty() && !self.overlaps(&range) {
            self.claimed.insert(range.start, range.end);
            self.changes.push(Change::remove(range, rule, reason));
        }
    }
}

impl Stage for Spam {
    fn name(&self) -> StageName {
        StageName::Spam
    }

    fn run(&self, doc: &mut Document) {
        if doc.text.is_empty() {
            return;
        }
        let text = doc.text.as_str();
        let mut found = Found::default();
        let mut lines = title::TitleLines::new(self, text);
        if let Some(rule) = &self.title {
            rule.find(&mut lines, text, &mut found);
        }
        if let Some(rule) = &self.scored_title {
            rule.find(self, &mut lines, text, &mut found);
        }
        if let Some(rule) = &self.stuffing {
            rule.find(self, text, &mut found);
        }
        if let Some(rule) = &self.tokens {
            rule.find(self, text, &mut found);
        }
        let hits = self.hits(text);
        let of = |source| hits.get(&source).map_or(&[][..], Vec::as_slice);
        if let Some(rule) = &self.listed {
            rule.find(self, text, of(Source::Phrase), &mut found);
        }
        let mut skipped = None;
        if let Some(rule) = &self.context {
            let cues = of(Source::Cue).len() + of(Source::WeakCue).len();
            if cues <= self.max_context_cues {
                rule.find(self, text, of(Source::Cue), of(Source::WeakCue), &mut found);
            } else {
                skipped = Some(format!(
                    "{cues} cue words, over spam.max_context_cues ({}): unlisted phrases not searched",
                    self.max_context_cues
                ));
            }
        }
        if let Some(rule) = &self.scored {
            rule.find(self, text, &mut found);
        }
        if let Some(rule) = &self.repeated {
            rule.find(self, doc, &mut found);
        }
        if let Some(message) = skipped {
            doc.flag(StageName::Spam, "spam.context-phrase", message, None);
        }
        let text = doc.text.as_str();
        if found.changes.is_empty() {
            return;
        }
        // Letters, not whitespace: the output's layout trims indentation and blank lines, and a
        // second pass over it must count the same share.
        let letters = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
        let removed: usize = found
            .changes
            .iter()
            .map(|c| letters(&text[c.range.clone()]))
            .sum();
        let total = letters(text);
        // A document is never emptied, however short: what the rules would take from a page with
        // nothing else is as likely a misjudged sentence as spam (do no harm; the flag tells).
        let empties = removed >= total;
        if empties
            || (removed > self.cap_free_chars
                && removed as f64 > self.max_delete_share * total as f64)
        {
            let first = found.changes.iter().map(|c| c.range.start).min();
            let message = if empties {
                format!(
                    "spam rules would remove all {total} characters of the document; nothing removed"
                )
            } else {
                format!(
                    "spam rules would remove {removed} of {total} characters, over the cap of {:.0}% \
                     (setting spam.max_delete_share); nothing removed",
                    self.max_delete_share * 100.0
                )
            };
            doc.flag(StageName::Spam, "spam.cap", message, first);
            return;
        }
        doc.apply(StageName::Spam, found.changes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> Spam {
        Spam::from_rules(&RuleSet::defaults().unwrap()).unwrap()
    }

    fn clean(text: &str) -> String {
        let mut doc = Document::from_text(text);
        stage().run(&mut doc);
        doc.text
    }

    #[test]
    fn a_document_is_never_emptied() {
        let stage = stage();
        for text in [
            "網上直銷大行其道百家樂算牌,。",
            "百家樂算牌,",
            "百家樂算牌,\n",
        ] {
            let mut doc = Document::from_text(text);
            stage.run(&mut doc);
            assert!(
                doc.text.chars().any(|c| !c.is_whitespace()),
                "{text:?} emptied"
            );
        }
        let mut doc = Document::from_text("百家樂算牌,");
        stage.run(&mut doc);
        assert_eq!(doc.text, "百家樂算牌,");
    }

    #[test]
    fn seed_001_inline_injections() {
        assert_eq!(clean("網上直銷大行其道百家樂算牌,。"), "網上直銷大行其道。");
        assert_eq!(
            clean("初期的玩家瑪卡保健食品,開始出現"),
            "初期的玩家開始出現"
        );
        assert_eq!(clean("淘寶小線上拉霸機,店。"), "淘寶小店。");
        assert_eq!(clean("社群電商,充氣床墊推薦,這個詞"), "社群電商,這個詞");
        assert_eq!(clean("你九州娛樂,的産品有粉絲"), "你的産品有粉絲");
    }

    /// Odd input never panics, and the edits always reproduce the output from the input.
    #[test]
    fn odd_input_is_safe() {
        let pieces = [
            "百家樂",
            "算牌",
            ",",
            "，",
            "。",
            "@",
            "%Nd2r1%",
            "&iFzv&",
            "$t5X$",
            "*",
            "#",
            "\u{200B}",
            "\u{FEFF}",
            "Ａ",
            "ａｖ",
            "囯",
            "娱乐城",
            "投注",
            "线上",
            "|",
            "_",
            "-",
            " ",
            "\n",
            "a",
            "𠮷",
            "\u{E1E9}",
            "電",
            "商",
            "一夜情",
            "換妻",
            "俱樂部",
            "。。",
            ",,",
            "国产精品",
            "久久",
        ];
        let stage = stage();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..400 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let mut doc = Document::from_text(text.as_str());
            stage.run(&mut doc);
            let rebuilt = doc.report.replay(StageName::Spam, &text).unwrap();
            assert_eq!(rebuilt, doc.text, "input {text:?}");
        }
    }

    #[test]
    fn scrape_tokens_around_real_words() {
        assert_eq!(
            clean("也要操纵網絡@交%Nd2r1%换或買%dQ21R%賣@,以是"),
            "也要操纵網絡交换或買賣,以是"
        );
    }
}
