//! WARC input: the `response` and `resource` records of a WARC stream as documents, read one record
//! at a time so that a crawl of any size streams through.
//!
//! The `warc` crate splits records; an HTTP response inside a record is parsed with `httparse`, its
//! `Content-Type` charset becomes the document's transport evidence, and chunked or gzip-encoded
//! bodies are decoded. Records that are not HTML or text (images, scripts, request records) are
//! skipped.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use warc::{BufferedBody, Record, RecordIter, RecordType, WarcHeader, WarcReader};

use super::{MAX_DOCUMENT_BYTES, gunzip, peek};
use crate::document::{Document, Format};
use crate::error::Error;

/// One document from a WARC file.
#[derive(Debug)]
pub struct WarcDocument {
    pub url: Option<String>,
    pub record_id: String,
    pub document: Document,
}

/// The HTML and text documents of a WARC stream (already decompressed), each with the position of its
/// record in the stream (0-based, over all records). Fails if the stream does not start like a WARC
/// file.
pub fn records<R: BufRead>(reader: R) -> Result<Records<impl BufRead>, Error> {
    records_of_at_most(reader, MAX_DOCUMENT_BYTES)
}

/// `records`, with records of more than `max_record_bytes` failing.
fn records_of_at_most<R: BufRead>(
    reader: R,
    max_record_bytes: u64,
) -> Result<Records<impl BufRead>, Error> {
    let (head, reader) =
        peek(reader, 5).map_err(|e| Error::Input(format!("cannot read WARC data: {e}")))?;
    if head != b"WARC/" {
        return Err(Error::Input("not a WARC file (no WARC/ header)".into()));
    }
    let left = Arc::new(AtomicU64::new(0));
    Ok(Records {
        records: WarcReader::new(Capped {
            inner: reader,
            left: Arc::clone(&left),
            limit: max_record_bytes,
        })
        .iter_records(),
        left,
        max_record_bytes,
        next_index: 0,
        stopped: false,
    })
}

/// An iterator over the documents of a WARC stream: `(record index, document)`. A malformed record
/// is an error in its place, and the last item, because the reader cannot find the next record
/// boundary after it; a record whose HTTP payload is broken is an error and reading goes on.
pub struct Records<R> {
    records: RecordIter<Capped<R>>,
    /// What the record being read may still take of the stream (shared with the `Capped` reader).
    left: Arc<AtomicU64>,
    max_record_bytes: u64,
    next_index: usize,
    stopped: bool,
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = (usize, Result<WarcDocument, Error>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.stopped {
            self.left.store(self.max_record_bytes, Ordering::Relaxed);
            let record = self.records.next()?;
            let index = self.next_index;
            self.next_index += 1;
            let document = match record {
                Ok(record) => document(&record),
                Err(e) => {
                    self.stopped = true;
                    Err(Error::Input(format!("bad WARC record: {}", describe(&e))))
                }
            };
            match document {
                Ok(Some(document)) => return Some((index, Ok(document))),
                Ok(None) => {}
                Err(error) => return Some((index, Err(error))),
            }
        }
        None
    }
}

/// The `warc` crate's message for a failed read hides the cause (a gzip error, the size cap).
fn describe(error: &warc::Error) -> String {
    match error {
        warc::Error::ReadData(io) => format!("cannot read: {io}"),
        other => other.to_string(),
    }
}

/// The document of a record, if it is a response or resource with HTML or text content.
fn document(record: &Record<BufferedBody>) -> Result<Option<WarcDocument>, Error> {
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
        Ok(Some(payload)) if payload.is_textual() => Ok(Some(WarcDocument {
            url: record.header(WarcHeader::TargetURI).map(|u| u.into_owned()),
            record_id: record.warc_id().to_string(),
            document: payload.into_document(),
        })),
        Ok(_) => Ok(None),
        Err(e) => Err(Error::Input(format!("HTTP payload: {e}"))),
    }
}

/// A reader that fails once the record being read has taken more than it was allotted. Hand-written
/// because the `warc` crate reads as far as a record's `Content-Length` says, with no limit, and
/// holds the whole record: this keeps one runaway record from taking all memory.
struct Capped<R> {
    inner: R,
    left: Arc<AtomicU64>,
    /// What each record is allotted (for the message).
    limit: u64,
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.left.load(Ordering::Relaxed) == 0 {
            return Err(std::io::Error::other(format!(
                "record larger than {} bytes",
                self.limit
            )));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        let left = self.left.load(Ordering::Relaxed);
        self.left
            .store(left.saturating_sub(amount as u64), Ordering::Relaxed);
        self.inner.consume(amount);
    }
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
        body = gunzip(body.as_slice())?;
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
#[path = "../../tests/support/warc_record.rs"]
mod test_fixture;

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_fixture::warc_record as record;

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
        let docs: Vec<(usize, WarcDocument)> = records(warc.as_slice())
            .unwrap()
            .map(|(i, d)| (i, d.unwrap()))
            .collect();
        assert_eq!(docs.len(), 1);
        let (index, doc) = &docs[0];
        assert_eq!(*index, 1);
        assert_eq!(doc.url.as_deref(), Some("http://a.cn/1"));
        assert_eq!(doc.document.raw, gbk);
        assert_eq!(doc.document.format, Format::Html);
        assert_eq!(doc.document.transport_charset.as_deref(), Some("GBK"));
    }

    #[test]
    fn a_broken_record_is_an_error_not_a_panic() {
        let mut warc = record("response", "application/http; msgtype=response", "http://a.cn/", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        warc.extend_from_slice(b"WARC/1.0\r\nContent-Length: 99999\r\n\r\nshort");
        let results: Vec<_> = records(warc.as_slice()).unwrap().collect();
        assert_eq!(results.len(), 2, "{results:?}");
        assert!(results.iter().all(|(_, r)| r.is_err()), "{results:?}");
        assert_eq!((results[0].0, results[1].0), (0, 1));
    }

    #[test]
    fn not_a_warc_file_is_one_error() {
        let err = records(&b"<html>"[..]).err().unwrap().to_string();
        assert!(err.contains("not a WARC file"), "{err}");
    }

    #[test]
    fn a_record_over_the_cap_stops_reading_with_an_error() {
        let page = record(
            "resource",
            "text/html",
            "http://a.cn/1",
            "<p>正文</p>".as_bytes(),
        );
        let mut warc = page.clone();
        warc.extend(record(
            "resource",
            "text/html",
            "http://a.cn/2",
            &[b'x'; 4096],
        ));
        warc.extend(page);
        let results: Vec<_> = records_of_at_most(warc.as_slice(), 1024).unwrap().collect();
        assert_eq!(results.len(), 2, "{results:?}");
        assert!(results[0].1.is_ok());
        let err = results[1].1.as_ref().unwrap_err().to_string();
        assert!(err.contains("record larger than 1024 bytes"), "{err}");
    }
}
