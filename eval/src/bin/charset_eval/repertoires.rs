//! What the external encoders (glibc's `iconv`, CPython's `hz` codec) and the charset tables can
//! write: the characters each test text may hold for each encoding.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;
use encoding_rs::{Encoding, GB18030};

use super::{Charset, Source};

/// Run an external encoder on `input`.
pub(super) fn run(command: &[&str], input: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut child = Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", command[0]))?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writer thread"))??;
    anyhow::ensure!(
        output.status.success(),
        "{} failed: {}",
        command.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(output.stdout)
}

/// Each character's bytes in an external encoding, one call for all: the characters one a line,
/// an empty line for one the encoder drops.
fn bytes_per_char(chars: &[char], command: &[&str]) -> anyhow::Result<HashMap<char, Vec<u8>>> {
    let input: String = chars.iter().map(|c| format!("{c}\n")).collect();
    let output = run(command, input.as_bytes())?;
    let lines: Vec<&[u8]> = output.split(|&b| b == b'\n').collect();
    anyhow::ensure!(lines.len() > chars.len(), "{} lost lines", command[0]);
    Ok(chars
        .iter()
        .zip(lines)
        .map(|(c, l)| (*c, l.to_vec()))
        .collect())
}

/// The non-ASCII characters each external encoder is tested on, `None` where the encoder is
/// missing: those it encodes into the same cell as the decoder's tables.
pub(super) struct Repertoires {
    cns: Option<HashSet<char>>,
    iso_2022_cn: Option<HashSet<char>>,
    hz: Option<HashSet<char>>,
}

impl Repertoires {
    pub(super) fn build(
        sources: &[Source],
        s2t: &HashMap<char, char>,
    ) -> anyhow::Result<Repertoires> {
        let mut chars: Vec<char> = sources
            .iter()
            .flat_map(|s| s.text.chars())
            .flat_map(|c| [c, *s2t.get(&c).unwrap_or(&c)])
            .filter(|c| !c.is_ascii())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        chars.sort();
        let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
        let (iconv, python) = (have("iconv"), have("python3"));
        if !iconv {
            println!("note: no iconv, EUC-TW and ISO-2022-CN are skipped");
        }
        if !python {
            println!("note: no python3, HZ is skipped");
        }
        let table = cns_table()?;
        let gb2312_agrees = |bytes: &Vec<u8>, c: char| {
            bytes.is_empty() || GB18030.decode_without_bom_handling(bytes).0.starts_with(c)
        };
        let cns = iconv
            .then(|| -> anyhow::Result<HashSet<char>> {
                let glibc =
                    bytes_per_char(&chars, &["iconv", "-c", "-f", "UTF-8", "-t", "EUC-TW"])?;
                Ok(chars
                    .iter()
                    .filter(|c| table.get(c).is_some_and(|cells| cells.contains(&glibc[c])))
                    .copied()
                    .collect())
            })
            .transpose()?;
        let iso_2022_cn = match (&cns, iconv) {
            (Some(cns), true) => {
                let gb = bytes_per_char(&chars, &["iconv", "-c", "-f", "UTF-8", "-t", "GB2312"])?;
                // glibc's ISO-2022-CN reaches CNS planes 1 and 2 only, and writes one SS2 before
                // a run of plane-2 characters where RFC 1922 shifts a single one: plane 1 only.
                let low_planes = |c: &char| table[c].iter().any(|cell| cell.len() == 2);
                Some(
                    cns.iter()
                        .filter(|c| low_planes(c) && gb2312_agrees(&gb[c], **c))
                        .copied()
                        .collect(),
                )
            }
            _ => None,
        };
        const GB2312: &str = "import sys\nfor l in sys.stdin.read().split('\\n'):\n  try: sys.stdout.buffer.write(l.encode('gb2312') + b'\\n')\n  except UnicodeError: sys.stdout.buffer.write(b'\\n')";
        let hz = python
            .then(|| -> anyhow::Result<HashSet<char>> {
                let gb = bytes_per_char(&chars, &["python3", "-c", GB2312])?;
                Ok(chars
                    .iter()
                    .filter(|c| !gb[c].is_empty() && gb2312_agrees(&gb[c], **c))
                    .copied()
                    .collect())
            })
            .transpose()?;
        Ok(Repertoires {
            cns,
            iso_2022_cn,
            hz,
        })
    }

    /// The characters of `text` a charset can carry here, `None` when its encoder is missing.
    pub(super) fn filter(&self, charset: Charset, text: &str) -> Option<String> {
        let set = match charset {
            Charset::EucTw => self.cns.as_ref()?,
            Charset::Iso2022Cn => self.iso_2022_cn.as_ref()?,
            Charset::Hz => self.hz.as_ref()?,
            _ => {
                return Some(
                    charset
                        .encoding()
                        .map_or(text.to_string(), |e| encodable(text, e)),
                );
            }
        };
        Some(
            text.chars()
                .filter(|c| c.is_ascii() || set.contains(c))
                .collect(),
        )
    }
}

/// `data/charset/cns11643.txt` as character → the EUC-TW bytes of each of its cells.
fn cns_table() -> anyhow::Result<HashMap<char, Vec<Vec<u8>>>> {
    let path = Path::new(sluice_eval::REPO).join("data/charset/cns11643.txt");
    let mut table: HashMap<char, Vec<Vec<u8>>> = HashMap::new();
    for line in std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let (key, chars) = line.split_once('\t').context("a table line")?;
        let (plane, code) = key.split_once('-').context("a table key")?;
        let plane: u8 = plane.parse()?;
        let code = u16::from_str_radix(code, 16)?;
        for (i, c) in chars.chars().enumerate() {
            let [row, cell] = (code + i as u16).to_be_bytes();
            let mut bytes = if plane == 1 {
                vec![]
            } else {
                vec![0x8E, 0xA0 + plane]
            };
            bytes.extend([row | 0x80, cell | 0x80]);
            table.entry(c).or_default().push(bytes);
        }
    }
    Ok(table)
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
