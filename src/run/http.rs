//! HTTP responses inside WARC records: the status line and headers (with `httparse`), the
//! `Content-Type`, chunked bodies and the `gzip`, `deflate`, `br` and `zstd` content encodings, each
//! decoded up to the per-record limit.

use super::input::read_at_most;
use super::warc::preview;
use crate::document::{Document, Format};

pub(super) fn is_http(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/http")
    })
}

/// Whether content of this type could be HTML or text (content with no type could).
pub(super) fn could_be_textual(content_type: Option<&str>) -> bool {
    parse_content_type(content_type.unwrap_or_default())
        .0
        .is_none_or(|media| is_textual_media(&media))
}

fn is_textual_media(media: &str) -> bool {
    media.starts_with("text/") || media.contains("html") || media.contains("xml")
}

/// A record's content with what its headers said about it.
pub(super) struct Payload {
    pub(super) body: Vec<u8>,
    media_type: Option<String>,
    charset: Option<String>,
}

impl Payload {
    pub(super) fn new(body: Vec<u8>, content_type: Option<&str>) -> Self {
        let (media_type, charset) = content_type.map_or((None, None), parse_content_type);
        Payload {
            body,
            media_type,
            charset,
        }
    }

    /// HTML or text, by its media type (or by sniffing when there is none).
    pub(super) fn is_textual(&self) -> bool {
        match &self.media_type {
            Some(media) => is_textual_media(media),
            None => !self.body.is_empty(),
        }
    }

    pub(super) fn into_document(self) -> Document {
        let format = match &self.media_type {
            Some(m) if m.contains("html") => Format::Html,
            _ => Format::sniff(&self.body),
        };
        let mut doc = Document::from_bytes(self.body, format);
        doc.transport_charset = self.charset;
        doc
    }
}

/// `text/html; charset=GBK` → (`text/html`, `GBK`).
fn parse_content_type(value: &str) -> (Option<String>, Option<String>) {
    let mut parts = value.split(';');
    let media = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    });
    (media, charset)
}

/// The HTTP headers sluice reads.
pub(super) struct HttpHeaders {
    pub(super) content_type: Option<String>,
    transfer_encoding: Option<String>,
    content_encoding: Option<String>,
}

/// The length of an HTTP response's head (status line and headers) and the headers that matter.
pub(super) fn http_head(message: &[u8]) -> Result<(usize, HttpHeaders), String> {
    let line_end = memchr::memchr(b'\n', message).ok_or("truncated HTTP status line")?;
    let status = &message[..line_end];
    if !status.starts_with(b"HTTP/") {
        return Err(format!("not an HTTP response: `{}`", preview(status)));
    }
    let rest = &message[line_end + 1..];
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let (head_len, headers) = match httparse::parse_headers(rest, &mut headers) {
        Ok(httparse::Status::Complete(found)) => found,
        Ok(httparse::Status::Partial) => return Err("truncated HTTP headers".into()),
        Err(e) => return Err(format!("bad HTTP headers: {e}")),
    };
    let value = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    Ok((
        line_end + 1 + head_len,
        HttpHeaders {
            content_type: value("content-type"),
            transfer_encoding: value("transfer-encoding"),
            content_encoding: value("content-encoding"),
        },
    ))
}

/// The body of an HTTP response, de-chunked and decoded, of at most `max_body_bytes`.
pub(super) fn http_payload(message: &[u8], max_body_bytes: u64) -> Result<Payload, String> {
    let (head_len, headers) = http_head(message)?;
    let mut body = message[head_len..].to_vec();
    if headers
        .transfer_encoding
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        body = dechunk(&body)?;
    }
    if let Some(codings) = &headers.content_encoding {
        body = decode_content(body, codings, max_body_bytes)?;
    }
    Ok(Payload::new(body, headers.content_type.as_deref()))
}

