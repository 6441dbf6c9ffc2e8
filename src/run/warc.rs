//! WARC input: the `response` and `resource` records of a WARC stream as documents, read one record
//! at a time so that a crawl of any size streams through.
//!
//! The reader is hand-written, because the `warc` crate (0.4) panics on a header value that is not
//! UTF-8, ends the file at the first malformed record and reads a record's block with no limit, and
//! the format is simple: a `WARC/1.x` line, `Name: value` lines, a blank line, `Content-Length` bytes
//! of block, and CRLF CRLF. Header values stay bytes; every read is bounded; a record whose headers
//! are bad, or whose block is over the limit, fails alone and is skipped by its `Content-Length`.
//!
//! An HTTP response inside a record is parsed in `run/http.rs` with `httparse` (its status line by
//! hand, since `httparse` knows only HTTP/1 and WARC writers record HTTP/2 responses as `HTTP/2 200`
//! with HTTP/1-style headers); its `Content-Type` charset becomes the document's transport evidence, and
//! chunked bodies and the `gzip`, `deflate`, `br` and `zstd` content encodings are decoded, each up
//! to the per-record limit. Records that are not HTML or text (images, scripts, request records) are
//! skipped.

use std::io::{BufRead, Read};

use super::http::{Payload, could_be_textual, http_head, http_payload, is_http};
use super::input::{MAX_DOCUMENT_BYTES, limit_in_words, peek};
use crate::document::Document;
use crate::error::Error;
use crate::stages::StageName;

/// The longest header block read (a long `WARC-Target-URI` is a few kilobytes): a stream that is
/// not WARC, or lost its place, fails here rather than filling memory.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// How much of an over-limit record's block is read to tell whether it is a document at all.
const SNIFF_BYTES: u64 = 64 << 10;

/// One document from a WARC file.
#[derive(Debug, Clone)]
pub struct WarcDocument {
    pub url: Option<String>,
    pub record_id: Option<String>,
    pub document: Document,
}

/// The HTML and text documents of a WARC stream (already decompressed), each with the position of its
/// record in the stream (0-based, over all records). Fails if the stream does not start like a WARC
/// file.
pub fn records<R: BufRead>(reader: R) -> Result<Records<impl BufRead>, Error> {
    records_of_at_most(reader, MAX_DOCUMENT_BYTES)
}

/// `records`, with records (and decoded bodies) of more than `max_record_bytes` failing.
fn records_of_at_most<R: BufRead>(
    reader: R,
    max_record_bytes: u64,
) -> Result<Records<impl BufRead>, Error> {
    let (head, reader) =
        peek(reader, 5).map_err(|e| Error::Input(format!("cannot read WARC data: {e}")))?;
    if head != b"WARC/" {
        return Err(Error::Input("not a WARC file (no WARC/ header)".into()));
    }
    Ok(Records {
        reader,
        max_record_bytes,
        next_index: 0,
        stopped: false,
    })
}

/// An iterator over the documents of a WARC stream: `(record index, document)`. A record with bad
/// headers or a broken HTTP payload is an error and reading goes on; a record that leaves the reader
/// without the next record boundary (no `Content-Length`, a block shorter or longer than it says, a
/// stream that cannot be read) is an error, and the last item.
pub struct Records<R> {
    reader: R,
    max_record_bytes: u64,
    next_index: usize,
    stopped: bool,
}

/// What reading one record gave.
enum Step {
    End,
    Record(Record),
    /// Not a document; skipped.
    Skipped,
    /// The record fails alone, for this reason: reading goes on with the next.
    Failed(String),
    /// The next record boundary is lost: reading stops.
    Lost(String),
}

