//! `boilerplate`: site chrome in text — breadcrumbs, copyright and licence lines, footer and widget
//! words, bylines, related-article headings with the short lines under them, numbered link lists and
//! the short tail of a page after its footer.
//!
//! Every rule looks at whole lines of at most `max_line_chars` characters (`[settings.boilerplate]`,
//! or the rule's own `max_line_chars` when its pattern cannot occur in a sentence): without that
//! limit the copyright rule ate real sentences. Lines typed `Title` by the html stage are
//! never removed. Works on text inputs and on the html stage's blocks alike.

use std::ops::Range;

use regex::Regex;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::rules::settings::BoilerplateSettings;
use crate::stages::Stage;
use crate::text::chars::{FULL_STOPS, STATEMENT_ENDS, is_sentence_punct};
use crate::text::lines::{line_ranges, looks_like_title, opens_with_title};
use crate::types::{BlockKind, StageName};

mod kinds;

use kinds::compile;
pub use kinds::{BoilerplateKind, BoilerplateParams};

pub struct Boilerplate {
    rules: Vec<LineRule>,
}

struct LineRule {
    id: String,
    kind: Kind,
    /// Block kinds the rule leaves alone (numbers in table cells are data).
    skip_kinds: Vec<BlockKind>,
    /// A removal by this rule may start the page's footer (see [`Kind::FooterTail`]).
    ends_page: bool,
    /// Longer lines are never touched by this rule.
    max_line_chars: usize,
}

enum Kind {
    /// A line matching the pattern goes; a line that ends a sentence goes only when it also matches
    /// `sentence_pattern` (when the rule has one): `版權所有` in a footer, not in `版權所有人是誰。`.
    Line {
        pattern: Regex,
        sentence_pattern: Option<Regex>,
    },
    /// A line made only of these words and separators goes.
    Words { words: Vec<String> },
    /// The matched start of a line goes (a doubled byline) when all its capture groups hold the same
    /// text: the `regex` crate has no back-references, so `(name):(name):` is checked here.
    Prefix { pattern: Regex },
    /// A line among the first `within` lines that is only short space-separated keywords goes.
    KeywordLine { within: usize, min_words: usize },
    /// A heading line goes with the run of short lines under it.
    Heading {
        pattern: Regex,
        max_item_chars: usize,
    },
    /// A notice heading goes with the lines under it up to a bare URL (at most `max_lines`).
    Notice { pattern: Regex, max_lines: usize },
    /// A run of `min_run` or more short lines numbered 1, 2, 3, … goes.
    NumberedRun {
        min_run: usize,
        max_item_chars: usize,
    },
    /// After the last line removed by an `ends_page` rule, the few short lines left go too.
    FooterTail { max_lines: usize },
    /// A line matching the pattern (a number-only line: a count, a time, a pager's `[1]`) goes by
    /// its place, never by itself: before the page's first sentence, or in a run of such lines next
    /// to a line another rule removes. A lone number between kept lines may be a table cell or a
    /// section number, and the text does not show which: judged by what the text shows, a line the
    /// first pass keeps is kept by a second.
    Counter { pattern: Regex },
}

impl LineRule {
    /// Whether the rule may touch `line` at all: never the title, and only short lines.
    fn may_remove(&self, line: &Line) -> bool {
        line.kind != BlockKind::Title
            && !line.text.trim().is_empty()
            && line.chars <= self.max_line_chars
            && !self.skip_kinds.contains(&line.kind)
    }
}

struct Line<'a> {
    /// The line without its newline.
    range: Range<usize>,
    text: &'a str,
    chars: usize,
    kind: BlockKind,
    /// The first line of an untyped text that its layout shows as the title (a title-like line over
    /// a blank line, as `clean` writes one): not a keyword line under the title, so that cleaning an
    /// output again keeps the title the first pass kept.
    shown_as_title: bool,
    /// Whether the text is untyped (its layout takes a title-like first line as the title).
    untyped: bool,
}

impl Line<'_> {
    fn is_body(&self) -> bool {
        self.kind != BlockKind::Title && !self.shown_as_title
    }

    fn ends_sentence(&self) -> bool {
        self.text
            .trim_end()
            .trim_end_matches(['」', '』', '”', '）', ')'])
            .ends_with(FULL_STOPS)
    }
}

