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

use crate::document::Document;
use crate::stages::mojibake::LOST_CHARACTER_NOTE;
use crate::text::chars::{is_han, is_sentence_punct};
use crate::types::BlockKind;
use crate::types::StageName;

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

    /// The counts since an earlier running total.
    fn since(self, earlier: Census) -> Census {
        Census {
            han: self.han - earlier.han,
            traditional: self.traditional - earlier.traditional,
            simplified: self.simplified - earlier.simplified,
            hk_glyphs: self.hk_glyphs - earlier.hk_glyphs,
            standard_glyphs: self.standard_glyphs - earlier.standard_glyphs,
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
    /// Every line.
    pub all: Regions,
    /// The lines written in the page's script, when some are not (see [`Scan::own`]).
    own: Option<Regions>,
}

/// What the scan keeps of a line: its script counts and where its pieces, suspects and
/// changeable characters end in [`Regions`] (they start where the previous line's end). Small,
/// because a page has a line per paragraph.
#[derive(Clone, Copy)]
struct Line {
    traditional: u32,
    simplified: u32,
    han: u32,
    pieces_end: u32,
    suspects_end: u32,
    changeable_end: u32,
}

/// The page's census by who votes: prose lines, lines that are not the title, every line.
#[derive(Default)]
struct Votes {
    prose: Census,
    not_title: Census,
    every: Census,
    any_prose: bool,
    any_not_title: bool,
}

impl Votes {
    fn count(&mut self, census: Census, prose: bool, title: bool) {
        if prose {
            self.prose += census;
            self.any_prose = true;
        }
        if !title {
            self.not_title += census;
            self.any_not_title = true;
        }
        self.every += census;
    }

    /// The census of the prose lines; of every line that is not the title when none is prose; of
    /// every line when that leaves none.
    fn main_text(self) -> Census {
        if self.any_prose {
            self.prose
        } else if self.any_not_title {
            self.not_title
        } else {
            self.every
        }
    }
}

/// What the character pass finds: suspect and changeable characters (byte offsets), and at each
/// line break its offset and the running census.
pub(super) struct Found {
    pub(super) suspects: Vec<usize>,
    pub(super) changeable: Vec<usize>,
    pub(super) line_ends: Vec<(usize, Census)>,
}

impl Scan {
    /// Scan `text` (whose lines have the given `kinds`, when typed) around the `garbled` runs
    /// (ascending, disjoint): one pass over the characters, then one over the lines.
    pub fn new(
        classes: &CharClasses,
        text: &str,
        kinds: &[BlockKind],
        garbled: &[Range<usize>],
        prose_min_han: usize,
    ) -> Self {
        let line_count = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
        let mut found = Found {
            suspects: Vec::new(),
            changeable: Vec::new(),
            line_ends: Vec::with_capacity(line_count),
        };
        let mut totals = Census::default();
        // The stretches between garbled runs, which nothing counts: a line goes on after one.
        let ends = garbled.iter().map(|g| (g.start, g.end));
        let mut start = 0;
        for (stop, resume) in ends.chain(std::iter::once((text.len(), text.len()))) {
            let stop = stop.max(start);
            classes.scan(text, start..stop, &mut totals, &mut found);
            start = resume.max(stop);
        }
        found.line_ends.push((text.len(), totals));
        let mut all = Regions {
            pieces: Vec::with_capacity(line_count + garbled.len()),
            suspects: found.suspects,
            changeable: found.changeable,
            han: totals.han,
        };
        let mut lines = Vec::with_capacity(line_count);
        let mut votes = Votes::default();
        let (mut before, mut line_start) = (Census::default(), 0);
        let (mut suspects_end, mut changeable_end) = (0, 0);
        for (index, &(end, totals)) in found.line_ends.iter().enumerate() {
            let census = totals.since(before);
            let title = kinds.get(index) == Some(&BlockKind::Title);
            // A clause mark is looked for only where it decides (a pass of its own, cut short at
            // the first: the character pass stays lean).
            let prose = !title
                && census.han >= prose_min_han
                && text[line_start..end].contains(is_sentence_punct);
            push_outside(line_start..end, garbled, &mut all.pieces);
            suspects_end += all.suspects[suspects_end..].partition_point(|&at| at < end);
            changeable_end += all.changeable[changeable_end..].partition_point(|&at| at < end);
            votes.count(census, prose, title);
            lines.push(Line::new(census, &all, suspects_end, changeable_end));
            (before, line_start) = (totals, end + 1);
        }
        let census = votes.main_text();
        let own = own_script(&lines, &all, census.is_traditional());
        Scan { census, all, own }
    }

    /// The lines written in the page's script (what `auto` may change).
    pub fn own(&self) -> &Regions {
        self.own.as_ref().unwrap_or(&self.all)
    }
}

impl Line {
    /// A line with this census, its pieces ending where `all`'s end.
    fn new(census: Census, all: &Regions, suspects_end: usize, changeable_end: usize) -> Self {
        // A page is at most `decode.max_input_mib` (64 MiB): its counts fit in 32 bits.
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Line {
            traditional: small(census.traditional),
            simplified: small(census.simplified),
            han: small(census.han),
            pieces_end: small(all.pieces.len()),
            suspects_end: small(suspects_end),
            changeable_end: small(changeable_end),
        }
    }

    /// Whether the line is written in the page's script: its characters do not lean to the other.
    fn agrees_with(&self, page_is_traditional: bool) -> bool {
        if page_is_traditional {
            self.simplified <= self.traditional
        } else {
            self.traditional <= self.simplified
        }
    }
}

/// The regions of the lines that agree with the page's script; `None` when every line does.
fn own_script(lines: &[Line], all: &Regions, traditional: bool) -> Option<Regions> {
    if lines.iter().all(|l| l.agrees_with(traditional)) {
        return None;
    }
    let mut own = Regions::default();
    let mut previous = Line::new(Census::default(), &Regions::default(), 0, 0);
    for line in lines {
        if line.agrees_with(traditional) {
            let range = |from: u32, to: u32| from as usize..to as usize;
            let pieces = &all.pieces[range(previous.pieces_end, line.pieces_end)];
            own.pieces.extend_from_slice(pieces);
            let suspects = &all.suspects[range(previous.suspects_end, line.suspects_end)];
            own.suspects.extend_from_slice(suspects);
            let changeable = range(previous.changeable_end, line.changeable_end);
            own.changeable
                .extend_from_slice(&all.changeable[changeable]);
            own.han += line.han as usize;
        }
        previous = *line;
    }
    Some(own)
}

/// Push the parts of `range` outside the (ascending, disjoint) `garbled` runs.
pub(super) fn push_outside(
    range: Range<usize>,
    garbled: &[Range<usize>],
    pieces: &mut Vec<Range<usize>>,
) {
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
/// `mojibake` stage flagged as left garbled (not the context a lost `?` is quoted with, which is
/// intact text; their start and end carried through the edits made
/// since: a later stage's edit inside a quoted run, `pinyin` removing a gloss the run's context
/// reached into, leaves the rest of the run garbled, as a second pass over the output flags it).
pub(super) fn garbled_runs(doc: &Document) -> Vec<Range<usize>> {
    let text = &doc.text;
    let mut runs: Vec<Range<usize>> = replacement_read_as_gbk(text).collect();
    for flag in doc
        .report
        .flags
        .iter()
        .filter(|f| f.stage == StageName::Mojibake && !f.message.contains(LOST_CHARACTER_NOTE))
    {
        let (Some(position), Some(run)) = (flag.position, quoted_run(&flag.message)) else {
            continue;
        };
        let at = carried_forward(doc, StageName::Mojibake, position);
        let end = carried_forward(doc, StageName::Mojibake, position + run.len());
        let first = run.chars().next();
        if text
            .get(at..end)
            .is_some_and(|carried| carried.chars().next() == first)
        {
            runs.push(at..end);
        }
    }
    merge(runs)
}

/// The maximal runs of 锟, 斤 and 拷 that hold `锟斤拷`.
fn replacement_read_as_gbk(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
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

/// The run a `mojibake` flag quotes (`garbled run `…` left as it is`).
fn quoted_run(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    let (run, _) = rest.split_once('`')?;
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
pub(super) fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
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
/// each inside one of the ascending `pieces`), made as they are taken: `auto` often gives up after
/// a fraction of a page's windows.
pub(super) fn merged_windows<'a>(
    text: &'a str,
    mut positions: impl Iterator<Item = usize> + 'a,
    pieces: &'a [Range<usize>],
) -> impl Iterator<Item = Range<usize>> + 'a {
    let mut piece = 0;
    let mut pending: Option<Range<usize>> = None;
    std::iter::from_fn(move || {
        for at in positions.by_ref() {
            // A position inside the pending window is covered by it.
            if pending.as_ref().is_some_and(|w| at < w.end) {
                continue;
            }
            while pieces.get(piece).is_some_and(|p| p.end <= at) {
                piece += 1;
            }
            let Some(bounds) = pieces.get(piece).filter(|p| p.start <= at) else {
                continue;
            };
            let window = han_window(text, at, bounds);
            match &mut pending {
                Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
                _ => {
                    if let Some(done) = pending.replace(window) {
                        return Some(done);
                    }
                }
            }
        }
        pending.take()
    })
}

/// The byte range of up to [`WINDOW`] Han characters before and after the character at `at`,
/// stopping at anything that is not Han and at the ends of `bounds`.
pub(super) fn han_window(text: &str, at: usize, bounds: &Range<usize>) -> Range<usize> {
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
    fn the_title_and_chrome_do_not_vote_when_prose_does() {
        let script = crate::stages::script::tests::script();
        let scan = |text: &str, kinds: &[BlockKind]| {
            Scan::new(&script.classes, text, kinds, &[], 8).census
        };
        // A simplified site title over a short traditional paragraph: only the title is typed.
        let page = "这是一个很长的简体中文网站标题关于我们的新闻中心\n臺灣的關係很好。";
        assert!(!scan(page, &[]).is_traditional());
        let kinds = [BlockKind::Title, BlockKind::Paragraph];
        assert!(scan(page, &kinds).is_traditional());
        // Simplified navigation lines outnumber a traditional sentence, which alone is prose.
        let page = "首页 新闻 关于我们 联系我们 网站地图 广告服务 简体 繁体 帮助中心\n這個網站說明了臺灣的問題,閱讀的人很多。";
        assert!(scan(page, &[]).is_traditional());
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