/// A record's header lines (names and values as written) and block.
struct Record {
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    block: Vec<u8>,
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = (usize, Result<WarcDocument, Error>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.stopped {
            let read = self
                .read_record()
                .unwrap_or_else(|e| Step::Lost(format!("cannot read: {e}")));
            let index = self.next_index;
            self.next_index += 1;
            let result = match read {
                Step::End => return None,
                Step::Skipped => continue,
                Step::Record(record) => match record.document(self.max_record_bytes) {
                    Ok(Some(document)) => Ok(document),
                    Ok(None) => continue,
                    Err(e) => Err(format!("HTTP payload: {e}")),
                },
                Step::Failed(why) => Err(why),
                Step::Lost(why) => {
                    self.stopped = true;
                    Err(format!("bad WARC record: {why}"))
                }
            };
            return Some((index, result.map_err(Error::Input)));
        }
        None
    }
}

impl<R: BufRead> Records<R> {
    /// Read the next record and the blank lines after it.
    fn read_record(&mut self) -> std::io::Result<Step> {
        if self.reader.fill_buf()?.is_empty() {
            return Ok(Step::End);
        }
        let head = match read_header_block(&mut self.reader)? {
            Ok(head) => head,
            Err(why) => return Ok(Step::Lost(why)),
        };
        let Some(length) = content_length(&head.headers) else {
            return Ok(Step::Lost("no valid Content-Length".into()));
        };
        let read = if let Some(why) = head.malformed {
            skip(&mut self.reader, length)?;
            Step::Failed(format!("bad WARC header: {why}"))
        } else if length > self.max_record_bytes {
            self.over_limit(head.headers, length)?
        } else {
            let mut block = Vec::with_capacity(length.min(1 << 20) as usize);
            (&mut self.reader).take(length).read_to_end(&mut block)?;
            if (block.len() as u64) < length {
                return Ok(Step::Lost(format!(
                    "the stream ends {} bytes into a block of {length}",
                    block.len()
                )));
            }
            Step::Record(Record {
                headers: head.headers,
                block,
            })
        };
        if !self.at_record_boundary()? {
            return Ok(Step::Lost(
                "no record follows the block: its Content-Length is wrong".into(),
            ));
        }
        Ok(read)
    }

    /// A record whose block is over the limit: it fails if it could be a document, and is skipped
    /// either way, holding no more than the start of its block.
    fn over_limit(
        &mut self,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        length: u64,
    ) -> std::io::Result<Step> {
        let mut start = Vec::new();
        (&mut self.reader)
            .take(SNIFF_BYTES.min(length))
            .read_to_end(&mut start)?;
        skip(&mut self.reader, length - start.len() as u64)?;
        let record = Record {
            headers,
            block: start,
        };
        Ok(if record.could_be_document() {
            Step::Failed(format!(
                "a record of {length} bytes, over the limit of {}",
                limit_in_words(self.max_record_bytes)
            ))
        } else {
            Step::Skipped
        })
    }

    /// Skip the CRLF CRLF that ends a record (any run of line ends): true when the stream ends there
    /// or goes on with what could be a record.
    fn at_record_boundary(&mut self) -> std::io::Result<bool> {
        loop {
            let available = self.reader.fill_buf()?;
            let Some(&first) = available.first() else {
                return Ok(true);
            };
            let ends = available
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if ends == 0 {
                return Ok(first == b'W');
            }
            self.reader.consume(ends);
        }
    }
}

/// Discard `n` bytes of the stream (fewer at its end).
fn skip(reader: &mut impl BufRead, n: u64) -> std::io::Result<()> {
    std::io::copy(&mut reader.take(n), &mut std::io::sink()).map(drop)
}

/// A header block as read: its lines, and what is wrong with them when something is.
struct HeaderBlock {
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    malformed: Option<String>,
}

