//! WARC input: the `response` and `resource` records of a WARC file as documents.
//!
//! The `warc` crate splits records; an HTTP response inside a record is parsed with `httparse`, its
//! `Content-Type` charset becomes the document's transport evidence, and chunked or gzip-encoded
//! bodies are decoded. Records that are not HTML or text (images, scripts, request records) are
//! skipped.

use std::io::Read;

use warc::{RecordType, WarcHeader, WarcReader};

use crate::document::{Document, Format};
use crate::error::Error;

/// One document from a WARC file.
#[derive(Debug)]
pub struct WarcDocument {
    /// The position of the record in the file (0-based, over all records).
    pub index: usize,
    pub url: Option<String>,
    pub record_id: String,
    pub document: Document,
}

/// Whether bytes (already decompressed) are a WARC file.
pub fn is_warc(bytes: &[u8]) -> bool {
    bytes.starts_with(b"WARC/")
}

/// The documents of a WARC file, each a result: a malformed record is an error in its place and the
/// records after it are still read when the format allows.
pub fn documents(bytes: &[u8]) -> Vec<Result<WarcDocument, Error>> {
    let mut out = Vec::new();
    for (index, record) in WarcReader::new(bytes).iter_records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                out.push(Err(Error::Input(format!("WARC record {index}: {e}"))));
                // The reader cannot find the next record boundary after a malformed one.
                break;
            }
        };
        let url = record.header(WarcHeader::TargetURI).map(|u| u.into_owned());
        let content_type = record
            .header(WarcHeader::ContentType)
            .map(|c| c.into_owned());
        let payload = match record.warc_type() {
            RecordType::Response if is_http(content_type.as_deref()) => http_payload(record.body()),
            RecordType::Response | RecordType::Resource => Ok(Some(Payload::new(
                record.body().to_vec(),
                content_type.as_deref(),
            ))),
            _ => Ok(None),
        };
        match payload {
            Ok(Some(payload)) if payload.is_textual() => out.push(Ok(WarcDocument {
                index,
                url,
                record_id: record.warc_id().to_string(),
                document: payload.into_document(),
            })),
            Ok(_) => {}
            Err(e) => out.push(Err(Error::Input(format!("WARC record {index}: {e}")))),
        }
    }
    out
}

fn is_http(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.trim_start().starts_with("application/http"))
}

/// A record's content with what its headers said about it.
struct Payload {
    body: Vec<u8>,
    media_type: Option<String>,
    charset: Option<String>,
}

impl Payload {
    fn new(body: Vec<u8>, content_type: Option<&str>) -> Self {
        let (media_type, charset) = content_type.map_or((None, None), parse_content_type);
        Payload {
            body,
            media_type,
            charset,
        }
    }

    /// HTML or text, by its media type (or by sniffing when there is none).
    fn is_textual(&self) -> bool {
        match &self.media_type {
            Some(m) => m.starts_with("text/") || m.contains("html") || m.contains("xml"),
            None => !self.body.is_empty(),
        }
    }

    fn into_document(self) -> Document {
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

/// The body of an HTTP response, de-chunked and decompressed.
fn http_payload(message: &[u8]) -> Result<Option<Payload>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    let body_start = match response.parse(message) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("truncated HTTP headers".into()),
        Err(e) => return Err(format!("bad HTTP response: {e}")),
    };
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let mut body = message[body_start..].to_vec();
    if header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        body = dechunk(&body)?;
    }
    if header("content-encoding").is_some_and(|e| e.to_ascii_lowercase().contains("gzip")) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(body.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("bad gzip body: {e}"))?;
        body = out;
    }
    Ok(Some(Payload::new(body, header("content-type").as_deref())))
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
    use super::*;

    fn record(kind: &str, content_type: &str, url: &str, block: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{url}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        out.extend_from_slice(block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }

    #[test]
    fn reads_responses_with_charset_chunks_and_skips_the_rest() {
        let gbk = encoding_rs::GBK
            .encode("<html><body><p>正文</p></body></html>")
            .0
            .into_owned();
        let mut http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=GBK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        http.extend_from_slice(format!("{:x}\r\n", gbk.len()).as_bytes());
        http.extend_from_slice(&gbk);
        http.extend_from_slice(b"\r\n0\r\n\r\n");
        let mut warc = record(
            "warcinfo",
            "application/warc-fields",
            "x",
            b"software: test\r\n",
        );
        warc.extend(record(
            "response",
            "application/http; msgtype=response",
            "http://a.cn/1",
            &http,
        ));
        let image = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG";
        warc.extend(record(
            "response",
            "application/http; msgtype=response",
            "http://a.cn/2.png",
            image,
        ));
        assert!(is_warc(&warc));
        let docs: Vec<WarcDocument> = documents(&warc).into_iter().map(Result::unwrap).collect();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].index, 1);
        assert_eq!(docs[0].url.as_deref(), Some("http://a.cn/1"));
        assert_eq!(docs[0].document.raw, gbk);
        assert_eq!(docs[0].document.format, Format::Html);
        assert_eq!(docs[0].document.transport_charset.as_deref(), Some("GBK"));
    }

    #[test]
    fn a_broken_record_is_an_error_not_a_panic() {
        let mut warc = record("response", "application/http; msgtype=response", "http://a.cn/", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        warc.extend_from_slice(b"WARC/1.0\r\nContent-Length: 99999\r\n\r\nshort");
        let results = documents(&warc);
        assert!(results.iter().all(|r| r.is_err()), "{results:?}");
        assert!(!results.is_empty());
    }
}