/// Undo the content codings of a `Content-Encoding` list, last applied first.
fn decode_content(mut body: Vec<u8>, codings: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    for coding in codings.rsplit(',').map(|c| c.trim().to_ascii_lowercase()) {
        body = match coding.as_str() {
            "" | "identity" => body,
            "gzip" | "x-gzip" => read_at_most(
                flate2::read::MultiGzDecoder::new(body.as_slice()),
                max_bytes,
                "gzip data",
            )?,
            // The coding says zlib (RFC 9110), but servers send raw deflate too, and browsers accept
            // both: a valid zlib header tells them apart.
            "deflate" if has_zlib_header(&body) => read_at_most(
                flate2::read::ZlibDecoder::new(body.as_slice()),
                max_bytes,
                "deflate data",
            )?,
            "deflate" => read_at_most(
                flate2::read::DeflateDecoder::new(body.as_slice()),
                max_bytes,
                "deflate data",
            )?,
            "br" => read_at_most(
                brotli_decompressor::Decompressor::new(body.as_slice(), 4096),
                max_bytes,
                "brotli data",
            )?,
            "zstd" => read_at_most(
                zstd::stream::read::Decoder::new(body.as_slice())
                    .map_err(|e| format!("bad zstd data: {e}"))?,
                max_bytes,
                "zstd data",
            )?,
            other => return Err(format!("unsupported Content-Encoding `{other}`")),
        };
    }
    Ok(body)
}

/// A zlib stream starts with a compression method of 8 (deflate), a window of at most 32 KiB, and a
/// header checksum: two bytes that are a multiple of 31 (RFC 1950).
fn has_zlib_header(body: &[u8]) -> bool {
    match body {
        [cmf, flg, ..] => {
            cmf & 0x0F == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let (start, size) = match httparse::parse_chunk_size(rest) {
            Ok(httparse::Status::Complete(found)) => found,
            _ => return Err("bad chunked encoding".into()),
        };
        if size == 0 {
            return Ok(out);
        }
        let end = start
            .checked_add(usize::try_from(size).map_err(|_| "chunk too large")?)
            .filter(|&e| e <= rest.len())
            .ok_or("truncated chunk")?;
        out.extend_from_slice(&rest[start..end]);
        rest = rest.get(end + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::run::input::MAX_DOCUMENT_BYTES;

    fn body_of(http: &[u8], max_body_bytes: u64) -> Result<Vec<u8>, String> {
        http_payload(http, max_body_bytes).map(|p| p.body)
    }

    #[test]
    fn content_codings_and_http2_status_lines_are_read() {
        let page = "<p>正文</p>".repeat(100);
        let encode = |write: &mut dyn Write| write.write_all(page.as_bytes()).unwrap();
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encode(&mut zlib);
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encode(&mut raw);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encode(&mut gzip);
        let mut br = Vec::new();
        encode(&mut brotli::CompressorWriter::new(&mut br, 4096, 5, 22));
        let zstd = zstd::bulk::compress(page.as_bytes(), 3).unwrap();
        let gzip = gzip.finish().unwrap();
        // `gzip, br`: brotli applied last, undone first.
        let mut gzip_then_br = Vec::new();
        brotli::CompressorWriter::new(&mut gzip_then_br, 4096, 5, 22)
            .write_all(&gzip)
            .unwrap();
        let cases: [(&str, &str, Vec<u8>); 7] = [
            ("HTTP/1.1 200 OK", "deflate", zlib.finish().unwrap()),
            ("HTTP/1.0 200 OK", "deflate", raw.finish().unwrap()),
            ("HTTP/2 200", "br", br),
            ("HTTP/2.0 200 OK", "zstd", zstd),
            ("HTTP/3 200", "x-gzip", gzip),
            ("HTTP/1.1 200 OK", "gzip, br", gzip_then_br),
            ("HTTP/1.1 200 OK", "identity", page.clone().into_bytes()),
        ];
        for (status, coding, body) in cases {
            let mut http = format!("{status}\r\nContent-Encoding: {coding}\r\n\r\n").into_bytes();
            http.extend_from_slice(&body);
            assert_eq!(
                body_of(&http, MAX_DOCUMENT_BYTES).as_deref(),
                Ok(page.as_bytes()),
                "{status} {coding}"
            );
            if coding != "identity" {
                let limited = body_of(&http, 100).unwrap_err();
                assert!(
                    limited.contains("decompresses to more than 100 bytes"),
                    "{coding}: {limited}"
                );
            }
        }
        let err = body_of(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n\r\nx",
            100,
        );
        assert_eq!(err, Err("unsupported Content-Encoding `compress`".into()));
        let err = body_of(b"ICY 200 OK\r\n\r\nx", 100).unwrap_err();
        assert!(err.starts_with("not an HTTP response"), "{err}");
    }

    #[test]
    fn zlib_headers_are_told_from_raw_deflate() {
        assert!(has_zlib_header(&[0x78, 0x9C]));
        assert!(has_zlib_header(&[0x78, 0x01]));
        assert!(!has_zlib_header(&[0x78, 0x9D]));
        assert!(!has_zlib_header(&[0xED, 0xBD]));
        assert!(!has_zlib_header(&[0x78]));
    }
}
