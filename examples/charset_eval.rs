//! Charset detection accuracy of the `decode` stage on a generated test set.
//!
//!     cargo run --release --example charset_eval [-- --write DIR]
//!
//! The set is built from the real Chinese main texts in `../shared/corpus/` (cwced `cleaned/` and
//! cx163 `silver/`): ~50-byte snippets and ~5 KB HTML pages, in GBK, GB18030 (with characters outside
//! GBK), Big5 (text converted to traditional with OpenCC's character table), UTF-8 and UTF-8 with a
//! BOM; pages with no declaration, a correct one and a wrong one; and pages that lost one byte. An
//! intact document counts as right when its decoded text is exactly the original; a damaged page when
//! the encoding family is right (GBK and GB18030 are one family). `--write DIR` also saves the set.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use encoding_rs::{BIG5, Encoding, GB18030, GBK, UTF_8};
use sluice::RuleSet;
use sluice::stages::decode::Decode;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Charset {
    Gbk,
    Gb18030,
    Big5,
    Utf8,
    Utf8Bom,
}

impl Charset {
    const ALL: [Charset; 5] = [
        Charset::Gbk,
        Charset::Gb18030,
        Charset::Big5,
        Charset::Utf8,
        Charset::Utf8Bom,
    ];

    fn encoding(self) -> &'static Encoding {
        match self {
            Charset::Gbk => GBK,
            Charset::Gb18030 => GB18030,
            Charset::Big5 => BIG5,
            Charset::Utf8 | Charset::Utf8Bom => UTF_8,
        }
    }

    /// The name decode reports for this family.
    fn family(self) -> &'static str {
        match self {
            Charset::Gbk | Charset::Gb18030 => "gb18030",
            Charset::Big5 => "Big5",
            Charset::Utf8 | Charset::Utf8Bom => "UTF-8",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Charset::Gbk => "gbk",
            Charset::Gb18030 => "gb18030",
            Charset::Big5 => "big5",
            Charset::Utf8 | Charset::Utf8Bom => "utf-8",
        }
    }

    /// A plausible wrong declaration.
    fn wrong_label(self) -> &'static str {
        match self {
            Charset::Gbk | Charset::Gb18030 => "utf-8",
            Charset::Big5 => "gb2312",
            Charset::Utf8 | Charset::Utf8Bom => "gbk",
        }
    }
}

struct Case {
    name: String,
    category: String,
    bytes: Vec<u8>,
    charset: Charset,
    /// The text the bytes must decode to, for intact documents.
    expected: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let texts = load_texts(&shared)?;
    let s2t = load_s2t()?;
    let cases = build_cases(&texts, &s2t);
    let decode = Decode::from_rules(&RuleSet::defaults()?)?;
    // (sluice right, chardetng alone right, total) per category.
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
        let entry = tally.entry(case.category.clone()).or_default();
        entry.2 += 1;
        entry.1 += usize::from(judge(&anchor_text, anchor_encoding));
        *methods
            .entry(format!("{} {}", case.category, report.method))
            .or_default() += 1;
        if judge(&text, &report.encoding) {
            entry.0 += 1;
        } else {
            failures.push(format!(
                "{}: got {} ({})",
                case.name, report.encoding, report.method
            ));
        }
    }
    if let Some(dir) = write_dir {
        std::fs::create_dir_all(&dir)?;
        for case in &cases {
            std::fs::write(dir.join(&case.name), &case.bytes)?;
        }
    }
    let pct = |right: usize, total: usize| 100.0 * right as f64 / total as f64;
    println!(
        "{:<40} {:>6} {:>8} {:>10}",
        "category", "cases", "sluice", "chardetng"
    );
    let mut groups: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (category, &(right, anchor, total)) in &tally {
        println!(
            "{category:<40} {total:>6} {:>7.1}% {:>9.1}%",
            pct(right, total),
            pct(anchor, total)
        );
        let group = if category.contains("lost-byte") {
            "ALL pages that lost one byte"
        } else {
            "ALL intact"
        };
        let g = groups.entry(group).or_default();
        g.0 += right;
        g.1 += anchor;
        g.2 += total;
    }
    for (group, (right, anchor, total)) in groups {
        println!(
            "{group:<40} {total:>6} {:>7.1}% {:>9.1}%",
            pct(right, total),
            pct(anchor, total)
        );
    }
    println!("\nhow decode decided:");
    for (key, n) in methods {
        println!("  {key:<48} {n:>5}");
    }
    for failure in failures.iter().take(20) {
        println!("  miss: {failure}");
    }
    Ok(())
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

