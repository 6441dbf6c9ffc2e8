//! Charset detection accuracy of the `decode` stage on a generated test set.
//!
//!     cargo run --release -p sluice-eval --bin charset_eval [-- --write DIR]
//!
//! The set is built from the real Chinese main texts in `../shared/corpus/` (cwced `cleaned/` and
//! cx163 `silver/`): ~50-byte snippets and ~5 KB HTML pages, in GBK, GB18030 (with characters outside
//! GBK), Big5 (text converted to traditional with OpenCC's character table), UTF-8 and UTF-8 with a
//! BOM, UTF-16 and UTF-32 in both byte orders without a BOM, EUC-TW and ISO-2022-CN (traditional
//! text, encoded by glibc's `iconv`) and HZ (encoded by CPython's `hz` codec); pages with no
//! declaration, a correct one and a wrong one; and pages that lost one byte (not for UTF-16/32,
//! where a lost byte shifts every later unit). An intact document counts as right when its decoded
//! text is exactly the original; a damaged page when the encoding family is right (GBK and GB18030
//! are one family). Results are given per encoding and per split: cx163 (validation, a source no
//! threshold was tuned on) first, then cwced. `--write DIR` also saves the set.
//!
//! Characters an external encoder places in a different cell than the decoder's tables (a few
//! look-alike symbols where glibc's CNS 11643 and GB 2312 tables and the 全字庫 or WHATWG ones made
//! other choices) are left out of the texts for that encoder: they test vendor tables, not
//! detection. glibc's ISO-2022-CN encoder writes one SS2 before a run of CNS plane-2 characters
//! (RFC 1922's SS2 shifts one character), so its texts keep to plane 1 and GB 2312. Without
//! `iconv` or `python3` those encodings are skipped, with a note.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use encoding_rs::{BIG5, Encoding, GB18030, GBK, UTF_8};
use sluice::RuleSet;
use sluice::internals::Decode;

mod repertoires;

use repertoires::{Repertoires, run};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Charset {
    Gbk,
    Gb18030,
    Big5,
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
    EucTw,
    Iso2022Cn,
    Hz,
}

impl Charset {
    const ALL: [Charset; 12] = [
        Charset::Gbk,
        Charset::Gb18030,
        Charset::Big5,
        Charset::Utf8,
        Charset::Utf8Bom,
        Charset::Utf16Le,
        Charset::Utf16Be,
        Charset::Utf32Le,
        Charset::Utf32Be,
        Charset::EucTw,
        Charset::Iso2022Cn,
        Charset::Hz,
    ];

    /// The name decode reports for this family.
    fn family(self) -> &'static str {
        match self {
            Charset::Gbk | Charset::Gb18030 => "gb18030",
            Charset::Big5 => "Big5",
            Charset::Utf8 | Charset::Utf8Bom => "UTF-8",
            Charset::Utf16Le => "UTF-16LE",
            Charset::Utf16Be => "UTF-16BE",
            Charset::Utf32Le => "UTF-32LE",
            Charset::Utf32Be => "UTF-32BE",
            Charset::EucTw => "EUC-TW",
            Charset::Iso2022Cn => "ISO-2022-CN",
            Charset::Hz => "HZ-GB-2312",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Charset::Gbk => "gbk",
            Charset::Gb18030 => "gb18030",
            Charset::Big5 => "big5",
            Charset::Utf8 | Charset::Utf8Bom => "utf-8",
            Charset::Utf16Le => "utf-16le",
            Charset::Utf16Be => "utf-16be",
            Charset::Utf32Le => "utf-32le",
            Charset::Utf32Be => "utf-32be",
            Charset::EucTw => "euc-tw",
            Charset::Iso2022Cn => "iso-2022-cn",
            Charset::Hz => "hz-gb-2312",
        }
    }

    /// A plausible wrong declaration.
    fn wrong_label(self) -> &'static str {
        match self {
            Charset::Gbk | Charset::Gb18030 => "utf-8",
            Charset::Big5 | Charset::Iso2022Cn | Charset::Hz => "gb2312",
            Charset::Utf8 | Charset::Utf8Bom => "gbk",
            Charset::Utf16Le | Charset::Utf16Be | Charset::Utf32Le | Charset::Utf32Be => "utf-8",
            Charset::EucTw => "big5",
        }
    }

    fn traditional(self) -> bool {
        matches!(self, Charset::Big5 | Charset::EucTw | Charset::Iso2022Cn)
    }

    fn wide(self) -> bool {
        matches!(
            self,
            Charset::Utf16Le | Charset::Utf16Be | Charset::Utf32Le | Charset::Utf32Be
        )
    }

    /// The encoding_rs encoder of the charsets it has.
    fn encoding(self) -> Option<&'static Encoding> {
        match self {
            Charset::Gbk => Some(GBK),
            Charset::Gb18030 => Some(GB18030),
            Charset::Big5 => Some(BIG5),
            Charset::Utf8 | Charset::Utf8Bom => Some(UTF_8),
            _ => None,
        }
    }

    /// The external encoder of the others: a command reading UTF-8 on stdin.
    fn external(self) -> Option<&'static [&'static str]> {
        const HZ: &str = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode('utf-8').encode('hz'))";
        match self {
            Charset::EucTw => Some(&["iconv", "-f", "UTF-8", "-t", "EUC-TW"]),
            Charset::Iso2022Cn => Some(&["iconv", "-f", "UTF-8", "-t", "ISO-2022-CN"]),
            Charset::Hz => Some(&["python3", "-c", HZ]),
            _ => None,
        }
    }

    fn encode(self, text: &str) -> anyhow::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        match self {
            Charset::Utf8Bom => bytes.extend_from_slice(b"\xEF\xBB\xBF"),
            Charset::Utf16Le => {
                return Ok(text.encode_utf16().flat_map(u16::to_le_bytes).collect());
            }
            Charset::Utf16Be => {
                return Ok(text.encode_utf16().flat_map(u16::to_be_bytes).collect());
            }
            Charset::Utf32Le => {
                return Ok(text
                    .chars()
                    .flat_map(|c| (c as u32).to_le_bytes())
                    .collect());
            }
            Charset::Utf32Be => {
                return Ok(text
                    .chars()
                    .flat_map(|c| (c as u32).to_be_bytes())
                    .collect());
            }
            _ => {}
        }
        match (self.encoding(), self.external()) {
            (Some(encoding), _) => bytes.extend_from_slice(&encoding.encode(text).0),
            (None, Some(command)) => bytes = run(command, text.as_bytes())?,
            (None, None) => unreachable!("every charset has an encoder"),
        }
        Ok(bytes)
    }
}

