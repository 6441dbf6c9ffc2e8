#!/usr/bin/env python3
"""Build a synthetic near-duplicate corpus from real Chinese text, for the corpus-level dedup eval.

Usage (from the repository root):
    python3 scripts/gen_dedup_corpus.py [--docs 10000] [--seed 7] [--out target/dedup-corpus/corpus.jsonl]

Sources (read from ../shared, never copied into the repository):
- sentences: the human-written main texts of ../shared/corpus/cwced/cleaned/*.txt and the silver main
  texts of ../shared/corpus/cx163/silver/*.txt (real news and web articles), split at sentence ends and
  de-duplicated;
- spam phrases: ../shared/data/spam/vocab-dev.jsonl, hijacked titles: titles_real-dev.jsonl;
- the other script: ../shared/data/opencc/STCharacters.txt (simplified -> traditional, first candidate).

Documents:
- Distinct articles: 4-12 paragraph lines of 2-6 sentences drawn at random from the sentence pool
  (about 500-3000 characters). One in ten is a "related" article that reuses about 30% of the
  sentences of an earlier one: a hard negative (different documents quoting the same passages).
- Republished copies of some articles (0-4 per article), each with:
  a new header and footer (site, date, byline, breadcrumb, copyright, related links; p=0.8),
  injected spam (2-5 phrases with the injector's comma, sometimes a hijacked first line; p=0.4),
  the other script (character-by-character s2t; p=0.4), and at most one of:
  truncation to 70% (p=0.3) or 5% of the Han characters substituted (p=0.3).
  Truncation and substitution are not combined: together they bring the Jaccard similarity of the
  5-gram sets to about 0.45, which the design's threshold of 0.55 does not aim to link.

Output: JSONL, one document a line, in shuffled order:
    {"id": int, "group": int, "role": "original"|"copy", "transforms": [...], "text": str}
Documents of one group are true duplicates of each other; documents of different groups are not.
"""

import argparse
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

SITES = ["新浪財經", "網易科技", "騰訊新聞", "鳳凰網", "搜狐網", "第一財經", "36氪", "虎嗅網",
         "界面新聞", "澎湃新聞", "中華網", "人民網", "環球網", "中國經濟網", "東方財富網", "和訊網",
         "億歐網", "鈦媒體", "品途網", "站長之家", "i黑馬", "創業邦", "華爾街見聞", "每日經濟新聞"]
SECTIONS = ["首頁", "新聞", "財經", "科技", "國內", "國際", "社會", "互聯網", "電商", "創業", "觀點"]
NAMES = ["王冀", "婁月", "李明", "張偉", "劉洋", "陳靜", "楊帆", "趙磊", "黃婷", "周濤", "吳昊", "孫悅"]

SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[”」』]?")


def load_sentences():
    files = sorted((SHARED / "corpus/cwced/cleaned").glob("*.txt"))
    files += sorted((SHARED / "corpus/cx163/silver").glob("*.txt"))
    seen, pool = set(), []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            for sentence in SENTENCE.findall(line.strip()):
                sentence = sentence.strip()
                han = sum(1 for c in sentence if "\u4e00" <= c <= "\u9fff")
                if han >= 8 and sentence not in seen:
                    seen.add(sentence)
                    pool.append(sentence)
    return pool


def load_s2t():
    table = {}
    for line in (SHARED / "data/opencc/STCharacters.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        key, values = line.split("\t", 1)
        if len(key) == 1:
            table[key] = values.split(" ")[0]
    return table


def load_jsonl(path, field):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)[field] for line in f if line.strip()]


def article(rng, pool, reuse=None):
    """Paragraph lines of random sentences; with `reuse`, about 30% of them come from that article."""
    borrowed = [s for line in reuse for s in SENTENCE.findall(line)] if reuse else []
    lines = []
    for _ in range(rng.randint(4, 12)):
        sentences = []
        for _ in range(rng.randint(2, 6)):
            if borrowed and rng.random() < 0.3:
                sentences.append(rng.choice(borrowed))
            else:
                sentences.append(rng.choice(pool))
        lines.append("".join(sentences))
    return lines


