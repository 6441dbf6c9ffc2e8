//! The charset a document declares: the HTML Standard's "prescan a byte stream to determine its
//! encoding", step for step, then its "get an XML encoding".
//!
//! Hand-written because html5ever has no prescan (it is given text, not bytes) and the crates
//! that implement one return an encoding_rs `Encoding`: they lose the label as written, which the
//! report shows, and the labels the Encoding Standard has no decoder for (EUC-TW, HZ,
//! ISO-2022-CN) that this stage decodes.

use super::charset::{Charset, LabelSource};

/// How much of a document the prescan reads, as the standard advises.
const PRESCAN_BYTES: usize = 1024;

/// The charset label the first 1024 bytes declare: a `<meta>` with a `charset` attribute or with
/// `http-equiv="content-type"` and a `content` naming a charset, outside comments; failing that,
/// an XML declaration's `encoding`. Only labels that name a charset this stage decodes count;
/// running out of bytes inside a tag ends the scan, as in the standard.
pub fn prescan_declared_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    meta_charset(head).or_else(|| xml_encoding(head))
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_space_or_slash(b: &u8) -> bool {
    is_space(*b) || *b == b'/'
}

fn is_known(label: &[u8]) -> bool {
    std::str::from_utf8(label)
        .ok()
        .and_then(|l| Charset::for_label(l, LabelSource::Document))
        .is_some()
}