struct Case {
    name: String,
    category: String,
    /// `validation` (cx163) or `train` (cwced).
    split: &'static str,
    bytes: Vec<u8>,
    charset: Charset,
    /// The text the bytes must decode to, for intact documents.
    expected: Option<String>,
}

struct Source {
    text: String,
    split: &'static str,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let shared = Path::new(sluice_eval::REPO).join("../shared/corpus");
    let sources = load_texts(&shared)?;
    let s2t = load_s2t()?;
    let repertoires = Repertoires::build(&sources, &s2t)?;
    let cases = build_cases(&sources, &s2t, &repertoires)?;
    let decode = Decode::from_rules(&RuleSet::defaults()?)?;
    // (sluice right, chardetng alone right, total) per key.
    let mut tally: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let (text, report) = decode.decode(&case.bytes, None);
        let (anchor_text, anchor_encoding) = chardetng_alone(&case.bytes);
        let judge = |text: &str, encoding: &str| match &case.expected {
            Some(expected) => text == expected,
            None => encoding == case.charset.family(),
        };
        let right = judge(&text, &report.encoding);
        let anchor = judge(&anchor_text, anchor_encoding);
        let kind = if case.expected.is_some() {
            "intact"
        } else {
            "lost one byte"
        };
        for key in [
            format!("1 {:<12} {}", case.charset.family(), case.category),
            format!("2 {:<12} {kind}", case.charset.family()),
            format!("3 {} {kind}", case.split),
        ] {
            let entry = tally.entry(key).or_default();
            entry.0 += usize::from(right);
            entry.1 += usize::from(anchor);
            entry.2 += 1;
        }
        *methods
            .entry(format!("{:<12} {}", case.charset.family(), report.method))
            .or_default() += 1;
        if !right {
            failures.push(format!(
                "{}: got {} ({}){}",
                case.name,
                report.encoding,
                report.method,
                first_difference(&text, case.expected.as_deref())
            ));
        }
    }
    if let Some(dir) = write_dir {
        std::fs::create_dir_all(&dir)?;
        for case in &cases {
            std::fs::write(dir.join(&case.name), &case.bytes)?;
        }
    }
    print_tally(&tally);
    println!("\nhow decode decided:");
    for (key, n) in methods {
        println!("  {key:<48} {n:>5}");
    }
    for failure in failures.iter().take(20) {
        println!("  miss: {failure}");
    }
    Ok(())
}

