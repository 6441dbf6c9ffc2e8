//! How deep html5ever's tree builder will nest a page, counted on the bytes before parsing.
//!
//! html5ever's scope checks walk its stack of open elements, so its time grows with nesting depth
//! times the number of tags: 100,000 `<div/>` (a self-closing `div` is an open `div`) or
//! `<div></span>` (a closing tag that matches nothing is ignored) nest 100,000 deep and take tens of
//! seconds to parse. The pipeline refuses markup nested deeper than a limit, so the count must follow
//! what the tree builder does, not what the markup looks like:
//!
//! - a self-closing tag opens an element unless it is void (`br`, `img`, …) or inside `svg`/`math`;
//! - a closing tag closes only an element that is open and in scope: a special element's (`div`,
//!   `ul`, …) not across a scope boundary (`table`, `td`, `object`, …), any other element's not
//!   across a special element; one that matches nothing is ignored;
//! - elements closed implicitly by their next sibling (`p`, `li`, `td`, `option`, …) never nest,
//!   and a `table` counts for the section, row and cell the parser opens inside it;
//! - comments and the bodies of raw-text elements (`script`, `style`, `textarea`, …) hold no tags;
//! - `</body>` and `</html>` close nothing (the tree builder only changes its insertion mode).
//!
//! Hand-written rather than html5ever's own tokenizer because it runs on every page before the
//! parse: a byte scan with `memchr` costs a few percent of the parse, a tokenizer pass about half.
//! Every step is O(1) amortised (open elements are indexed by name, and the specials and scope
//! boundaries are kept on their own stacks), so the count is linear in the markup.

use std::hash::Hasher;

use memchr::{memchr, memmem};
use rustc_hash::{FxHashMap, FxHasher};

