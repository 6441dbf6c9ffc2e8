//! `spam`: remove injected SEO spam and keep the document.
//!
//! Every rule matches on the folded view of the text (no invisible characters, width and case folded,
//! traditional→simplified, look-alike glyphs folded by `spam/homoglyphs.txt`) and edits the original
//! through the view's offset map. The rules, in the order they claim text:
//! - `title-hijack`: a first line of porn/gambling keyword groups joined by `|`, `_`, `-`, `,` or spaces.
//! - `stuffing-line`: a line that is only a list of spam phrases.
//! - `scrape-token`: anti-scraping tokens (`%Nd2r1%`) and their `@` wrappers around real words; when the
//!   wrapped words are spam themselves, the whole group goes (`obfuscated-phrase`).
//! - `listed-phrase`: a phrase of the word lists with injection evidence (its stray comma, or a word of the
//!   sentence it splits).
//! - `context-phrase`: a phrase in no list: a cue word extended to the span the injector inserted, with
//!   injection evidence from the language model and the punctuation, and no support elsewhere on the page.
//!
//! Cheap on clean text: one folding pass and automaton scans; the language model only scores the few
//! characters around a candidate.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use regex::Regex;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::settings::SpamSettings;
use crate::rules::{FOLD_TABLE, Rule, RuleSet};
use crate::stages::Stage;
use crate::text::chars::{is_cjk_punct, is_han, is_invisible};
use crate::text::fold::Folder;
use crate::text::lm;
use crate::types::StageName;

