//! Which script a page is written in, decided from its main text, and which of its characters the
//! stage may touch.
//!
//! A page's title and chrome (navigation, site names) may be in another script than its article:
//! a traditional article on a site whose menus are simplified is a traditional page. So the script
//! is voted by the prose lines (enough Han characters and clause punctuation; not the title line the
//! `html` stage typed), each weighted by its characters; only when a page has no prose do all its
//! lines vote. `auto` then changes only lines written in the page's script: a line whose own
//! characters lean to the other script is text in that script, not a leftover, and is left alone.
//!
//! Garbled runs say nothing about the script and are never converted: `锟斤拷` (U+FFFD written as
//! UTF-8 and read as GBK, all simplified-only characters), and the runs the `mojibake` stage
//! flagged and left. U+FFFD and private-use characters are not Han, so they never vote, and a
//! conversion window stops at them like at any other character that is not Han.

use std::ops::{AddAssign, Range};

use crate::document::{BlockKind, Document};
use crate::stages::StageName;
use crate::text::chars::{is_han, is_sentence_punct};

use super::Region;
use super::classes::CharClasses;

/// What U+FFFD becomes when its UTF-8 bytes are read as GBK (`EF BF BD` → 锟 斤 拷 across pairs).
const REPLACEMENT_READ_AS_GBK: &str = "锟斤拷";

/// How far (in Han characters) a window reaches on either side of a suspect character: long enough
/// for the phrases that decide its conversion.
pub const WINDOW: usize = 6;

/// What a text is written in, from one pass over its characters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    pub han: usize,
    /// Characters that only traditional text uses (they change under t2s).
    pub traditional: usize,
    /// Characters that only simplified text uses (their first s2t conversion differs).
    pub simplified: usize,
    pub hk_glyphs: usize,
    pub standard_glyphs: usize,
}

impl Census {
    pub fn is_traditional(&self) -> bool {
        self.traditional >= self.simplified && self.traditional > 0
    }

    pub fn region(&self) -> Region {
        if self.hk_glyphs > self.standard_glyphs {
            Region::Hk
        } else {
            Region::Tw
        }
    }

    /// Whether a line with this census is written in the page's script: its characters do not
    /// lean to the other one.
    fn agrees_with(&self, page_is_traditional: bool) -> bool {
        if page_is_traditional {
            self.simplified <= self.traditional
        } else {
            self.traditional <= self.simplified
        }
    }
}

impl AddAssign for Census {
    fn add_assign(&mut self, other: Census) {
        self.han += other.han;
        self.traditional += other.traditional;
        self.simplified += other.simplified;
        self.hk_glyphs += other.hk_glyphs;
        self.standard_glyphs += other.standard_glyphs;
    }
}

/// Stretches of a page and the characters in them that a conversion looks at.
#[derive(Debug, Default)]
pub struct Regions {
    /// Byte ranges without garbled runs, ascending; no window crosses their ends.
    pub pieces: Vec<Range<usize>>,
    /// Characters that could be simplified leftovers (byte offsets, ascending).
    pub suspects: Vec<usize>,
    /// Characters that are no suspects but that a suspect's window may still change.
    pub changeable: Vec<usize>,
    /// Han characters in the pieces.
    pub han: usize,
}

/// A page's census and where its characters are.
pub struct Scan {
    /// The census of the page's main text: it decides the script and the region.
    pub census: Census,
    /// The lines written in the page's script (what `auto` may change).
    pub own: Regions,
    /// Every line.
    pub all: Regions,
}

/// One line of the page during the scan.
struct Line {
    census: Census,
    /// Whether it holds sentence or clause punctuation.
    clause_mark: bool,
    /// Whether the line votes on the page's script: prose (at least the minimum of Han
    /// characters and a clause mark), not the title.
    prose: bool,
    title: bool,
    pieces: Range<usize>,
    suspects: Range<usize>,
    changeable: Range<usize>,
}

impl Scan {
    /// Scan `text` (whose lines have the given `kinds`, when typed) around the `garbled` runs
    /// (ascending, disjoint, inside lines), in one pass.
    pub fn new(
        classes: &CharClasses,
        text: &str,
        kinds: &[BlockKind],
        garbled: &[Range<usize>],
        prose_min_han: usize,
    ) -> Self {
        let line_count = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
        let mut lines = Vec::with_capacity(line_count);
        let mut all = Regions {
            pieces: Vec::with_capacity(line_count + garbled.len()),
            ..Regions::default()
        };
        let mut line = Line::starting(&all, kinds.first());
        let mut census = Census::default();
        // The stretches between garbled runs, which nothing counts: a line goes on after one.
        let ends = garbled.iter().map(|g| (g.start, g.end));
        let mut start = 0;
        for (stop, resume) in ends.chain(std::iter::once((text.len(), text.len()))) {
            let stop = stop.max(start);
            let mut piece_start = start;
            for (offset, c) in text[start..stop].char_indices() {
                let at = start + offset;
                // The counts stay in a local (registers), not in the line, until the line ends.
                if classes.tally(c, at, &mut census, &mut all.suspects, &mut all.changeable) {
                    continue;
                }
                if c == '\n' {
                    all.push_piece(piece_start..at);
                    piece_start = at + 1;
                    line.census = std::mem::take(&mut census);
                    let next = Line::starting(&all, kinds.get(lines.len() + 1));
                    let done = std::mem::replace(&mut line, next);
                    lines.push(done.finished(&mut all, prose_min_han));
                } else if !line.clause_mark && is_sentence_punct(c) {
                    line.clause_mark = true;
                }
            }
            all.push_piece(piece_start..stop);
            start = resume.max(stop);
        }
        line.census = census;
        lines.push(line.finished(&mut all, prose_min_han));
        let census = main_text_census(&lines);
        let own = own_script(&lines, &all, census.is_traditional());
        Scan { census, own, all }
    }
}