impl Boilerplate {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let max_line_chars = rules.settings::<BoilerplateSettings>()?.max_line_chars;
        let rules = rules
            .for_stage(StageName::Boilerplate)
            .map(|rule| compile(rule, max_line_chars))
            .collect::<Result<_, _>>()?;
        Ok(Boilerplate { rules })
    }

    /// Which lines each rule removes, as (line index, rule index); the first rule to claim a line
    /// keeps it.
    fn claims(&self, lines: &[Line]) -> Vec<Option<usize>> {
        let mut claimed: Vec<Option<usize>> = vec![None; lines.len()];
        for (r, rule) in self.rules.iter().enumerate() {
            let removable = |line: &Line| rule.may_remove(line);
            match &rule.kind {
                Kind::Line {
                    pattern,
                    sentence_pattern,
                } => {
                    for (i, line) in lines.iter().enumerate() {
                        // Long lines are never removable: test that before any regex runs.
                        if !removable(line) {
                            continue;
                        }
                        let text = line.text.trim();
                        let matches = match sentence_pattern {
                            Some(sentence) if line.ends_sentence() => sentence.is_match(text),
                            _ => pattern.is_match(text),
                        };
                        if matches {
                            claimed[i].get_or_insert(r);
                        }
                    }
                }
                Kind::Words { words } => {
                    for (i, line) in lines.iter().enumerate() {
                        if removable(line) && only_words(line.text, words) {
                            claimed[i].get_or_insert(r);
                        }
                    }
                }
                Kind::KeywordLine { within, min_words } => {
                    for (i, line) in lines.iter().enumerate().take(*within) {
                        if removable(line)
                            && !line.shown_as_title
                            && is_keyword_line(line.text, *min_words)
                        {
                            claimed[i].get_or_insert(r);
                        }
                    }
                }
                Kind::Heading {
                    pattern,
                    max_item_chars,
                } => {
                    for i in 0..lines.len() {
                        if removable(&lines[i]) && pattern.is_match(lines[i].text.trim()) {
                            claimed[i].get_or_insert(r);
                            for j in i + 1..lines.len() {
                                let line = &lines[j];
                                if line.text.trim().is_empty() || claimed[j].is_some() {
                                    continue;
                                }
                                if !removable(line) || !is_list_item(line, *max_item_chars) {
                                    break;
                                }
                                claimed[j] = Some(r);
                            }
                        }
                    }
                }
                Kind::Notice { pattern, max_lines } => {
                    for i in 0..lines.len() {
                        if removable(&lines[i]) && pattern.is_match(lines[i].text.trim()) {
                            claimed[i].get_or_insert(r);
                            let url = (i + 1..lines.len().min(i + 1 + max_lines))
                                .find(|&j| is_bare_url(lines[j].text));
                            for slot in claimed
                                .iter_mut()
                                .take(url.map_or(0, |u| u + 1))
                                .skip(i + 1)
                            {
                                slot.get_or_insert(r);
                            }
                        }
                    }
                }
                Kind::NumberedRun {
                    min_run,
                    max_item_chars,
                } => {
                    for run in numbered_runs(lines, *max_item_chars) {
                        if run.len() >= *min_run
                            && run.iter().all(|&i| removable(&lines[i]))
                            && !prose_follows(lines, &run)
                        {
                            for i in run {
                                claimed[i].get_or_insert(r);
                            }
                        }
                    }
                }
                Kind::Prefix { .. } | Kind::FooterTail { .. } | Kind::Counter { .. } => {}
            }
        }
        self.counters(lines, &mut claimed);
        self.footer_tail(lines, &mut claimed);
        claimed
    }

    /// The `counter` rules' claims, judged once every line rule has claimed its lines.
    fn counters(&self, lines: &[Line], claimed: &mut [Option<usize>]) {
        for (r, rule) in self.rules.iter().enumerate() {
            let Kind::Counter { pattern } = &rule.kind else {
                continue;
            };
            let shown: Vec<usize> = (0..lines.len())
                .filter(|&i| !lines[i].text.trim().is_empty())
                .collect();
            let is_counter = |i: usize| {
                claimed[i].is_none()
                    && rule.may_remove(&lines[i])
                    && pattern.is_match(lines[i].text.trim())
            };
            let counters: Vec<bool> = shown.iter().map(|&i| is_counter(i)).collect();
            // The page's header: the lines before the first sentence of its body (a title can
            // end with a question mark) that no rule removes.
            // An untyped text's first line left is laid out as its title when it looks like one
            // (`Cleaned::render`, with a blank line under it): not the first sentence here either,
            // so a second pass, which reads it as the title, finds the same header.
            let title = shown
                .iter()
                .copied()
                .find(|&i| claimed[i].is_none())
                .filter(|&i| lines[i].untyped && looks_like_title(lines[i].text.trim()));
            let header_end = shown.iter().position(|&i| {
                claimed[i].is_none()
                    && lines[i].is_body()
                    && Some(i) != title
                    && lines[i].ends_sentence()
            });
            let mut taken: Vec<usize> = Vec::new();
            let mut p = 0;
            while p < shown.len() {
                if !counters[p] {
                    p += 1;
                    continue;
                }
                let end = (p..shown.len())
                    .find(|&q| !counters[q])
                    .unwrap_or(shown.len());
                let beside_removed = [p.checked_sub(1), Some(end)]
                    .into_iter()
                    .flatten()
                    .filter_map(|q| shown.get(q))
                    .any(|&i| claimed[i].is_some());
                taken.extend(
                    (p..end).filter(|&q| beside_removed || header_end.is_some_and(|h| q < h)),
                );
                p = end;
            }
            for q in taken {
                claimed[shown[q]] = Some(r);
            }
        }
    }

    fn footer_tail(&self, lines: &[Line], claimed: &mut [Option<usize>]) {
        let Some((r, max_lines)) =
            self.rules
                .iter()
                .enumerate()
                .find_map(|(r, rule)| match rule.kind {
                    Kind::FooterTail { max_lines } => Some((r, max_lines)),
                    _ => None,
                })
        else {
            return;
        };
        let last_footer = (0..lines.len())
            .rev()
            .find(|&i| claimed[i].is_some_and(|c| self.rules[c].ends_page));
        let Some(last) = last_footer else {
            return;
        };
        let rest: Vec<usize> = (last + 1..lines.len())
            .filter(|&i| claimed[i].is_none() && !lines[i].text.trim().is_empty())
            .collect();
        // A full sentence after the footer (the author's note under a reprint notice) is
        // article, not footer: its tail stays.
        if rest.len() <= max_lines
            && rest
                .iter()
                .all(|&i| self.rules[r].may_remove(&lines[i]) && !lines[i].ends_sentence())
        {
            for i in rest {
                claimed[i] = Some(r);
            }
        }
    }
}