pub struct Spam {
    folder: Folder,
    title: Option<TitleRule>,
    stuffing: Option<StuffingRule>,
    tokens: Option<TokenRule>,
    listed: Option<ListedRule>,
    context: Option<ContextRule>,
    /// Above this share of the document's characters the stage removes nothing and flags instead.
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
            max_delete_share: settings.max_delete_share,
            cap_free_chars: settings.cap_free_chars,
            max_context_cues: settings.max_context_cues,
            commas: settings.commas.chars().collect(),
            lexicon: None,
            folder,
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
        for (offset, c) in text.char_indices() {
            let end = offset + c.len_utf8();
            self.folder.fold_each(&text[offset..end], |f| {
                ring[count % RING] = (folded_pos, offset);
                count += 1;
                folded_pos += f.len_utf8();
                stepper.consume(f);
                for m in stepper.matches() {
                    let start = (count.saturating_sub(RING)..count)
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
        }
        let lists = self.lists();
        by_source
            .into_iter()
            .filter_map(|(source, mut matches)| {
                let list = lists.iter().find(|(s, _)| *s == source)?.1;
                Some((source, leftmost_longest(&mut matches, list)))
            })
            .collect()
    }

    fn compile(&mut self, rule: &Rule, rules: &RuleSet) -> Result<(), RuleError> {
        let kind: String = rule.param("kind")?;
        let id = rule.id.clone();
        let chars = |key: &str| -> Result<Vec<char>, RuleError> {
            Ok(rule.param::<String>(key)?.chars().collect())
        };
        let duplicate = || rule.error(format!("a second rule of kind `{kind}`"));
        match kind.as_str() {
            "title-hijack" => {
                rule.expect_keys(&[
                    "kind",
                    "words",
                    "separators",
                    "min_groups",
                    "min_coverage",
                    "min_specific_words",
                ])?;
                if self.title.is_some() {
                    return Err(duplicate());
                }
                self.title = Some(TitleRule {
                    words: self.word_list(rule, rules, "words", 1, true)?,
                    separators: chars("separators")?,
                    min_groups: rule.param("min_groups")?,
                    min_coverage: rule.param("min_coverage")?,
                    min_specific_words: rule.param("min_specific_words")?,
                    id,
                });
            }
            "stuffing-line" => {
                rule.expect_keys(&[
                    "kind",
                    "separators",
                    "min_items",
                    "max_item_chars",
                    "min_spam_share",
                ])?;
                if self.stuffing.is_some() {
                    return Err(duplicate());
                }
                self.stuffing = Some(StuffingRule {
                    separators: chars("separators")?,
                    min_items: rule.param("min_items")?,
                    max_item_chars: rule.param("max_item_chars")?,
                    min_spam_share: rule.param("min_spam_share")?,
                    id,
                });
            }
            "scrape-token" => {
                rule.expect_keys(&[
                    "kind",
                    "token",
                    "wrappers",
                    "max_piece_chars",
                    "phrase_rule",
                ])?;
                if self.tokens.is_some() {
                    return Err(duplicate());
                }
                let pattern: String = rule.param("token")?;
                let token = Regex::new(&pattern)
                    .map_err(|e| rule.error(format!("parameter `token`: {e}")))?;
                self.tokens = Some(TokenRule {
                    phrase_id: rule.param("phrase_rule")?,
                    token,
                    wrappers: chars("wrappers")?,
                    max_piece_chars: rule.param("max_piece_chars")?,
                    id,
                });
            }
            "obfuscated-phrase" => {
                // Interpreted by the scrape-token rule (which names it in `phrase_rule`); it exists so
                // that the removal of a whole obfuscated spam phrase has its own id and examples.
                rule.expect_keys(&["kind"])?;
            }
            "listed-phrase" => {
                rule.expect_keys(&["kind", "lists", "min_join_gain"])?;
                if self.listed.is_some() {
                    return Err(duplicate());
                }
                self.listed = Some(ListedRule {
                    phrases: self.word_list(rule, rules, "lists", 3, false)?,
                    min_join_gain: rule.param("min_join_gain")?,
                    id,
                });
            }
            "context-phrase" => {
                rule.expect_keys(&[
                    "kind",
                    "cues",
                    "weak_cues",
                    "name_parts",
                    "max_extend_chars",
                    "max_span_chars",
                    "min_join_gain",
                ])?;
                if self.context.is_some() {
                    return Err(duplicate());
                }
                self.context = Some(ContextRule {
                    cues: self.word_list(rule, rules, "cues", 2, false)?,
                    weak_cues: self.word_list(rule, rules, "weak_cues", 2, false)?,
                    name_parts: self.word_list(rule, rules, "name_parts", 2, true)?,
                    max_extend_chars: rule.param("max_extend_chars")?,
                    max_span_chars: rule.param("max_span_chars")?,
                    min_join_gain: rule.param("min_join_gain")?,
                    id,
                });
            }
            other => {
                return Err(rule.error(format!(
                    "unknown kind `{other}` (spam rules are title-hijack, stuffing-line, \
                     scrape-token, obfuscated-phrase, listed-phrase, context-phrase)"
                )));
            }
        }
        Ok(())
    }

    /// Load the word list files named by `key` (a path or a list of paths). A line is `word` or
    /// `word<TAB>category`; without a category the file's stem is the category. Words shorter than
    /// `min_chars` are an error: short generic words hit ordinary text (成人 in 成人教育).
    fn word_list(
        &self,
        rule: &Rule,
        rules: &RuleSet,
        key: &str,
        min_chars: usize,
        overlapping: bool,
    ) -> Result<WordList, RuleError> {
        let paths: Vec<String> = match rule.param::<String>(key) {
            Ok(one) => vec![one],
            Err(_) => rule.param(key)?,
        };
        let mut entries: Vec<(String, String)> = Vec::new();
        for path in &paths {
            let text = rules
                .data_str(path)
                .map_err(|e| rule.error(format!("parameter `{key}`: {e}")))?;
            let stem = path
                .rsplit('/')
                .next()
                .unwrap_or(path)
                .trim_end_matches(".txt")
                .trim_start_matches("phrases-");
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_end();
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let (word, category) = line.split_once('\t').unwrap_or((line, stem));
                let folded = self.folder.fold(word.trim()).text;
                if folded.chars().count() > RING {
                    return Err(rule.error(format!(
                        "{path}:{}: `{word}` is longer than {RING} characters",
                        n + 1
                    )));
                }
                if folded.chars().count() < min_chars {
                    return Err(rule.error(format!(
                        "{path}:{}: `{word}` is shorter than {min_chars} characters",
                        n + 1
                    )));
                }
                if !entries.iter().any(|(w, _)| *w == folded) {
                    entries.push((folded, category.trim().to_string()));
                }
            }
        }
        let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(if overlapping {
                MatchKind::Standard
            } else {
                MatchKind::LeftmostLongest
            })
            .build_with_values(
                entries
                    .iter()
                    .enumerate()
                    .map(|(i, (w, _))| (w.as_str(), i as u32)),
            )
            .map_err(|e| rule.error(format!("parameter `{key}`: {e}")))?;
        Ok(WordList { automaton, entries })
    }
}

fn check_homoglyphs(path: &str, table: &str) -> Result<(), RuleError> {
    for (n, line) in table.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let ok = line.split_once('\t').is_some_and(|(from, to)| {
            let (mut f, mut t) = (from.chars(), to.chars());
            match (f.next(), f.next(), t.next(), t.next()) {
                (Some(a), None, Some(b), None) => a.len_utf8() == b.len_utf8(),
                _ => false,
            }
        });
        if !ok {
            return Err(RuleError::new(
                path,
                n + 1,
                "expected `variant<TAB>folded`, one character each of the same UTF-8 length",
            ));
        }
    }
    Ok(())
}