/// Read the version line and the header lines up to the blank line; `Err` when the block cannot be
/// read as one (no version line, no end within `MAX_HEADER_BYTES`).
fn read_header_block(reader: &mut impl BufRead) -> std::io::Result<Result<HeaderBlock, String>> {
    let mut limited = reader.take(MAX_HEADER_BYTES);
    let mut line = Vec::new();
    limited.read_until(b'\n', &mut line)?;
    if !line.starts_with(b"WARC/") {
        return Ok(Err(
            "no WARC/ version line where a record should start".into()
        ));
    }
    let mut block = HeaderBlock {
        headers: Vec::new(),
        malformed: None,
    };
    loop {
        line.clear();
        limited.read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Ok(Err(if limited.limit() == 0 {
                format!(
                    "no end of the header block within {}",
                    limit_in_words(MAX_HEADER_BYTES)
                )
            } else {
                "the stream ends inside a header block".into()
            }));
        }
        let content = line.trim_ascii_end();
        if content.is_empty() {
            return Ok(Ok(block));
        }
        block.add_line(content);
    }
}

impl HeaderBlock {
    /// One line: `Name: value`, or the continuation of the previous value (a line that starts with a
    /// space or a tab).
    fn add_line(&mut self, line: &[u8]) {
        if matches!(line.first(), Some(b' ' | b'\t'))
            && let Some((_, value)) = self.headers.last_mut()
        {
            value.push(b' ');
            value.extend_from_slice(line.trim_ascii());
            return;
        }
        match line.iter().position(|&b| b == b':') {
            Some(colon) if colon > 0 && line[..colon].iter().all(u8::is_ascii_graphic) => {
                let (name, value) = (&line[..colon], &line[colon + 1..]);
                self.headers
                    .push((name.to_vec(), value.trim_ascii().to_vec()));
            }
            _ => {
                self.malformed
                    .get_or_insert_with(|| format!("`{}` is not a header line", preview(line)));
            }
        }
    }
}

/// The start of a line of input, for a message.
pub(super) fn preview(line: &[u8]) -> String {
    const SHOWN: usize = 60;
    let shown = String::from_utf8_lossy(&line[..line.len().min(SHOWN)]);
    if line.len() > SHOWN {
        format!("{shown}…")
    } else {
        shown.into_owned()
    }
}

/// The value of the first header called `name` (any case).
fn header<'a>(headers: &'a [(Vec<u8>, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.as_slice())
}

fn content_length(headers: &[(Vec<u8>, Vec<u8>)]) -> Option<u64> {
    std::str::from_utf8(header(headers, "Content-Length")?)
        .ok()?
        .parse()
        .ok()
}

impl Record {
    fn header(&self, name: &str) -> Option<&[u8]> {
        header(&self.headers, name)
    }

    /// The WARC type, lowercased.
    fn kind(&self) -> String {
        self.header("WARC-Type")
            .map(|t| String::from_utf8_lossy(t).to_ascii_lowercase())
            .unwrap_or_default()
    }

    fn content_type(&self) -> Option<String> {
        self.header("Content-Type")
            .map(|c| String::from_utf8_lossy(c).into_owned())
    }

    /// Whether the record (of which `block` may hold just the start) is a response or resource that
    /// is not known to be something other than HTML or text.
    fn could_be_document(&self) -> bool {
        let content_type = self.content_type();
        match self.kind().as_str() {
            "response" if is_http(content_type.as_deref()) => http_head(&self.block)
                .map_or(true, |(_, headers)| {
                    could_be_textual(headers.content_type.as_deref())
                }),
            "response" | "resource" => could_be_textual(content_type.as_deref()),
            _ => false,
        }
    }

    /// The document of a response or resource with HTML or text content.
    fn document(self, max_body_bytes: u64) -> Result<Option<WarcDocument>, String> {
        let content_type = self.content_type();
        let mut flags = Vec::new();
        let url = self.text_header("WARC-Target-URI", &mut flags);
        let record_id = self.text_header("WARC-Record-ID", &mut flags);
        let payload = match self.kind().as_str() {
            "response" if is_http(content_type.as_deref()) => {
                http_payload(&self.block, max_body_bytes)?
            }
            "response" | "resource" => Payload::new(self.block, content_type.as_deref()),
            _ => return Ok(None),
        };
        if !payload.is_textual() {
            return Ok(None);
        }
        let mut document = payload.into_document();
        for message in flags {
            document.flag(StageName::Decode, "decode.warc-header", message, None);
        }
        Ok(Some(WarcDocument {
            url,
            record_id,
            document,
        }))
    }