/// The prescan's loop. `None` also when the bytes run out inside a construct.
fn meta_charset(b: &[u8]) -> Option<String> {
    let mut pos = 0;
    while pos < b.len() {
        let rest = &b[pos..];
        if rest.starts_with(b"<!--") {
            // The first `>` after the `<` that ends a `--` (so `<!-->` is a whole comment).
            pos += 2 + rest[2..].windows(3).position(|w| w == b"-->")? + 2;
        } else if rest.len() > 5
            && rest[..5].eq_ignore_ascii_case(b"<meta")
            && is_space_or_slash(&rest[5])
        {
            pos += 5;
            if let Some(label) = meta_element(b, &mut pos)? {
                return Some(label);
            }
        } else if rest.starts_with(b"<")
            && (rest.get(1).is_some_and(u8::is_ascii_alphabetic)
                || (rest.get(1) == Some(&b'/') && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
        {
            pos += rest.iter().position(|&c| is_space(c) || c == b'>')?;
            while get_attribute(b, &mut pos)?.is_some() {}
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            pos += memchr::memchr(b'>', rest)?;
        }
        pos += 1;
    }
    None
}

/// The attributes of a `<meta>` and what they declare: `Some(None)` when they declare nothing
/// usable, `None` when the bytes ran out.
fn meta_element(b: &[u8], pos: &mut usize) -> Option<Option<String>> {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut got_pragma = false;
    let mut need_pragma = None;
    // `Some(None)`: a `charset` attribute whose label names no decoder.
    let mut charset: Option<Option<Vec<u8>>> = None;
    while let Some((name, value)) = get_attribute(b, pos)? {
        if seen.contains(&name) {
            continue;
        }
        match name.as_slice() {
            b"http-equiv" => got_pragma |= value.eq_ignore_ascii_case(b"content-type"),
            b"content" if charset.is_none() => {
                if let Some(label) = charset_in_content(&value).filter(|l| is_known(l)) {
                    charset = Some(Some(label.to_vec()));
                    need_pragma = Some(true);
                }
            }
            b"charset" => {
                charset = Some(is_known(&value).then(|| value.clone()));
                need_pragma = Some(false);
            }
            _ => {}
        }
        seen.push(name);
    }
    let declared = match (need_pragma, charset) {
        (Some(true), _) if !got_pragma => None,
        (Some(_), Some(Some(label))) => Some(String::from_utf8_lossy(&label).into_owned()),
        _ => None,
    };
    Some(declared)
}

/// The standard's "get an attribute": the next attribute's name (lower-cased) and value (as
/// written), `Some(None)` at the tag's `>`, `None` when the bytes run out.
fn get_attribute(b: &[u8], pos: &mut usize) -> Option<Option<(Vec<u8>, Vec<u8>)>> {
    while is_space_or_slash(b.get(*pos)?) {
        *pos += 1;
    }
    if b[*pos] == b'>' {
        return Some(None);
    }
    let mut name = Vec::new();
    loop {
        match *b.get(*pos)? {
            b'=' if !name.is_empty() => {
                *pos += 1;
                break;
            }
            c if is_space(c) => {
                while is_space(*b.get(*pos)?) {
                    *pos += 1;
                }
                if b[*pos] != b'=' {
                    return Some(Some((name, Vec::new())));
                }
                *pos += 1;
                break;
            }
            b'/' | b'>' => return Some(Some((name, Vec::new()))),
            c => name.push(c.to_ascii_lowercase()),
        }
        *pos += 1;
    }
    while is_space(*b.get(*pos)?) {
        *pos += 1;
    }
    let mut value = Vec::new();
    match b[*pos] {
        quote @ (b'"' | b'\'') => loop {
            *pos += 1;
            match *b.get(*pos)? {
                c if c == quote => {
                    *pos += 1;
                    return Some(Some((name, value)));
                }
                c => value.push(c),
            }
        },
        b'>' => Some(Some((name, value))),
        _ => loop {
            match *b.get(*pos)? {
                c if is_space(c) || c == b'>' => return Some(Some((name, value))),
                c => value.push(c),
            }
            *pos += 1;
        },
    }
}

/// The standard's "extracting a character encoding from a meta element": the label after the
/// first `charset` followed by `=` in a `content` value.
fn charset_in_content(value: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    loop {
        pos += find_ignore_case(&value[pos..], b"charset")? + b"charset".len();
        while value.get(pos).is_some_and(|&c| is_space(c)) {
            pos += 1;
        }
        if value.get(pos) != Some(&b'=') {
            continue;
        }
        pos += 1;
        while value.get(pos).is_some_and(|&c| is_space(c)) {
            pos += 1;
        }
        let rest = &value[pos..];
        return match *rest.first()? {
            quote @ (b'"' | b'\'') => {
                let end = memchr::memchr(quote, &rest[1..])?;
                Some(&rest[1..1 + end])
            }
            _ => {
                let end = rest
                    .iter()
                    .position(|&c| is_space(c) || c == b';')
                    .unwrap_or(rest.len());
                Some(&rest[..end])
            }
        };
    }
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The standard's "get an XML encoding": `<?xml … encoding="…"` at the very start, before the
/// declaration's `>`.
fn xml_encoding(b: &[u8]) -> Option<String> {
    let declaration = &b[..memchr::memchr(b'>', b)?];
    if !declaration.starts_with(b"<?xml") {
        return None;
    }
    let mut pos = find_ignore_case(declaration, b"encoding")? + b"encoding".len();
    let skip_space = |pos: &mut usize| {
        while declaration.get(*pos).is_some_and(|&c| c <= b' ') {
            *pos += 1;
        }
    };
    skip_space(&mut pos);
    if declaration.get(pos) != Some(&b'=') {
        return None;
    }
    pos += 1;
    skip_space(&mut pos);
    let quote = *declaration.get(pos).filter(|&&q| q == b'"' || q == b'\'')?;
    let rest = &declaration[pos + 1..];
    let label = &rest[..memchr::memchr(quote, rest)?];
    if label.iter().any(|&c| c <= b' ') || !is_known(label) {
        return None;
    }
    Some(String::from_utf8_lossy(label).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(html: &str) -> Option<String> {
        prescan_declared_charset(html.as_bytes())
    }

    #[test]
    fn a_charset_attribute_or_a_content_type_pragma_declares() {
        assert_eq!(declared("<meta charset='GBK'>").as_deref(), Some("GBK"));
        assert_eq!(declared("<META CHARSET=big5 />").as_deref(), Some("big5"));
        assert_eq!(
            declared(r#"<meta http-equiv="Content-Type" content="text/html; charset=gb2312">"#)
                .as_deref(),
            Some("gb2312")
        );
        assert_eq!(
            declared(r#"<meta content='text/html;charset="x-euc-tw"' http-equiv=content-type>"#)
                .as_deref(),
            Some("x-euc-tw")
        );
    }

    #[test]
    fn charset_words_elsewhere_declare_nothing() {
        for html in [
            r#"<meta name="keywords" content="charset=big5">"#,
            r#"<meta data-charset="big5">"#,
            r#"<meta property="og:charset" content="big5">"#,
            r#"<div data-charset="big5"><meta content="charset=big5"></div>"#,
            r#"<p title='<meta charset=big5>'>charset=gbk</p>"#,
            "<!-- <meta charset=big5> -->",
            "<!--> <meta charset=big5> -->",
            "<meta charset=big5",
        ] {
            let expected = if html.starts_with("<!-->") {
                Some("big5")
            } else {
                None
            };
            assert_eq!(declared(html).as_deref(), expected, "{html}");
        }
    }

    #[test]
    fn the_first_usable_declaration_wins() {
        assert_eq!(
            declared("<meta charset=no-such><meta charset=gbk>").as_deref(),
            Some("gbk")
        );
        assert_eq!(
            declared("<meta charset=gbk charset=big5>").as_deref(),
            Some("gbk"),
            "a repeated attribute is ignored"
        );
    }

    #[test]
    fn an_xml_declaration_counts_when_no_meta_does() {
        assert_eq!(
            declared(r#"<?xml version="1.0" encoding="big5"?><p>"#).as_deref(),
            Some("big5")
        );
        assert_eq!(declared(r#" <?xml version="1.0" encoding="big5"?>"#), None);
        assert_eq!(
            declared(r#"<?xml version="1.0" encoding="big5"?><meta charset=gbk>"#).as_deref(),
            Some("gbk")
        );
    }
}
