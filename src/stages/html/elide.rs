//! Script and style bodies cut short before parsing. A third of the bytes of the corpus pages are
//! inline scripts and styles, which the cleaning rules remove unread; tokenising them was a sixth of
//! the parse. Each body of an element the rules remove by tag name keeps its first
//! [`PREVIEW_BYTES`] bytes (what the report quotes) and the open tag gets an [`ELIDED_ATTR`]
//! attribute with the size of the rest, so the report still counts every byte.
//!
//! Hand-written because no crate finds raw-text element bodies without building a tree: this is the
//! part of the HTML tokenizer that does (tags with quoted attribute values, comments, raw-text
//! elements, foreign content), and it leaves a body alone whenever the parse of the cut markup could
//! differ from the whole one (`<!--` in a script, NUL characters, `svg`/`math` content).

use std::borrow::Cow;

use memchr::memchr;
use memchr::memmem;

use super::blocks::PREVIEW_BYTES;

/// The attribute that carries the size of an elided body, in bytes of parsed text.
pub const ELIDED_ATTR: &str = "data-sluice-elided";

/// Elements whose content is never markup: skipped whole, so a `<script>` in them is not one.
const RAW_TEXT: &[&str] = &[
    "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements whose content is parsed as foreign markup, where `script` and `style` are not raw text.
const FOREIGN: &[&str] = &["svg", "math"];

/// Where the cut markup's bytes came from in the markup as given: (offset in the cut markup,
/// offset in the original) after each change, in order.
#[derive(Debug, Default)]
pub struct Offsets(Vec<(usize, usize)>);

impl Offsets {
    /// The offset in the original markup of `pos` in the cut markup. A position at a cut maps to
    /// the end of the cut: positions reported are token boundaries, and the token after a cut
    /// body is its end tag.
    pub fn original(&self, pos: usize) -> usize {
        let at = self.0.partition_point(|&(cut, _)| cut <= pos);
        match at.checked_sub(1) {
            Some(i) => self.0[i].1 + (pos - self.0[i].0),
            None => pos,
        }
    }
}

/// `markup` with the bodies of the `elided` elements (lower-case tag names among `script` and
/// `style`) cut to their preview, and where its bytes came from.
pub fn elide<'a>(markup: &'a str, elided: &[String]) -> (Cow<'a, str>, Offsets) {
    let mut offsets = Offsets::default();
    if elided.is_empty() {
        return (Cow::Borrowed(markup), offsets);
    }
    let bytes = markup.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut pos = 0;
    while let Some(offset) = memchr(b'<', &bytes[pos..]) {
        let lt = pos + offset;
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            match memmem::find(&rest[3..], b"-->") {
                Some(end) => pos = lt + 4 + end + 3,
                None => break,
            }
            continue;
        }
        if rest
            .first()
            .is_some_and(|&b| matches!(b, b'!' | b'?' | b'/'))
        {
            // Doctype, bogus comment, end tag: up to the next `>`.
            match memchr(b'>', rest) {
                Some(end) => pos = lt + 1 + end + 1,
                None => break,
            }
            continue;
        }
        // A tag name runs to white space, `/` or `>` (`<script-x>` is not a script).
        let name_len = rest
            .iter()
            .take_while(|&&b| !(b.is_ascii_whitespace() || b == b'/' || b == b'>'))
            .count();
        if !rest.first().is_some_and(u8::is_ascii_alphabetic) {
            pos = lt + 1;
            continue;
        }
        let Some(gt) = open_tag_end(bytes, lt + 1 + name_len) else {
            break;
        };
        let body = gt + 1;
        let Some(name) = special(&rest[..name_len]) else {
            pos = body;
            continue;
        };
        if name == "plaintext" {
            break;
        }
        let closes = find_close(bytes, body, name);
        let Some(close) = closes else {
            break;
        };
        if elided.iter().any(|e| e == name)
            && let Some(cut) = cut_point(markup, body, close, name)
        {
            if out.is_empty() {
                out.reserve(markup.len());
            }
            out.push_str(&markup[copied..gt]);
            out.push_str(&format!(
                " {ELIDED_ATTR}=\"{}\"",
                parsed_len(&markup[cut..close])
            ));
            offsets.0.push((out.len(), gt));
            out.push_str(&markup[gt..cut]);
            offsets.0.push((out.len(), close));
            copied = close;
        }
        pos = close;
    }
    if copied == 0 {
        return (Cow::Borrowed(markup), offsets);
    }
    out.push_str(&markup[copied..]);
    (Cow::Owned(out), offsets)
}

/// The lower-case name of a tag whose content is not plain markup (raw text, foreign content,
/// `plaintext`), compared without allocating: this runs for every tag of the page.
fn special(name: &[u8]) -> Option<&'static str> {
    ["script", "style", "plaintext"]
        .iter()
        .chain(RAW_TEXT)
        .chain(FOREIGN)
        .find(|s| s.as_bytes().eq_ignore_ascii_case(name))
        .copied()
}