    /// A header that names something (a URI): its text, and a flag's message when it was not UTF-8
    /// and its bytes had to be percent-encoded, as a browser puts such bytes in a URL.
    fn text_header(&self, name: &str, flags: &mut Vec<String>) -> Option<String> {
        let value = self.header(name)?;
        Some(match std::str::from_utf8(value) {
            Ok(text) => text.to_string(),
            Err(_) => {
                flags.push(format!(
                    "{name} is not UTF-8: its control and non-ASCII bytes are percent-encoded"
                ));
                percent_encoding::percent_encode(value, percent_encoding::CONTROLS).to_string()
            }
        })
    }
}

#[cfg(test)]
#[path = "../../tests/support/warc_record.rs"]
mod test_fixture;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    use super::test_fixture::{warc_record as record, warc_record_with};

    fn response(url: &str, http: &[u8]) -> Vec<u8> {
        record("response", "application/http; msgtype=response", url, http)
    }

    fn read_all(warc: &[u8], max_record_bytes: u64) -> Vec<(usize, Result<WarcDocument, Error>)> {
        records_of_at_most(warc, max_record_bytes)
            .unwrap()
            .collect()
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
        warc.extend(response("http://a.cn/1", &http));
        let image = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG";
        warc.extend(response("http://a.cn/2.png", image));
        let docs: Vec<(usize, WarcDocument)> = records(warc.as_slice())
            .unwrap()
            .map(|(i, d)| (i, d.unwrap()))
            .collect();
        assert_eq!(docs.len(), 1);
        let (index, doc) = &docs[0];
        assert_eq!(*index, 1);
        assert_eq!(doc.url.as_deref(), Some("http://a.cn/1"));
        assert_eq!(doc.record_id.as_deref(), Some("<urn:uuid:http://a.cn/1>"));
        assert_eq!(doc.document.raw, gbk);
        assert_eq!(doc.document.format, Format::Html);
        assert_eq!(doc.document.transport_charset.as_deref(), Some("GBK"));
    }

    #[test]
    fn a_broken_payload_fails_alone_and_a_truncated_record_ends_the_stream() {
        let mut warc = response(
            "http://a.cn/",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        );
        warc.extend_from_slice(b"WARC/1.0\r\nContent-Length: 99999\r\n\r\nshort");
        let results = read_all(&warc, MAX_DOCUMENT_BYTES);
        assert_eq!(results.len(), 2, "{results:?}");
        let errors: Vec<String> = results
            .iter()
            .map(|(_, r)| r.as_ref().unwrap_err().to_string())
            .collect();
        assert!(
            errors[0].starts_with("HTTP payload: bad chunked"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("bad WARC record: the stream ends"),
            "{errors:?}"
        );
        assert_eq!((results[0].0, results[1].0), (0, 1));
    }

    #[test]
    fn a_stream_that_ends_inside_a_header_block_says_so() {
        let mut warc = record("resource", "text/plain", "http://a.cn/1", "正文".as_bytes());
        warc.extend_from_slice(b"WARC/1.0\r\nWARC-Type: reso");
        let results = read_all(&warc, MAX_DOCUMENT_BYTES);
        assert!(results[0].1.is_ok());
        let err = results[1].1.as_ref().unwrap_err().to_string();
        assert_eq!(
            err,
            "bad WARC record: the stream ends inside a header block"
        );
        let broken = [
            b"WARC/1.0\r\n".as_slice(),
            &[b'x'; 100],
            b"\r\nContent-Length: 0\r\n\r\n",
        ]
        .concat();
        let err = read_all(&broken, MAX_DOCUMENT_BYTES)[0]
            .1
            .as_ref()
            .unwrap_err()
            .to_string();
        let shown = "x".repeat(60);
        assert_eq!(
            err,
            format!("bad WARC header: `{shown}…` is not a header line")
        );
    }

    #[test]
    fn not_a_warc_file_is_one_error() {
        let err = records(&b"<html>"[..]).err().unwrap().to_string();
        assert!(err.contains("not a WARC file"), "{err}");
    }

    #[test]
    fn a_record_over_the_limit_fails_alone_and_a_large_image_is_skipped() {
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
        let mut image = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n".to_vec();
        image.extend_from_slice(&[0x89; 4096]);
        warc.extend(response("http://a.cn/3.png", &image));
        warc.extend(page);
        let results = read_all(&warc, 1024);
        let indices: Vec<usize> = results.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices, [0, 1, 3], "{results:?}");
        let err = results[1].1.as_ref().unwrap_err().to_string();
        assert_eq!(err, "a record of 4096 bytes, over the limit of 1024 bytes");
        assert!(results[2].1.is_ok());
    }

    #[test]
    fn a_header_that_is_not_utf8_is_kept_percent_encoded_and_flagged() {
        let uri = [b"http://a.cn/".as_slice(), &[0xD0, 0xC2]].concat();
        let warc = warc_record_with(
            &[
                (b"WARC-Type", b"resource"),
                (b"WARC-Target-URI", &uri),
                (b"Content-Type", b"text/plain"),
            ],
            "正文".as_bytes(),
        );
        let (_, doc) = read_all(&warc, MAX_DOCUMENT_BYTES).pop().unwrap();
        let doc = doc.unwrap();
        assert_eq!(doc.url.as_deref(), Some("http://a.cn/%D0%C2"));
        assert_eq!(doc.record_id, None);
        assert_eq!(doc.document.report.flags[0].rule, "decode.warc-header");
    }

    #[test]
    fn a_malformed_header_fails_its_record_and_reading_goes_on() {
        let page = record("resource", "text/plain", "http://a.cn/1", "正文".as_bytes());
        let mut warc = warc_record_with(
            &[(b"WARC-Type", b"resource"), (b"\xff\xfe", b"x")],
            b"skipped",
        );
        // Folded header lines continue the value before them.
        warc.extend(warc_record_with(
            &[
                (b"WARC-Type", b"resource"),
                (b"Content-Type", b"text/plain;\r\n charset=gbk"),
            ],
            &encoding_rs::GBK.encode("正文").0,
        ));
        warc.extend(page);
        let results = read_all(&warc, MAX_DOCUMENT_BYTES);
        assert_eq!(results.len(), 3, "{results:?}");
        let err = results[0].1.as_ref().unwrap_err().to_string();
        assert!(err.starts_with("bad WARC header: `"), "{err}");
        let folded = results[1].1.as_ref().unwrap();
        assert_eq!(folded.document.transport_charset.as_deref(), Some("gbk"));
        assert!(results[2].1.is_ok());
    }

    #[test]
    fn a_block_longer_than_its_content_length_stops_the_stream() {
        let mut warc = record("resource", "text/plain", "http://a.cn/1", "正文".as_bytes());
        warc = String::from_utf8(warc)
            .unwrap()
            .replace("Content-Length: 6", "Content-Length: 3")
            .into_bytes();
        warc.extend(record("resource", "text/plain", "http://a.cn/2", b"x"));
        let results = read_all(&warc, MAX_DOCUMENT_BYTES);
        assert_eq!(results.len(), 1, "{results:?}");
        let err = results[0].1.as_ref().unwrap_err().to_string();
        assert!(err.contains("Content-Length is wrong"), "{err}");
    }
}