/// The deepest nesting of elements html5ever would build from `markup` (any ASCII-compatible
/// charset).
pub fn markup_depth(markup: &[u8]) -> usize {
    let mut tree = OpenElements::default();
    let mut pos = 0;
    while let Some(offset) = memchr(b'<', &markup[pos..]) {
        let lt = pos + offset;
        let rest = &markup[lt + 1..];
        pos = lt + 1;
        if rest.starts_with(b"!--") {
            match memmem::find(&rest[3..], b"-->") {
                Some(end) => pos = lt + 4 + end + 3,
                None => break,
            }
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = usize::from(closing);
        if !rest.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            continue; // `a < b`, `<!DOCTYPE`, `<?xml`: no element
        }
        let name_len = rest[name_start..]
            .iter()
            .take_while(|&&b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
            .count();
        let name = TagName::new(&rest[name_start..name_start + name_len]);
        let tag_end = memchr(b'>', rest).unwrap_or(rest.len());
        if closing {
            tree.close(&name);
            continue;
        }
        if let Some(end) = raw_text_end(&name, &markup[lt + 1 + tag_end..]) {
            pos = lt + 1 + tag_end + end;
            continue;
        }
        let self_closing = rest[..tag_end].ends_with(b"/");
        tree.open(&name, self_closing);
    }
    tree.deepest
}

/// After the open tag of a raw-text element, the offset just past its end tag (the end of the
/// markup when there is none); `None` for other elements.
fn raw_text_end(name: &TagName, after: &[u8]) -> Option<usize> {
    let raw = matches!(
        name.as_bytes(),
        b"script"
            | b"style"
            | b"textarea"
            | b"title"
            | b"xmp"
            | b"iframe"
            | b"noembed"
            | b"noframes"
            | b"noscript"
            | b"plaintext"
    );
    if !raw {
        return None;
    }
    let tag = name.as_bytes();
    let end = memmem::find_iter(after, b"</")
        .find(|&at| {
            after[at + 2..]
                .get(..tag.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(tag))
        })
        .map_or(after.len(), |at| at + 2 + tag.len());
    Some(end)
}

/// A tag name, lower-cased, with its hash (names longer than the buffer are hashed whole and kept
/// cut: only the hash identifies an open element).
struct TagName {
    buffer: [u8; 16],
    len: usize,
    hash: u64,
}

impl TagName {
    fn new(raw: &[u8]) -> Self {
        let mut buffer = [0; 16];
        let mut hasher = FxHasher::default();
        for (i, b) in raw.iter().map(u8::to_ascii_lowercase).enumerate() {
            if i < buffer.len() {
                buffer[i] = b;
            }
            hasher.write_u8(b);
        }
        TagName {
            buffer,
            len: raw.len().min(16),
            hash: hasher.finish(),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    /// Never on the stack: void elements, table parts (counted with their `table`), and elements
    /// that hold no other elements and are closed by their next sibling; their end tags are no-ops.
    fn never_nests(&self) -> bool {
        matches!(
            self.as_bytes(),
            b"area"
                | b"base"
                | b"basefont"
                | b"bgsound"
                | b"br"
                | b"col"
                | b"embed"
                | b"frame"
                | b"hr"
                | b"image"
                | b"img"
                | b"input"
                | b"keygen"
                | b"link"
                | b"meta"
                | b"param"
                | b"source"
                | b"track"
                | b"wbr"
                | b"td"
                | b"th"
                | b"tr"
                | b"tbody"
                | b"thead"
                | b"tfoot"
                | b"option"
                | b"optgroup"
                | b"rb"
                | b"rp"
                | b"rt"
                | b"rtc"
                | b"body"
                | b"html"
                | b"head"
        )
    }

    /// html5ever's "special" category (the ones that can be open): a closing tag of another
    /// element does not reach across them.
    fn is_special(&self) -> bool {
        matches!(
            self.as_bytes(),
            b"address"
                | b"applet"
                | b"article"
                | b"aside"
                | b"blockquote"
                | b"button"
                | b"caption"
                | b"center"
                | b"colgroup"
                | b"dd"
                | b"details"
                | b"dir"
                | b"div"
                | b"dl"
                | b"dt"
                | b"fieldset"
                | b"figcaption"
                | b"figure"
                | b"footer"
                | b"form"
                | b"frameset"
                | b"h1"
                | b"h2"
                | b"h3"
                | b"h4"
                | b"h5"
                | b"h6"
                | b"header"
                | b"hgroup"
                | b"li"
                | b"listing"
                | b"main"
                | b"marquee"
                | b"menu"
                | b"nav"
                | b"object"
                | b"ol"
                | b"p"
                | b"pre"
                | b"search"
                | b"section"
                | b"select"
                | b"summary"
                | b"table"
                | b"template"
                | b"ul"
        )
    }

    /// Elements that bound the scope a special element's closing tag looks in (with `button`,
    /// which bounds only the scope of `p`: close enough).
    fn is_scope_boundary(&self) -> bool {
        matches!(
            self.as_bytes(),
            b"applet" | b"button" | b"caption" | b"table" | b"marquee" | b"object" | b"template"
        )
    }

    /// Special elements that stop a new `li`, `dd` or `dt` from closing an open one.
    fn stops_list_items(&self) -> bool {
        self.is_special() && !matches!(self.as_bytes(), b"address" | b"div" | b"p")
    }

    /// Elements whose open tag closes an open `p` first: the block-level special elements, and a
    /// few that are not special.
    fn closes_p(&self) -> bool {
        let name = self.as_bytes();
        (self.is_special()
            && !matches!(
                name,
                b"applet"
                    | b"button"
                    | b"caption"
                    | b"colgroup"
                    | b"frameset"
                    | b"marquee"
                    | b"object"
                    | b"select"
                    | b"template"
            ))
            || matches!(name, b"dialog" | b"hr" | b"plaintext" | b"xmp")
    }

    fn is_heading(&self) -> bool {
        matches!(
            self.as_bytes(),
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6"
        )
    }

    /// Elements the parser closes before opening another of the same name (`<a><a>` are siblings).
    fn closes_its_kind(&self) -> bool {
        matches!(self.as_bytes(), b"a" | b"nobr" | b"button")
    }

    /// The names a new list item closes: `li` closes an `li`, `dd` and `dt` close either.
    fn list_item_kinds(&self) -> &'static [&'static [u8]] {
        match self.as_bytes() {
            b"li" => &[b"li"],
            b"dd" | b"dt" => &[b"dd", b"dt"],
            _ => &[],
        }
    }

    /// Levels the parser opens for this tag: a table gets a section, a row and a cell inside it.
    fn levels(&self) -> usize {
        if self.as_bytes() == b"table" { 4 } else { 1 }
    }
}

/// An open element.
struct Open {
    hash: u64,
    /// The depth at and including it.
    depth: usize,
    /// An `svg` or `math` element.
    foreign: bool,
    heading: bool,
}

/// The tree builder's stack of open elements, as far as nesting goes.
#[derive(Default)]
struct OpenElements {
    stack: Vec<Open>,
    /// Stack positions of the open elements of each name.
    by_name: FxHashMap<u64, Vec<usize>>,
    /// Stack positions of the open special elements, of those that stop list items, and of scope
    /// boundaries.
    specials: Vec<usize>,
    list_stops: Vec<usize>,
    boundaries: Vec<usize>,
    /// Open `svg` and `math` elements: inside them a self-closing tag closes itself.
    foreign: usize,
    deepest: usize,
}

impl OpenElements {
    fn depth(&self) -> usize {
        self.stack.last().map_or(0, |open| open.depth)
    }

    fn open(&mut self, name: &TagName, self_closing: bool) {
        let foreign = matches!(name.as_bytes(), b"svg" | b"math");
        if self_closing && (self.foreign > 0 || foreign) {
            return;
        }
        if name.closes_p() {
            self.close(&TagName::new(b"p"));
        }
        if name.never_nests() {
            return;
        }
        if name.closes_its_kind() {
            self.close(name);
        }
        if name.as_bytes() == b"form" && self.is_open(b"form") {
            return; // a form inside a form is ignored
        }
        self.close_list_item(name.list_item_kinds());
        if name.is_heading() && self.stack.last().is_some_and(|open| open.heading) {
            self.pop_to(self.stack.len() - 1); // headings do not nest
        }
        let at = self.stack.len();
        let depth = self.depth() + name.levels();
        self.stack.push(Open {
            hash: name.hash,
            depth,
            foreign,
            heading: name.is_heading(),
        });
        self.by_name.entry(name.hash).or_default().push(at);
        for (applies, positions) in [
            (name.is_special(), &mut self.specials),
            (name.stops_list_items(), &mut self.list_stops),
            (name.is_scope_boundary(), &mut self.boundaries),
        ] {
            if applies {
                positions.push(at);
            }
        }
        self.foreign += usize::from(foreign);
        self.deepest = self.deepest.max(depth);
    }

    fn is_open(&self, name: &[u8]) -> bool {
        self.by_name
            .get(&TagName::new(name).hash)
            .is_some_and(|p| !p.is_empty())
    }

    /// A new list item closes the open one of its kinds, unless a special element (other than
    /// `address`, `div` and `p`) is open above it.
    fn close_list_item(&mut self, kinds: &[&[u8]]) {
        let open = kinds
            .iter()
            .filter_map(|k| self.by_name.get(&TagName::new(k).hash)?.last().copied())
            .max();
        if let Some(at) = open
            && self.list_stops.last().is_none_or(|&s| s <= at)
        {
            self.pop_to(at);
        }
    }

    fn close(&mut self, name: &TagName) {
        if name.never_nests() {
            return;
        }
        let Some(&at) = self.by_name.get(&name.hash).and_then(|p| p.last()) else {
            return; // matches nothing: ignored
        };
        let blocked_by = if name.is_special() {
            self.boundaries.last()
        } else {
            self.specials.last()
        };
        if blocked_by.is_some_and(|&b| b > at) {
            // Out of scope: ignored (a formatting element's is rearranged at about the same depth).
            return;
        }
        self.pop_to(at);
    }

    /// Pop the element at stack position `at` and everything above it.
    fn pop_to(&mut self, at: usize) {
        while self.stack.len() > at {
            let Some(open) = self.stack.pop() else {
                break;
            };
            let top = self.stack.len();
            if let Some(positions) = self.by_name.get_mut(&open.hash) {
                positions.pop();
            }
            for positions in [
                &mut self.specials,
                &mut self.list_stops,
                &mut self.boundaries,
            ] {
                if positions.last() == Some(&top) {
                    positions.pop();
                }
            }
            self.foreign -= usize::from(open.foreign);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_not_sloppiness() {
        assert_eq!(
            markup_depth(b"<html><body><div><p>a<p>b<br><img src=x/></div></body></html>"),
            2
        );
        assert_eq!(markup_depth(&b"<div>".repeat(5000)), 5000);
        assert_eq!(markup_depth(b"a < b and c<d"), 1);
        assert_eq!(markup_depth(b"<ul><li>a<li>b</ul><ul><li>c</ul>"), 2);
        assert_eq!(markup_depth(&b"<p><span>a".repeat(100)), 2);
        assert_eq!(markup_depth(&b"<h1>a<h2>b".repeat(100)), 1);
    }

    #[test]
    fn nested_lists_nest() {
        assert_eq!(markup_depth(&b"<ul><li>".repeat(100)), 200);
        assert_eq!(markup_depth(&b"<dl><dd><div>".repeat(100)), 300);
        assert_eq!(markup_depth(&b"<form><div>".repeat(100)), 101);
    }

    #[test]
    fn self_closing_non_void_tags_open_elements() {
        assert_eq!(markup_depth(&b"<div/>".repeat(1000)), 1000);
        assert_eq!(markup_depth(&b"<br/><img src=a/>".repeat(1000)), 0);
        assert_eq!(markup_depth(&b"<svg><path d=x/><g/></svg>".repeat(1000)), 1);
    }

    #[test]
    fn closing_tags_that_match_nothing_close_nothing() {
        assert_eq!(markup_depth(&b"<div></span>".repeat(1000)), 1000);
        // A span's closing tag does not reach across the div opened inside it.
        assert_eq!(markup_depth(&b"<span><div></span>".repeat(500)), 1000);
        // A div's does not reach across a table.
        assert_eq!(
            markup_depth(b"<div><table><tr><td></div></td></tr></table></div>"),
            5
        );
        // </body> and </html> close nothing.
        assert_eq!(markup_depth(&b"<div></body></html>".repeat(100)), 100);
    }

    #[test]
    fn links_and_tables() {
        assert_eq!(markup_depth(&b"<a href=x>".repeat(100)), 1);
        assert_eq!(markup_depth(&b"<table><tr><td>".repeat(10)), 40);
    }

    #[test]
    fn comments_and_raw_text_hold_no_tags() {
        let script =
            b"<div><script>if (a<b) document.write('<div><div>')</script><!-- <div><div> --></div>";
        assert_eq!(markup_depth(script), 1);
        assert_eq!(markup_depth(b"<textarea><div><div></TEXTAREA><div>"), 1);
        assert_eq!(markup_depth(b"<script><div><div>"), 0);
    }
}