impl Stage for Boilerplate {
    fn name(&self) -> StageName {
        StageName::Boilerplate
    }

    fn run(&self, doc: &mut Document) {
        let mut lines = split_lines(doc);
        // A doubled byline's prefix goes whatever else happens to its line, so the other rules
        // judge the rest of the line, as cleaning the output again would see it: the `1` left by
        // `新聞標題：新聞標題：1` is a page number.
        let prefixes: Vec<Option<(&LineRule, Range<usize>)>> =
            lines.iter().map(|line| self.doubled_prefix(line)).collect();
        for (line, prefix) in lines.iter_mut().zip(&prefixes) {
            if let Some((_, range)) = prefix {
                line.text = &line.text[range.end - line.range.start..];
                line.chars = line.text.trim().chars().count();
            }
        }
        let claimed = self.claims(&lines);
        let final_run = final_run_start(&lines, &claimed);
        let mut changes = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some(r) = claimed[i] {
                let rule = &self.rules[r];
                let range = line_span(&doc.text, line.range.clone(), i >= final_run);
                changes.push(Change::remove(range, &rule.id, reason(&rule.kind)));
            } else if let Some((rule, range)) = &prefixes[i] {
                changes.push(Change::remove(range.clone(), &rule.id, reason(&rule.kind)));
            }
        }
        doc.apply(StageName::Boilerplate, changes);
    }
}

impl Boilerplate {
    /// The first `prefix` rule's doubled prefix of `line`, as a range of the text.
    fn doubled_prefix(&self, line: &Line) -> Option<(&LineRule, Range<usize>)> {
        self.rules.iter().find_map(|rule| match &rule.kind {
            Kind::Prefix { pattern } if line.chars <= rule.max_line_chars => {
                let m = repeated_prefix(pattern, line.text)?;
                Some((
                    rule,
                    line.range.start + m.start()..line.range.start + m.end(),
                ))
            }
            _ => None,
        })
    }
}

/// The match of `pattern` at the start of `text` when its capture groups all hold the same text.
fn repeated_prefix<'t>(pattern: &Regex, text: &'t str) -> Option<regex::Match<'t>> {
    let captures = pattern.captures(text)?;
    let mut groups = captures.iter().skip(1).flatten().map(|g| g.as_str());
    let first = groups.next();
    groups
        .all(|g| Some(g) == first)
        .then(|| captures.get(0))
        .flatten()
}