fn load_texts(shared: &Path) -> anyhow::Result<Vec<String>> {
    let mut texts = Vec::new();
    for dir in ["cwced/cleaned", "cx163/silver"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(shared.join(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)?;
            // Keep what every target charset can encode after conversion: drop private-use and
            // other characters Big5 and GBK lack by round-tripping through both.
            let text: String = text
                .chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .collect();
            if text.chars().filter(|c| !c.is_ascii()).count() > 400 {
                texts.push(text);
            }
        }
    }
    anyhow::ensure!(!texts.is_empty(), "no texts under {}", shared.display());
    Ok(texts)
}

fn load_s2t() -> anyhow::Result<HashMap<char, char>> {
    let table = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/script/opencc/STCharacters.txt"),
    )?;
    Ok(table
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('\t')?;
            Some((k.chars().next()?, v.chars().next()?))
        })
        .collect())
}

/// Characters of `text` that `encoding` can encode (so expected texts survive the round trip).
fn encodable(text: &str, encoding: &'static Encoding) -> String {
    text.chars()
        .filter(|c| {
            let mut buf = [0u8; 4];
            !encoding.encode(c.encode_utf8(&mut buf)).2
        })
        .collect()
}

fn build_cases(texts: &[String], s2t: &HashMap<char, char>) -> Vec<Case> {
    let mut rng = fastrand::Rng::with_seed(20261122);
    let mut cases = Vec::new();
    for (i, source) in texts.iter().enumerate() {
        for charset in Charset::ALL {
            let base: String = if charset == Charset::Big5 {
                source.chars().map(|c| *s2t.get(&c).unwrap_or(&c)).collect()
            } else {
                source.clone()
            };
            let mut text = encodable(&base, charset.encoding());
            if charset == Charset::Gb18030 {
                // Characters outside GBK, which only GB18030 encodes (four-byte sequences).
                let middle = text
                    .char_indices()
                    .nth(text.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                text.insert_str(middle, "㐀䶵");
            }
            let snippet = take_bytes(&text, charset.encoding(), 50, &mut rng);
            cases.push(encode_case(
                format!("{i:02}-{charset:?}-snippet.txt"),
                "snippet ~50 B".into(),
                &snippet,
                charset,
            ));
            let body = take_bytes(&text, charset.encoding(), 4500, &mut rng);
            for declaration in ["none", "correct", "wrong"] {
                let meta = match declaration {
                    "none" => String::new(),
                    "correct" => format!("<meta charset=\"{}\">", charset.label()),
                    _ => format!(
                        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\">",
                        charset.wrong_label()
                    ),
                };
                let page = html_page(&meta, &body);
                cases.push(encode_case(
                    format!("{i:02}-{charset:?}-page-{declaration}.html"),
                    format!("page ~5 KB, declaration {declaration}"),
                    &page,
                    charset,
                ));
            }
            let page = html_page("", &body);
            let mut lost = encode_case(
                format!("{i:02}-{charset:?}-page-lost-byte.html"),
                String::new(),
                &page,
                charset,
            );
            let start = lost.bytes.len() / 4;
            let at = start + rng.usize(..lost.bytes.len() / 2);
            lost.bytes.remove(at);
            lost.category = "page ~5 KB, lost-byte".into();
            lost.expected = None;
            cases.push(lost);
        }
    }
    for case in &mut cases {
        case.category = format!("{:<8} {}", case.charset.family(), case.category);
    }
    cases
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

fn encode_case(name: String, category: String, text: &str, charset: Charset) -> Case {
    let mut bytes = Vec::new();
    if charset == Charset::Utf8Bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    bytes.extend_from_slice(&charset.encoding().encode(text).0);
    Case {
        name,
        category,
        bytes,
        charset,
        expected: Some(text.to_string()),
    }
}