impl Regions {
    fn push_piece(&mut self, piece: Range<usize>) {
        if !piece.is_empty() {
            self.pieces.push(piece);
        }
    }
}

impl Line {
    /// A line starting where `all` ends, of the given kind.
    fn starting(all: &Regions, kind: Option<&BlockKind>) -> Self {
        Line {
            census: Census::default(),
            clause_mark: false,
            prose: false,
            title: kind == Some(&BlockKind::Title),
            pieces: all.pieces.len()..all.pieces.len(),
            suspects: all.suspects.len()..all.suspects.len(),
            changeable: all.changeable.len()..all.changeable.len(),
        }
    }

    /// The line, its ranges ending where `all` ends, counted into `all`.
    fn finished(mut self, all: &mut Regions, prose_min_han: usize) -> Self {
        self.pieces.end = all.pieces.len();
        self.suspects.end = all.suspects.len();
        self.changeable.end = all.changeable.len();
        self.prose = !self.title && self.clause_mark && self.census.han >= prose_min_han;
        all.han += self.census.han;
        self
    }
}

/// The census of the prose lines that are not the title; of every line that is not the title when
/// none is prose; of every line when that leaves none.
fn main_text_census(lines: &[Line]) -> Census {
    let voters: Vec<&Line> = if lines.iter().any(|l| l.prose) {
        lines.iter().filter(|l| l.prose).collect()
    } else if lines.iter().any(|l| !l.title) {
        lines.iter().filter(|l| !l.title).collect()
    } else {
        lines.iter().collect()
    };
    let mut census = Census::default();
    for line in voters {
        census += line.census;
    }
    census
}

/// The regions of the lines that agree with the page's script.
fn own_script(lines: &[Line], all: &Regions, traditional: bool) -> Regions {
    let mut own = Regions::default();
    for line in lines.iter().filter(|l| l.census.agrees_with(traditional)) {
        own.pieces
            .extend_from_slice(&all.pieces[line.pieces.clone()]);
        own.suspects
            .extend_from_slice(&all.suspects[line.suspects.clone()]);
        own.changeable
            .extend_from_slice(&all.changeable[line.changeable.clone()]);
        own.han += line.census.han;
    }
    own
}

/// Push the parts of `range` outside the (ascending, disjoint) `garbled` runs.
pub fn push_outside(range: Range<usize>, garbled: &[Range<usize>], pieces: &mut Vec<Range<usize>>) {
    let mut start = range.start;
    let first = garbled.partition_point(|g| g.end <= range.start);
    for g in garbled[first..].iter().take_while(|g| g.start < range.end) {
        if start < g.start {
            pieces.push(start..g.start);
        }
        start = start.max(g.end);
    }
    if start < range.end {
        pieces.push(start..range.end);
    }
}

/// The garbled runs of a document's text, ascending and disjoint: runs of `锟斤拷`, and the runs the
/// `mojibake` stage flagged as left garbled (found at their flagged position carried through the
/// edits made since).
pub fn garbled_runs(doc: &Document) -> Vec<Range<usize>> {
    let text = &doc.text;
    let mut runs: Vec<Range<usize>> = replacement_read_as_gbk(text).collect();
    for flag in doc
        .report
        .flags
        .iter()
        .filter(|f| f.stage == StageName::Mojibake)
    {
        let (Some(position), Some(run)) = (flag.position, quoted_run(&flag.message)) else {
            continue;
        };
        let at = carried_forward(doc, StageName::Mojibake, position);
        if text.get(at..).is_some_and(|rest| rest.starts_with(run)) {
            runs.push(at..at + run.len());
        }
    }
    merge(runs)
}

/// The maximal runs of 锟, 斤 and 拷 that hold `锟斤拷`.
pub fn replacement_read_as_gbk(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let is_part = |c: char| matches!(c, '锟' | '斤' | '拷');
    let mut from = 0;
    std::iter::from_fn(move || {
        let rest = text.get(from..)?.as_bytes();
        let found = from + memchr::memmem::find(rest, REPLACEMENT_READ_AS_GBK.as_bytes())?;
        let start = text[..found]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_part(c))
            .last()
            .map_or(found, |(i, _)| i);
        let end = text[found..]
            .char_indices()
            .find(|&(_, c)| !is_part(c))
            .map_or(text.len(), |(i, _)| found + i);
        from = end;
        Some(start..end)
    })
}