fn reason(kind: &Kind) -> &'static str {
    match kind {
        Kind::Line { .. } => "short line matching a chrome pattern",
        Kind::Words { .. } => "line of only chrome words",
        Kind::Prefix { .. } => "repeated byline prefix",
        Kind::KeywordLine { .. } => "keyword line in the page header",
        Kind::Heading { .. } => "related-article heading or a short line listed under it",
        Kind::Notice { .. } => "promotional notice up to its link",
        Kind::NumberedRun { .. } => "numbered list of short titles",
        Kind::FooterTail { .. } => "short line after the page footer",
        Kind::Counter { .. } => "number-only line in the page header or beside removed chrome",
    }
}

fn split_lines(doc: &Document) -> Vec<Line<'_>> {
    let untyped = doc.kinds.is_empty();
    let untyped_title = untyped && opens_with_title(&doc.text);
    line_ranges(&doc.text)
        .enumerate()
        .map(|(index, range)| {
            let text = &doc.text[range.clone()];
            Line {
                range,
                text,
                chars: text.trim().chars().count(),
                kind: doc.kind_of_line(index),
                shown_as_title: index == 0 && untyped_title,
                untyped,
            }
        })
        .collect()
}

/// The first line of the run of removed (or blank) lines that ends the text; `lines.len()` when the
/// last line stays.
fn final_run_start(lines: &[Line], claimed: &[Option<usize>]) -> usize {
    let mut start = lines.len();
    while start > 0 && (claimed[start - 1].is_some() || lines[start - 1].text.trim().is_empty()) {
        start -= 1;
    }
    start
}

/// What removing a line takes: the line and its newline; in the run of removed lines that ends the
/// text, the newline before it instead (none for the first line of the text), so no trailing
/// newline is left. Either way the spans of neighbouring lines don't overlap: had the first line
/// of a text that is all chrome taken its newline, the second line's span would overlap it and be
/// dropped, and that line would go only when the text was cleaned again.
fn line_span(text: &str, range: Range<usize>, in_final_run: bool) -> Range<usize> {
    if in_final_run {
        range.start.saturating_sub(1)..range.end
    } else if range.end < text.len() {
        range.start..range.end + 1
    } else {
        range
    }
}

/// Separators between chrome words on one line.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || "|｜/·•【】[]()（）:：-—>»›,，、".contains(c)
}

fn only_words(line: &str, words: &[String]) -> bool {
    let mut any = false;
    for token in line.split(is_separator).filter(|t| !t.is_empty()) {
        if !words.iter().any(|w| w == token) {
            return false;
        }
        any = true;
    }
    any
}

fn is_keyword_line(line: &str, min_words: usize) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() >= min_words
        && !line.contains(is_sentence_punct)
        && words.iter().all(|w| (2..=10).contains(&w.chars().count()))
}

/// A line that can stand under a related-articles heading: short and not ending a sentence.
fn is_list_item(line: &Line, max_chars: usize) -> bool {
    let text = line.text.trim();
    line.chars <= max_chars && !text.ends_with(STATEMENT_ENDS)
}

/// Whether a sentence follows the run before the end of the page: an article's own numbered outline
/// (`1.盡心盡意盡力愛神` … `7.凡事謝恩`) is explained below it, a ranking or related-links list is not.
fn prose_follows(lines: &[Line], run: &[usize]) -> bool {
    let after = run.last().map_or(lines.len(), |&last| last + 1);
    lines[after..].iter().any(Line::ends_sentence)
}

fn is_bare_url(line: &str) -> bool {
    let text = line.trim();
    (text.starts_with("http://") || text.starts_with("https://")) && !text.contains(' ')
}

/// Runs of consecutive non-blank lines numbered k, k+1, … (after an optional bullet), each short.
/// The number is matched as the decimal prefix the run expects, so a title that starts with digits
/// (`- 192012-2013年…` is item 19) does not break the run.
fn numbered_runs(lines: &[Line], max_chars: usize) -> Vec<Vec<usize>> {
    let mut runs = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut next = 1usize;
    for (i, line) in lines.iter().enumerate() {
        let text = line.text.trim();
        if text.is_empty() {
            continue;
        }
        let body = text.trim_start_matches(['-', '•', '·', '*', ' ']);
        let expected = next.to_string();
        if line.chars <= max_chars && !current.is_empty() && body.starts_with(&expected) {
            current.push(i);
            next += 1;
        } else {
            if !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
            let starts_list = body
                .strip_prefix('1')
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()));
            if line.chars <= max_chars && starts_list {
                current.push(i);
                next = 2;
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}