/// Where a decoded text first differs from the expected one, with a little context.
fn first_difference(text: &str, expected: Option<&str>) -> String {
    let Some(expected) = expected else {
        return String::new();
    };
    let at = text
        .chars()
        .zip(expected.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let around = |s: &str| -> String { s.chars().skip(at.saturating_sub(3)).take(8).collect() };
    format!(
        ", differs at character {at}: {:?} for {:?}",
        around(text),
        around(expected)
    )
}

fn print_tally(tally: &BTreeMap<String, (usize, usize, usize)>) {
    let pct = |right: usize, total: usize| 100.0 * right as f64 / total as f64;
    let headings = [
        "by encoding and kind of document",
        "by encoding",
        "by split (cx163 is the validation split)",
    ];
    for (section, heading) in headings.iter().enumerate() {
        println!(
            "\n{heading}\n{:<48} {:>6} {:>8} {:>10}",
            "", "cases", "sluice", "chardetng"
        );
        let prefix = format!("{} ", section + 1);
        let mut rows: Vec<_> = tally
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .collect();
        // Validation first.
        rows.sort_by_key(|(k, _)| (!k.contains("validation"), k.to_string()));
        for (key, &(right, anchor, total)) in rows {
            println!(
                "{:<48} {total:>6} {:>7.1}% {:>9.1}%",
                &key[prefix.len()..],
                pct(right, total),
                pct(anchor, total)
            );
        }
    }
}

/// The anchor: chardetng's guess over the whole document, as the issue measured it.
fn chardetng_alone(bytes: &[u8]) -> (String, &'static str) {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, _) = guess.decode(bytes);
    let family = if guess == GBK || guess == GB18030 {
        "gb18030"
    } else {
        guess.name()
    };
    (text.into_owned(), family)
}

fn load_texts(shared: &Path) -> anyhow::Result<Vec<Source>> {
    let mut texts = Vec::new();
    for (dir, split) in [("cwced/cleaned", "train"), ("cx163/silver", "validation")] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(shared.join(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)?;
            let text: String = text
                .chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .collect();
            if text.chars().filter(|c| !c.is_ascii()).count() > 400 {
                texts.push(Source { text, split });
            }
        }
    }
    anyhow::ensure!(!texts.is_empty(), "no texts under {}", shared.display());
    Ok(texts)
}

fn load_s2t() -> anyhow::Result<HashMap<char, char>> {
    let table = std::fs::read_to_string(
        Path::new(sluice_eval::REPO).join("rules/script/opencc/STCharacters.txt"),
    )?;
    Ok(table
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('\t')?;
            Some((k.chars().next()?, v.chars().next()?))
        })
        .collect())
}

fn build_cases(
    sources: &[Source],
    s2t: &HashMap<char, char>,
    repertoires: &Repertoires,
) -> anyhow::Result<Vec<Case>> {
    let mut rng = fastrand::Rng::with_seed(20261122);
    let mut cases = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        for charset in Charset::ALL {
            let base: String = if charset.traditional() {
                source
                    .text
                    .chars()
                    .map(|c| *s2t.get(&c).unwrap_or(&c))
                    .collect()
            } else {
                source.text.clone()
            };
            let Some(mut text) = repertoires.filter(charset, &base) else {
                continue;
            };
            if charset == Charset::Gb18030 {
                // Characters outside GBK, which only GB18030 encodes (four-byte sequences).
                let middle = text
                    .char_indices()
                    .nth(text.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                text.insert_str(middle, "㐀䶵");
            }
            // Byte budgets are in UTF-8 for the charsets without an encoding_rs encoder.
            let budget = charset.encoding().unwrap_or(UTF_8);
            let snippet = take_bytes(&text, budget, 50, &mut rng);
            let mut add = |name: String, category: String, text: &str| -> anyhow::Result<()> {
                cases.push(Case {
                    name,
                    category,
                    split: source.split,
                    bytes: charset.encode(text)?,
                    charset,
                    expected: Some(text.to_string()),
                });
                Ok(())
            };
            add(
                format!("{i:02}-{charset:?}-snippet.txt"),
                "snippet ~50 B".into(),
                &snippet,
            )?;
            let body = take_bytes(&text, budget, 4500, &mut rng);
            for declaration in ["none", "correct", "wrong"] {
                let meta = match declaration {
                    "none" => String::new(),
                    "correct" => format!("<meta charset=\"{}\">", charset.label()),
                    _ => format!(
                        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\">",
                        charset.wrong_label()
                    ),
                };
                add(
                    format!("{i:02}-{charset:?}-page-{declaration}.html"),
                    format!("page ~5 KB, declaration {declaration}"),
                    &html_page(&meta, &body),
                )?;
            }
            if charset.wide() {
                continue;
            }
            let mut bytes = charset.encode(&html_page("", &body))?;
            let start = bytes.len() / 4;
            let at = start + rng.usize(..bytes.len() / 2);
            bytes.remove(at);
            cases.push(Case {
                name: format!("{i:02}-{charset:?}-page-lost-byte.html"),
                category: "page ~5 KB, lost-byte".into(),
                split: source.split,
                bytes,
                charset,
                expected: None,
            });
        }
    }
    Ok(cases)
}

/// About `n` encoded bytes of `text`, from a random line start, cut at a character boundary.
fn take_bytes(
    text: &str,
    encoding: &'static Encoding,
    n: usize,
    rng: &mut fastrand::Rng,
) -> String {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < text.len())
        .collect();
    let start = starts[rng.usize(..starts.len().min(8))];
    let mut out = String::new();
    let mut bytes = 0;
    for c in text[start..].chars() {
        let mut buf = [0u8; 4];
        bytes += encoding.encode(c.encode_utf8(&mut buf)).0.len();
        if bytes > n {
            break;
        }
        out.push(c);
    }
    out
}

fn html_page(meta: &str, body: &str) -> String {
    let paragraphs: String = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{l}</p>\n"))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head>{meta}<title>page</title></head>\n<body>\n{paragraphs}</body></html>\n"
    )
}