/// The run a `mojibake` flag quotes (`garbled run `…` left as it is`), without the note a partial
/// repair adds.
fn quoted_run(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    let (run, _) = rest.split_once('`')?;
    let run = run.strip_suffix(" (partly repaired)").unwrap_or(run);
    (!run.is_empty()).then_some(run)
}

/// Where byte `position` of `stage`'s input is in the document's current text: shifted by every
/// edit of that stage and the later ones before it (a position inside a replaced span goes to the
/// start of the replacement).
fn carried_forward(doc: &Document, stage: StageName, position: usize) -> usize {
    let mut at = position;
    let edits = doc.report.edits.iter().filter(|e| e.stage >= stage);
    let mut current: Option<StageName> = None;
    let mut shift: isize = 0;
    for edit in edits {
        if current != Some(edit.stage) {
            at = at.saturating_add_signed(shift);
            shift = 0;
            current = Some(edit.stage);
        }
        if edit.end <= at {
            shift += edit.after.len() as isize - (edit.end - edit.start) as isize;
        } else if edit.start < at {
            shift += edit.start as isize - at as isize;
        }
    }
    at.saturating_add_signed(shift)
}

/// Sorted, overlapping ranges merged.
pub fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Merged byte ranges of Han runs reaching [`WINDOW`] characters around each position (ascending,
/// each inside one of the ascending `pieces`).
pub fn merged_windows(
    text: &str,
    positions: impl Iterator<Item = usize>,
    pieces: &[Range<usize>],
) -> Vec<Range<usize>> {
    let mut windows: Vec<Range<usize>> = Vec::new();
    let mut piece = 0;
    for at in positions {
        if windows.last().is_some_and(|w| at < w.end) {
            continue;
        }
        while pieces.get(piece).is_some_and(|p| p.end <= at) {
            piece += 1;
        }
        let Some(bounds) = pieces.get(piece).filter(|p| p.start <= at) else {
            continue;
        };
        let window = han_window(text, at, bounds);
        match windows.last_mut() {
            Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
            _ => windows.push(window),
        }
    }
    windows
}

/// The byte range of up to [`WINDOW`] Han characters before and after the character at `at`,
/// stopping at anything that is not Han and at the ends of `bounds`.
pub fn han_window(text: &str, at: usize, bounds: &Range<usize>) -> Range<usize> {
    let Some(c) = text[at..].chars().next() else {
        return at..at;
    };
    let start = text[bounds.start..at]
        .char_indices()
        .rev()
        .take(WINDOW)
        .take_while(|&(_, p)| is_han(p))
        .last()
        .map_or(at, |(i, _)| bounds.start + i);
    let after = at + c.len_utf8();
    let end = text[after..bounds.end.max(after)]
        .char_indices()
        .take(WINDOW)
        .take_while(|&(_, n)| is_han(n))
        .last()
        .map_or(after, |(i, n)| after + i + n.len_utf8());
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Edit;

    #[test]
    fn windows_stop_at_non_han_and_at_piece_ends() {
        let text = "ab什么c";
        let at = text.find('么').unwrap();
        assert_eq!(&text[han_window(text, at, &(0..text.len()))], "什么");
        let text = "锟斤拷什么";
        let at = text.find('么').unwrap();
        assert_eq!(&text[han_window(text, at, &(9..text.len()))], "什么");
    }

    #[test]
    fn runs_of_replacement_garbage_are_found_whole() {
        let text = "說锟斤拷锟斤拷锟了公斤";
        let runs: Vec<&str> = replacement_read_as_gbk(text).map(|r| &text[r]).collect();
        assert_eq!(runs, ["锟斤拷锟斤拷锟"]);
    }

    #[test]
    fn a_flagged_position_follows_later_edits() {
        let mut doc = Document::from_text("甲乙丙丁戊");
        let edit = |stage, start, end, after: &str| Edit {
            stage,
            rule: String::new(),
            start,
            end,
            before: String::new(),
            after: after.into(),
            reason: String::new(),
        };
        // The mojibake stage replaced 乙 by two characters; the pinyin stage then removed 甲.
        doc.report.edits = vec![
            edit(StageName::Mojibake, 3, 6, "乙乙"),
            edit(StageName::Pinyin, 0, 3, ""),
        ];
        // 丁 was at byte 9 of the mojibake stage's input: 12 after it, 9 after the pinyin stage.
        assert_eq!(carried_forward(&doc, StageName::Mojibake, 9), 9);
        assert_eq!(carried_forward(&doc, StageName::Mojibake, 0), 0);
    }

    #[test]
    fn pieces_skip_garbled_runs() {
        let outside = |range, garbled: &[Range<usize>]| {
            let mut pieces = Vec::new();
            push_outside(range, garbled, &mut pieces);
            pieces
        };
        assert_eq!(outside(0..10, &[2..4, 6..7]), vec![0..2, 4..6, 7..10]);
        let whole = std::slice::from_ref(&(0..4));
        assert_eq!(outside(3..5, whole), outside(4..5, &[]));
        assert_eq!(outside(0..4, whole), Vec::<Range<usize>>::new());
    }
}