def header_footer(rng, pool, lines):
    site = rng.choice(SITES)
    date = f"20{rng.randint(12, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    header = [f"{site} > {rng.choice(SECTIONS)} > 正文",
              f"{date} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} 來源：{site} 作者：{rng.choice(NAMES)}"]
    related = [rng.choice(pool)[:rng.randint(10, 20)] for _ in range(rng.randint(1, 3))]
    footer = [f"（責任編輯：{rng.choice(NAMES)}）",
              f"本文由{site}轉載，版權歸原作者所有，如有侵權請聯繫刪除。",
              "相關閱讀：" + " ".join(related)]
    return rng.sample(header, rng.randint(1, 2)) + lines + rng.sample(footer, rng.randint(1, 3))


def inject_spam(rng, lines, phrases, titles):
    lines = list(lines)
    for _ in range(rng.randint(2, 5)):
        i = rng.randrange(len(lines))
        cuts = [m.end() for m in re.finditer(r"[，,。]", lines[i])] or [len(lines[i])]
        at = rng.choice(cuts)
        lines[i] = lines[i][:at] + rng.choice(phrases) + "," + lines[i][at:]
    if rng.random() < 0.3:
        lines.insert(0, rng.choice(titles))
    return lines


def to_other_script(lines, s2t):
    return ["".join(s2t.get(c, c) for c in line) for line in lines]


def truncate(lines, share=0.7):
    total = sum(len(line) for line in lines)
    budget, out = int(total * share), []
    for line in lines:
        if budget <= 0:
            break
        out.append(line[:budget])
        budget -= len(line)
    return out


def substitute(rng, lines, han_chars, share=0.05):
    out = []
    for line in lines:
        chars = list(line)
        for i, c in enumerate(chars):
            if "\u4e00" <= c <= "\u9fff" and rng.random() < share:
                chars[i] = rng.choice(han_chars)
        out.append("".join(chars))
    return out


def republish(rng, body, pool, phrases, titles, s2t, han_chars):
    lines, transforms = list(body), []
    heavy = rng.random()
    if heavy < 0.3:
        lines, transforms = truncate(lines), transforms + ["truncate70"]
    elif heavy < 0.6:
        lines, transforms = substitute(rng, lines, han_chars), transforms + ["substitute5"]
    if rng.random() < 0.4:
        lines, transforms = inject_spam(rng, lines, phrases, titles), transforms + ["spam"]
    if rng.random() < 0.4:
        lines, transforms = to_other_script(lines, s2t), transforms + ["script"]
    if rng.random() < 0.8:
        lines, transforms = header_footer(rng, pool, lines), transforms + ["header_footer"]
    return lines, transforms or ["verbatim"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(ROOT / "target/dedup-corpus/corpus.jsonl"))
    args = parser.parse_args()

    rng = random.Random(args.seed)
    pool = load_sentences()
    s2t = load_s2t()
    phrases = load_jsonl(SHARED / "data/spam/vocab-dev.jsonl", "phrase")
    titles = load_jsonl(SHARED / "data/spam/titles_real-dev.jsonl", "line")
    han_chars = sorted({c for s in pool for c in s if "\u4e00" <= c <= "\u9fff"})

    docs, bodies, group = [], [], 0
    while len(docs) < args.docs:
        reuse = rng.choice(bodies) if bodies and rng.random() < 0.1 else None
        body = article(rng, pool, reuse)
        bodies.append(body)
        docs.append({"group": group, "role": "original", "transforms": ["related"] if reuse else [],
                     "text": "\n".join(header_footer(rng, pool, body) if rng.random() < 0.5 else body)})
        copies = rng.choices([0, 1, 2, 3, 4], weights=[55, 22, 12, 7, 4])[0]
        for _ in range(copies):
            lines, transforms = republish(rng, body, pool, phrases, titles, s2t, han_chars)
            docs.append({"group": group, "role": "copy", "transforms": transforms,
                         "text": "\n".join(lines)})
        group += 1
    docs = docs[:args.docs]
    rng.shuffle(docs)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for i, doc in enumerate(docs):
            f.write(json.dumps({"id": i, **doc}, ensure_ascii=False) + "\n")
    copies = sum(d["role"] == "copy" for d in docs)
    print(f"{len(docs)} documents ({len(docs) - copies} originals in {group} groups, {copies} copies) "
          f"from {len(pool)} real sentences -> {out}")


if __name__ == "__main__":
    main()