/// A match that starts or ends with a Latin letter inside a longer Latin word (`av` in `java`).
fn inside_latin_word(text: &str, range: &Range<usize>) -> bool {
    let latin = |c: char| c.is_ascii_alphanumeric() || is_fullwidth_alnum(c);
    let first = char_after(text, range.start).is_some_and(latin);
    let last = char_before(text, range.end).is_some_and(latin);
    (first && char_before(text, range.start).is_some_and(latin))
        || (last && char_after(text, range.end).is_some_and(latin))
}

/// Keep the leftmost-longest of overlapping matches, as a leftmost-longest automaton would.
fn leftmost_longest<'a>(matches: &mut [(Range<usize>, usize)], list: &'a WordList) -> Vec<Hit<'a>> {
    matches.sort_by_key(|(r, _)| (r.start, usize::MAX - r.end));
    let mut kept = Vec::new();
    let mut cursor = 0;
    for (range, i) in matches.iter() {
        if range.start >= cursor {
            cursor = range.end;
            let (word, category) = &list.entries[*i];
            kept.push((range.clone(), word.as_str(), category.as_str()));
        }
    }
    kept
}

impl WordList {
    fn contains_any(&self, folded: &str) -> bool {
        self.automaton.leftmost_find_iter(folded).next().is_some()
    }
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
        if let Some(rule) = &self.title {
            rule.find(&self.folder, text, &mut found);
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
        if let Some(message) = skipped {
            doc.flag(StageName::Spam, "spam.context-phrase", message, None);
        }
        let text = doc.text.as_str();
        if found.changes.is_empty() {
            return;
        }
        let removed: usize = found
            .changes
            .iter()
            .map(|c| text[c.range.clone()].chars().count())
            .sum();
        let total = text.chars().count();
        if removed > self.cap_free_chars && removed as f64 > self.max_delete_share * total as f64 {
            let first = found.changes.iter().map(|c| c.range.start).min();
            let message = format!(
                "spam rules would remove {removed} of {total} characters, over the cap of {:.0}% \
                 (setting spam.max_delete_share); nothing removed",
                self.max_delete_share * 100.0
            );
            doc.flag(StageName::Spam, "spam.cap", message, first);
            return;
        }
        doc.apply(StageName::Spam, found.changes);
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Byte ranges of the lines of `text`, without their newline.
fn line_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    text.split('\n').map(move |line| {
        let range = start..start + line.len();
        start = range.end + 1;
        range
    })
}

/// A line range extended over its newline, so removing it leaves no empty line behind.
fn with_newline(text: &str, range: Range<usize>) -> Range<usize> {
    if text[range.end..].starts_with('\n') {
        range.start..range.end + 1
    } else {
        range
    }
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn char_after(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

fn is_fullwidth_alnum(c: char) -> bool {
    matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}')
}

/// Ends a clause: CJK or ASCII punctuation, or a line break.
fn is_clause_break(c: char) -> bool {
    is_cjk_punct(c) || c.is_ascii_punctuation() || c == '\n'
}

/// The language-model evidence that a span was inserted: how much more probable the few characters
/// on either side are when they are read together (a word the span had split, 電|九州娛樂|商 → 電商)
/// than when read apart. Near zero when the span sits between words.
fn join_gain(text: &str, range: &Range<usize>) -> f64 {
    const SIDE: usize = 3;
    let left: String = {
        let mut l: Vec<char> = text[..range.start]
            .chars()
            .rev()
            .take_while(|c| is_han(*c))
            .take(SIDE)
            .collect();
        l.reverse();
        l.into_iter().collect()
    };
    let right: String = text[range.end..]
        .chars()
        .take_while(|c| is_han(*c))
        .take(SIDE)
        .collect();
    if left.is_empty() || right.is_empty() {
        return 0.0;
    }
    let model = lm::model();
    model.score(&format!("{left}{right}")) - model.score(&left) - model.score(&right)
}

/// Whether a span edge at `at` would cut a word in two (所|谓): an inserted span starts and ends
/// between words of the text around it.
fn splits_word(text: &str, at: usize, min_join_gain: f64) -> bool {
    join_gain(text, &(at..at)) >= min_join_gain
}

impl Spam {
    /// Extend a span over the comma its injector appended, if one follows.
    fn with_comma(&self, text: &str, range: Range<usize>) -> (Range<usize>, bool) {
        match char_after(text, range.end) {
            Some(c) if self.commas.contains(&c) => (range.start..range.end + c.len_utf8(), true),
            _ => (range, false),
        }
    }

    /// Extend a span left over a short brand code glued to it (ＡＧ, Ｊ９, DG).
    fn with_brand_code(&self, text: &str, range: Range<usize>) -> Range<usize> {
        let before = &text[..range.start];
        let code: Vec<char> = before
            .chars()
            .rev()
            .take_while(|c| is_fullwidth_alnum(*c) || c.is_ascii_uppercase() || c.is_ascii_digit())
            .take(4)
            .collect();
        let len: usize = code.iter().map(|c| c.len_utf8()).sum();
        let start = range.start - len;
        let glued_to_latin = char_before(text, start).is_some_and(|c| c.is_ascii_alphanumeric());
        let any_fullwidth = code.iter().any(|c| is_fullwidth_alnum(*c));
        if code.is_empty() || code.len() > 3 || (glued_to_latin && !any_fullwidth) {
            range
        } else {
            start..range.end
        }
    }

    fn is_comma(&self, c: char) -> bool {
        self.commas.contains(&c)
    }
}

// ---------------------------------------------------------------------------------------------
// Title hijack

impl TitleRule {
    fn find(&self, folder: &Folder, text: &str, found: &mut Found) {
        let Some(line) = line_ranges(text).find(|r| !text[r.clone()].trim().is_empty()) else {
            return;
        };
        let line_text = &text[line.clone()];
        let groups = line_text
            .split(|c: char| self.separators.contains(&c))
            .filter(|g| !g.trim().is_empty())
            .count();
        if groups < self.min_groups {
            return;
        }
        let folded = folder.fold_text(line_text);
        let coverage = coverage(&self.words, &folded);
        let specific = self
            .words
            .automaton
            .find_overlapping_iter(&folded)
            .filter(|m| self.words.entries[m.value() as usize].1 != "generic")
            .count();
        if coverage >= self.min_coverage && specific >= self.min_specific_words {
            let reason = format!(
                "first line of {groups} keyword groups, {:.0}% of its letters are hijacked-title \
                 words, {specific} of them specific",
                coverage * 100.0
            );
            found.remove(with_newline(text, line), &self.id, reason);
        }
    }
}

/// The share of letters (Han, Latin, digits) of `folded` covered by words of the list.
fn coverage(words: &WordList, folded: &str) -> f64 {
    let is_letter = |c: char| is_han(c) || c.is_alphanumeric();
    let total = folded.chars().filter(|c| is_letter(*c)).count();
    if total == 0 {
        return 0.0;
    }
    let covered: usize = words
        .automaton
        .find_overlapping_iter(folded)
        .fold(Vec::<Range<usize>>::new(), |mut acc, m| {
            match acc.last_mut() {
                Some(last) if m.start() <= last.end => last.end = last.end.max(m.end()),
                _ => acc.push(m.start()..m.end()),
            }
            acc
        })
        .iter()
        .map(|r| folded[r.clone()].chars().filter(|c| is_letter(*c)).count())
        .sum();
    covered as f64 / total as f64
}

// ---------------------------------------------------------------------------------------------
// Keyword stuffing lines

impl StuffingRule {
    fn find(&self, stage: &Spam, text: &str, found: &mut Found) {
        for line in line_ranges(text) {
            let line_text = &text[line.clone()];
            let ends_sentence = line_text
                .trim_end()
                .ends_with(['。', '！', '？', '!', '?', '…']);
            if ends_sentence || !self.has_only_short_items(line_text) {
                continue;
            }
            let items: Vec<&str> = line_text
                .split(|c: char| self.separators.contains(&c))
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .collect();
            if items.len() < self.min_items {
                continue;
            }
            let spam = items.iter().filter(|i| stage.is_spam_words(i)).count();
            // Weak cue words (推荐, 借款) add to the share once the line has enough strong items.
            let weak = items
                .iter()
                .filter(|i| !stage.is_spam_words(i) && stage.has_weak_cue(i))
                .count();
            let share = (spam + weak) as f64 / items.len() as f64;
            if spam >= self.min_items && share >= self.min_spam_share {
                let reason = format!(
                    "line of {} short items, {spam} of them listed spam phrases or cue words, \
                     {weak} with weak cue words",
                    items.len()
                );
                found.remove(with_newline(text, line), &self.id, reason);
            }
        }
    }

    /// One pass that gives up at the first long item: a paragraph fails within a few characters.
    fn has_only_short_items(&self, line: &str) -> bool {
        let mut run = 0;
        for c in line.chars() {
            if self.separators.contains(&c) {
                run = 0;
            } else {
                run += 1;
                if run > self.max_item_chars {
                    return false;
                }
            }
        }
        true
    }
}

impl Spam {
    /// Whether a short text contains a listed phrase or a cue word (on its folded form).
    fn has_weak_cue(&self, original: &str) -> bool {
        let folded = self.folder.fold_text(original);
        self.context
            .as_ref()
            .is_some_and(|c| c.weak_cues.contains_any(&folded))
    }

    fn is_spam_words(&self, original: &str) -> bool {
        let folded = self.folder.fold_text(original);
        self.listed
            .as_ref()
            .is_some_and(|l| l.phrases.contains_any(&folded))
            || self
                .context
                .as_ref()
                .is_some_and(|c| c.cues.contains_any(&folded))
    }
}

// ---------------------------------------------------------------------------------------------
// Anti-scraping tokens

/// One run of words interleaved with tokens: `@交%Nd2r1%换或買%dQ21R%賣@`.
struct TokenGroup {
    /// The whole group, wrappers included.
    outer: Range<usize>,
    /// What to remove when the words are real: the tokens and the wrappers.
    noise: Vec<Range<usize>>,
    /// The words with the tokens taken out.
    words: String,
}

impl TokenRule {
    fn find(&self, stage: &Spam, text: &str, found: &mut Found) {
        for group in self.groups(text) {
            if stage.is_spam_words(&group.words) {
                let (range, comma) = stage.with_comma(text, group.outer.clone());
                let reason = format!(
                    "spam words `{}` wrapped in anti-scraping tokens{}",
                    group.words,
                    if comma {
                        ", with the injector's comma"
                    } else {
                        ""
                    }
                );
                found.remove(range, &self.phrase_id, reason);
            } else {
                for range in group.noise {
                    let reason = format!("anti-scraping token around `{}`", group.words);
                    found.remove(range, &self.id, reason);
                }
            }
        }
    }

    /// Tokens with matching delimiters, grouped when only a few Han characters separate them.
    fn tokens(&self, text: &str) -> Vec<Range<usize>> {
        self.token
            .find_iter(text)
            .filter(|m| {
                let s = m.as_str();
                s.chars().next() == s.chars().next_back()
            })
            .map(|m| m.range())
            .collect()
    }

    fn groups(&self, text: &str) -> Vec<TokenGroup> {
        let tokens = self.tokens(text);
        let mut groups = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let mut j = i;
            while j + 1 < tokens.len() && self.is_piece(&text[tokens[j].end..tokens[j + 1].start]) {
                j += 1;
            }
            if let Some(group) = self.group(text, &tokens[i..=j]) {
                groups.push(group);
            }
            i = j + 1;
        }
        groups
    }

    fn is_piece(&self, s: &str) -> bool {
        let n = s.chars().count();
        n >= 1 && n <= self.max_piece_chars && s.chars().all(is_han)
    }

    /// The group around consecutive tokens: a piece of words before the first and after the last,
    /// ended by a wrapper character (the same on both sides) or, without wrappers, one character.
    fn group(&self, text: &str, tokens: &[Range<usize>]) -> Option<TokenGroup> {
        let first = tokens.first()?.clone();
        let last = tokens.last()?.clone();
        let lead: Vec<char> = text[..first.start]
            .chars()
            .rev()
            .take_while(|c| is_han(*c))
            .take(self.max_piece_chars + 1)
            .collect();
        let trail: Vec<char> = text[last.end..]
            .chars()
            .take_while(|c| is_han(*c))
            .take(self.max_piece_chars + 1)
            .collect();
        if lead.is_empty() || trail.is_empty() {
            return None;
        }
        let wrapped = |lead_len: usize, trail_len: usize| -> Option<char> {
            let start = first.start - lead[..lead_len].iter().map(|c| c.len_utf8()).sum::<usize>();
            let end = last.end
                + trail[..trail_len]
                    .iter()
                    .map(|c| c.len_utf8())
                    .sum::<usize>();
            let (b, a) = (char_before(text, start)?, char_after(text, end)?);
            (b == a && self.wrappers.contains(&b)).then_some(b)
        };
        // Prefer the piece lengths that meet a wrapper on both sides; else one character each.
        let (lead_len, trail_len, wrapper) = (1..=lead.len().min(self.max_piece_chars))
            .flat_map(|l| (1..=trail.len().min(self.max_piece_chars)).map(move |t| (l, t)))
            .find_map(|(l, t)| wrapped(l, t).map(|w| (l, t, Some(w))))
            .unwrap_or((1, 1, None));
        let start = first.start - lead[..lead_len].iter().map(|c| c.len_utf8()).sum::<usize>();
        let end = last.end
            + trail[..trail_len]
                .iter()
                .map(|c| c.len_utf8())
                .sum::<usize>();
        let mut noise: Vec<Range<usize>> = tokens.to_vec();
        let mut outer = start..end;
        if let Some(w) = wrapper {
            let wl = w.len_utf8();
            noise.insert(0, start - wl..start);
            noise.push(end..end + wl);
            outer = start - wl..end + wl;
        }
        let mut words = String::new();
        let mut cursor = start;
        for t in tokens {
            words.push_str(&text[cursor..t.start]);
            cursor = t.end;
        }
        words.push_str(&text[cursor..end]);
        Some(TokenGroup {
            outer,
            noise,
            words,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Listed phrases

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

impl Evidence {
    fn of(stage: &Spam, text: &str, span: &Range<usize>, with_comma: &Range<usize>) -> Self {
        let comma = with_comma.end > span.end;
        let after = char_after(text, with_comma.end);
        let before = char_before(text, span.start);
        Evidence {
            comma,
            stray_comma: comma && after.is_none_or(is_clause_break),
            join_gain: join_gain(text, with_comma),
            whole_clause: comma && before.is_none_or(|c| is_clause_break(c) || stage.is_comma(c)),
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.stray_comma {
            parts.push("stray comma before punctuation".to_string());
        } else if self.comma {
            parts.push("the injector's comma".to_string());
        }
        if self.whole_clause {
            parts.push("a whole clause".to_string());
        }
        if self.join_gain > 0.5 {
            parts.push(format!("LM join gain {:.1}", self.join_gain));
        }
        parts.join(", ")
    }
}

impl ListedRule {
    fn find(&self, stage: &Spam, text: &str, hits: &[Hit], found: &mut Found) {
        let mut candidates = Vec::new();
        for (original, word, category) in hits {
            let span = stage.with_brand_code(text, original.clone());
            if found.overlaps(&span) {
                continue;
            }
            let (range, _) = stage.with_comma(text, span.clone());
            let evidence = Evidence::of(stage, text, &span, &range);
            candidates.push((word, category, range, evidence));
        }
        if candidates.is_empty() {
            return;
        }
        // A phrase that also occurs with no sign of injection, or whose first word the page uses
        // elsewhere (玛卡 in an article on maca), is the page's own topic: then only occurrences with
        // strong evidence go.
        let fluent: HashSet<&str> = candidates
            .iter()
            .filter(|(_, _, _, e)| !e.comma && e.join_gain < self.min_join_gain)
            .map(|(w, _, _, _)| **w)
            .collect();
        let head = |word: &str| -> String { word.chars().take(2).collect() };
        let mut in_phrases: HashMap<String, usize> = HashMap::new();
        for (word, _, _, _) in &candidates {
            *in_phrases.entry(head(word)).or_default() += 1;
        }
        let folded_text = stage.folder.fold_text(text);
        let elsewhere: HashSet<String> = in_phrases
            .into_iter()
            .filter(|(h, n)| folded_text.matches(h.as_str()).count() > *n)
            .map(|(h, _)| h)
            .collect();
        let head_elsewhere = |word: &str| elsewhere.contains(&head(word));
        for (word, category, range, evidence) in &candidates {
            let strong = evidence.stray_comma || evidence.join_gain >= self.min_join_gain;
            let supported = fluent.contains(*word) || head_elsewhere(word);
            let keep = if supported {
                !strong
            } else {
                !strong && !evidence.comma
            };
            if keep {
                continue;
            }
            let reason = format!(
                "listed phrase `{word}` ({category}); {}",
                evidence.describe()
            );
            found.remove(range.clone(), &self.id, reason);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Phrases in no list

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

impl Candidate {
    fn strong(&self, min_join_gain: f64) -> bool {
        self.evidence.stray_comma || self.evidence.join_gain >= min_join_gain
    }

    /// Whether this occurrence counts as injected rather than as the page using the word: a comma
    /// right after the cue, or a comma after words that look injected (a whole clause, a brand
    /// code, a split word); a comma after ordinary words (赌球行为,) is the text's own.
    fn marks_injection(&self, min_join_gain: f64) -> bool {
        let e = &self.evidence;
        e.stray_comma
            || (e.comma
                && (!self.extended_right
                    || e.whole_clause
                    || self.branded
                    || e.join_gain >= min_join_gain))
    }

    /// A comma that marks an injection by itself: after a phrase that is a whole clause
    /// (,运彩分析,) or that carries a brand code. After a phrase that ends a clause of the text
    /// (他沉迷赌博,) a comma is ordinary punctuation.
    fn telling_comma(&self) -> bool {
        self.evidence.comma && (self.evidence.whole_clause || self.branded)
    }
}

impl ContextRule {
    fn find(
        &self,
        stage: &Spam,
        text: &str,
        strong_cues: &[Hit],
        weak_cues: &[Hit],
        found: &mut Found,
    ) {
        let strong = strong_cues.iter().map(|h| (h, false));
        let weak = weak_cues.iter().map(|h| (h, true));
        let cues: Vec<(Range<usize>, &str, &str, bool)> = strong
            .chain(weak)
            .map(|((r, w, c), weak)| (r.clone(), *w, *c, weak))
            .collect();
        if cues.is_empty() {
            return;
        }
        let mut candidates = Vec::new();
        for (cue, word, category, weak) in &cues {
            if found.overlaps(cue) {
                continue;
            }
            if let Some(candidate) = self.candidate(stage, text, cue.clone(), *weak) {
                candidates.push((cue.clone(), *word, *category, candidate));
            }
        }
        // Topic support: a cue word of the same category used fluently elsewhere on the page, in
        // running text (a split word alone does not make it injected: 高额|返水|为 → 以为 is chance).
        let injected: HashSet<usize> = candidates
            .iter()
            .filter(|(_, _, _, c)| c.marks_injection(self.min_join_gain))
            .map(|(cue, _, _, _)| cue.start)
            .collect();
        let fluent: HashMap<&str, usize> = cues
            .iter()
            .filter(|(cue, _, _, _)| !injected.contains(&cue.start))
            .fold(HashMap::new(), |mut m, (_, _, c, _)| {
                *m.entry(*c).or_default() += 1;
                m
            });
        let mut removed: Vec<(&str, usize)> = Vec::new();
        for (_, word, category, candidate) in candidates {
            // On a page about the topic a rejoined word can be chance (所谓的娱乐城网站, → 所以):
            // only a stray comma before punctuation counts there.
            let supported = fluent.get(category).copied().unwrap_or(0) > 0;
            let accept = if supported {
                candidate.evidence.stray_comma
            } else {
                candidate.strong(self.min_join_gain) || candidate.telling_comma()
            };
            if !accept {
                continue;
            }
            let range = candidate.range;
            let reason = format!(
                "unlisted phrase `{}` around cue `{word}` ({category}); {}{}",
                &text[range.clone()].trim_end_matches(|c| stage.is_comma(c)),
                candidate.evidence.describe(),
                if supported {
                    ""
                } else {
                    "; no support on the page"
                }
            );
            let phrase = text[range.clone()].trim_end_matches(|c| stage.is_comma(c));
            if !supported && !removed.iter().any(|(p, _)| *p == phrase) {
                removed.push((phrase, range.start));
            }
            found.remove(range, &self.id, reason);
        }
        self.repeats(stage, text, &removed, found);
    }

    /// Other occurrences of a removed phrase, each with its own comma: an injector repeats its
    /// phrase through the page, and the repetition is the evidence.
    fn repeats(&self, stage: &Spam, text: &str, removed: &[(&str, usize)], found: &mut Found) {
        for (phrase, first) in removed {
            for (at, _) in text.match_indices(phrase) {
                let span = at..at + phrase.len();
                let (range, comma) = stage.with_comma(text, span);
                if comma && !found.overlaps(&range) {
                    let reason = format!(
                        "repeats the unlisted phrase `{phrase}` removed at byte {first}, with the \
                         injector's comma"
                    );
                    found.remove(range, &self.id, reason);
                }
            }
        }
    }

    /// The span an injector inserted around a cue: left over name parts and a brand code (or as far
    /// as the language model says a split word rejoins), right to its comma.
    fn candidate(
        &self,
        stage: &Spam,
        text: &str,
        cue: Range<usize>,
        weak: bool,
    ) -> Option<Candidate> {
        let end = self.right_end(stage, text, cue.end);
        let name_start = self.name_start(stage, text, cue.start);
        let named = name_start < cue.start;
        let branded = text[name_start..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || is_fullwidth_alnum(c));
        if weak && !named {
            return None;
        }
        let candidates: Vec<(usize, Range<usize>, Evidence)> = self
            .left_starts(text, cue.start)
            .into_iter()
            .filter(|&start| {
                text[start..end].chars().count() <= self.max_span_chars
                    && !splits_word(text, start, self.min_join_gain)
            })
            .map(|start| {
                let span = start..end;
                let (range, _) = stage.with_comma(text, span.clone());
                let evidence = Evidence::of(stage, text, &span, &range);
                (start, range, evidence)
            })
            .collect();
        // The start where a split word rejoins best (the name's start when it does as well), else
        // the name's start.
        let best_gain = candidates
            .iter()
            .map(|(_, _, e)| e.join_gain)
            .fold(f64::NEG_INFINITY, f64::max);
        let chosen = if best_gain >= self.min_join_gain {
            candidates
                .into_iter()
                .filter(|(_, _, e)| e.join_gain >= best_gain - 0.5)
                .min_by_key(|(start, _, _)| (*start != name_start, usize::MAX - *start))
        } else {
            candidates
                .into_iter()
                .find(|(start, _, _)| *start == name_start)
        };
        chosen.map(|(_, range, evidence)| Candidate {
            range,
            evidence,
            branded,
            extended_right: end > cue.end,
        })
    }

    /// Where the span ends: at the cue, or at a comma a few Han characters after it.
    fn right_end(&self, stage: &Spam, text: &str, cue_end: usize) -> usize {
        let mut end = cue_end;
        for c in text[cue_end..].chars().take(self.max_extend_chars + 1) {
            if stage.is_comma(c) {
                return end;
            }
            if !is_han(c) && !c.is_alphanumeric() {
                break;
            }
            end += c.len_utf8();
        }
        cue_end
    }

    /// Candidate starts: the cue start and up to `max_extend_chars` Han characters before it.
    fn left_starts(&self, text: &str, cue_start: usize) -> Vec<usize> {
        let mut starts = vec![cue_start];
        let mut at = cue_start;
        // Invisible characters inside the phrase (网\u{200B}络) are stepped over, not counted.
        for c in text[..cue_start].chars().rev() {
            at -= c.len_utf8();
            if is_invisible(c) {
                continue;
            }
            if starts.len() > self.max_extend_chars
                || !(is_han(c) || is_fullwidth_alnum(c) || c.is_ascii_alphanumeric())
            {
                break;
            }
            starts.push(at);
        }
        starts
    }

    /// The start after extending left over name parts (亚洲, 线上) and a brand code.
    fn name_start(&self, stage: &Spam, text: &str, cue_start: usize) -> usize {
        let mut start = cue_start;
        loop {
            let window_start = text[..start]
                .char_indices()
                .rev()
                .nth(self.max_extend_chars.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            let window = &text[window_start..start];
            let folded = stage.folder.fold(window);
            let suffix = self
                .name_parts
                .automaton
                .find_overlapping_iter(&folded.text)
                .filter(|m| m.end() == folded.text.len())
                .map(|m| folded.original_range(m.start()..m.end(), window).start)
                .min();
            match suffix {
                Some(s) if window_start + s < start => start = window_start + s,
                _ => break,
            }
        }
        stage.with_brand_code(text, start..start).start
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