/// The `>` that ends an open tag whose name ends at `from`; a `>` inside a quoted attribute value
/// does not.
fn open_tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return Some(i),
            b'=' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if let Some(&quote) = bytes.get(i).filter(|&&b| b == b'"' || b == b'\'') {
                    i += 1 + memchr(quote, &bytes[i + 1..])? + 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The start of the end tag `</name` (any case, followed by white space, `/` or `>`) at or after
/// `from`.
fn find_close(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut pos = from;
    while let Some(offset) = memmem::find(&bytes[pos..], b"</") {
        let at = pos + offset;
        let after = at + 2 + name.len();
        let matches = bytes
            .get(at + 2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            && bytes
                .get(after)
                .is_none_or(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>');
        if matches {
            return Some(at);
        }
        pos = at + 2;
    }
    None
}

/// Where to cut a body that runs from `body` to `close`: after the preview, on a character
/// boundary and not inside a CR LF pair; `None` when the body is short or must stay whole (a script
/// with `<!--` has escape states that can move its end; NUL characters change size when parsed).
fn cut_point(markup: &str, body: usize, close: usize, name: &str) -> Option<usize> {
    if close - body <= PREVIEW_BYTES {
        return None;
    }
    let text = &markup[body..close];
    if text.contains('\0') || (name == "script" && text.contains("<!--")) {
        return None;
    }
    let mut cut = body + PREVIEW_BYTES;
    while !markup.is_char_boundary(cut) {
        cut += 1;
    }
    let bytes = markup.as_bytes();
    if bytes[cut - 1] == b'\r' && bytes.get(cut) == Some(&b'\n') {
        cut += 1;
    }
    (cut < close).then_some(cut)
}

/// Bytes of `text` once parsed: the parser makes each CR LF one LF.
fn parsed_len(text: &str) -> usize {
    text.len() - memmem::find_iter(text.as_bytes(), b"\r\n").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elide<'a>(markup: &'a str, names: &[&str]) -> Cow<'a, str> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        super::elide(markup, &names).0
    }

    const ELIDED: &[&str] = &["script", "style"];

    fn long(text: &str) -> String {
        text.repeat(2 * PREVIEW_BYTES)
    }

    #[test]
    fn long_script_body_is_cut_with_its_size() {
        let js = long("x");
        let markup = format!("<p>前</p><script type=\"a>b\">{js}</script><p>後</p>");
        let out = elide(&markup, ELIDED);
        let kept = &js[..PREVIEW_BYTES];
        let rest = js.len() - PREVIEW_BYTES;
        assert_eq!(
            out,
            format!(
                "<p>前</p><script type=\"a>b\" {ELIDED_ATTR}=\"{rest}\">{kept}</script><p>後</p>"
            )
        );
    }

    #[test]
    fn short_bodies_and_other_elements_stay() {
        let markup = "<script>var a = 1;</script><style>p{}</style><pre>x</pre>";
        assert!(matches!(elide(markup, ELIDED), Cow::Borrowed(_)));
        let body = long("x");
        let markup = format!("<div>{body}</div>");
        assert!(matches!(elide(&markup, ELIDED), Cow::Borrowed(_)));
        assert!(matches!(
            elide(&format!("<script>{body}</script>"), &[]),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn scripts_that_must_stay_whole() {
        let body = long("x");
        for markup in [
            // Escape states: the `</script>` inside the comment does not end the script.
            format!("<script><!-- document.write(\"<script>{body}</script>\") --></script>"),
            // Not a script: in a comment, an attribute value, a title, foreign content.
            format!("<!-- <script>{body}</script> -->"),
            format!("<a title=\"<script>\">{body}</a></script>"),
            format!("<title><script>{body}</script></title>"),
            format!("<svg><script>{body}</script></svg>"),
            format!("<script-x>{body}</script-x>"),
            // No end: the parser takes the rest of the page as the body.
            format!("<script>{body}"),
            format!("<script>{body}\0</script>"),
        ] {
            assert!(
                matches!(elide(&markup, ELIDED), Cow::Borrowed(_)),
                "{markup}"
            );
        }
    }

    #[test]
    fn cuts_fall_on_character_boundaries_and_count_parsed_bytes() {
        let body = format!("{}\r\n{}", "x".repeat(PREVIEW_BYTES - 1), long("字"));
        let markup = format!("<STYLE>{body}</Style >");
        let out = elide(&markup, ELIDED);
        let kept = format!("{}\r\n", "x".repeat(PREVIEW_BYTES - 1));
        let rest = long("字").len();
        assert_eq!(
            out,
            format!("<STYLE {ELIDED_ATTR}=\"{rest}\">{kept}</Style >")
        );
    }

    #[test]
    fn offsets_map_the_cut_markup_back() {
        let js = long("x");
        let markup = format!("<p>前</p><script>{js}</script><p>後</p>");
        let names = vec!["script".to_string()];
        let (out, offsets) = super::elide(&markup, &names);
        let out_end_tag = out.find("</script>").unwrap();
        let end_tag = markup.find("</script>").unwrap();
        assert_eq!(offsets.original(out_end_tag), end_tag);
        assert_eq!(offsets.original(3), 3, "before any change");
        let out_after = out.find("<p>後").unwrap();
        assert_eq!(offsets.original(out_after), markup.find("<p>後").unwrap());
    }
}
