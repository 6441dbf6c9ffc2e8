#!/usr/bin/env python3
"""Quality figures of the `script` stage (see docs/script.md).

Runs the stage alone (`cargo run --release -p sluice-eval --bin eval_script`) and measures:
- seeds 000, 002, 003 (auto): leftover characters fixed and wrong changes. A leftover is a character
  that a careful s2tw conversion of the folded text would change: OpenCC's `tw2s` then `s2tw` (an
  independent converter: the `opencc` Python package), not counting traditional-only characters
  (the round trip's own damage, 捨→舍) and pairs where both forms are acceptable
  (rules/script/acceptable.tsv). Pinyin annotations (stripped by the earlier pinyin stage) and
  seed 000's hijacked title line (removed by the spam stage) are removed first;
- seeds 001 and 004 and the genuine traditional text: characters changed by script conversion;
- one_to_many_s2tw.tsv (tw mode) and t2s_traps.tsv (hans mode): wrong characters;
- the spin flag on the seeds and the spun pages, and the spin reversals made;
- garbled runs: the broken cases of ../shared/data/mojibake/cases-dev.jsonl through `sluice repair`
  with `--script auto` and with `--script keep`: documents the script stage changes, and those it
  leaves farther from the original (edit distance) than its input.

Usage: pip install opencc==1.4.2; python3 scripts/eval_script.py   (from the repository root)
"""

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

import opencc

SHARED = os.path.join("..", "shared")
SEEDS = os.path.join(SHARED, "seeds")
DATA = os.path.join(SHARED, "data", "script")
PINYIN = re.compile(r"(\p{Han})\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)".replace(r"\p{Han}", "[\u3400-\u9fff]"))

T2S = opencc.OpenCC("tw2s")
S2TW = opencc.OpenCC("s2tw")
T2S_CHAR = opencc.OpenCC("t2s")


def run_stage(paths, mode="auto", lines=False):
    cmd = ["cargo", "run", "--quiet", "--release", "-p", "sluice-eval", "--bin", "eval_script", "--", "--mode", mode]
    if lines:
        cmd.append("--lines")
    out = subprocess.run(cmd + paths, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def acceptable_pairs():
    pairs = set()
    with open(os.path.join("rules", "script", "acceptable.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#") and "\t" in line:
                a, b = line.rstrip("\n").split("\t")[:2]
                pairs.add((a, b))
    return pairs


def aligned(a, b):
    """Pairs (i, j) of aligned character positions of equal-length replaced or equal blocks."""
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag in ("equal", "replace") and i2 - i1 == j2 - j1:
            yield from zip(range(i1, i2), range(j1, j2))


def seed_figures(record, acceptable):
    original, output = record["input"], record["output"]
    reference = S2TW.convert(T2S.convert(original))
    ref_at = dict(aligned(original, reference))
    out_at = dict(aligned(original, output))
    leftovers = fixed = wrong = 0
    for i, c in enumerate(original):
        r = reference[ref_at[i]] if i in ref_at else c
        o = output[out_at[i]] if i in out_at else c
        genuine = T2S_CHAR.convert(c) != c
        is_leftover = r != c and not genuine and (c, r) not in acceptable
        leftovers += is_leftover
        fixed += is_leftover and o == r
        wrong += o != c and o != r
    return leftovers, fixed, wrong


def prepared(name, text):
    text = PINYIN.sub(r"\1", text)
    if name.startswith("000"):
        text = text.split("\n", 1)[1]
    return text


def expected_errors(output, expected):
    tokens = re.findall(r"\[[^\]]+\]|.", expected)
    if len(tokens) != len(output):
        return len(tokens)
    return sum(o not in (t[1:-1] if t.startswith("[") else t) for o, t in zip(output, tokens))


def table_errors(path, mode):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#") and "\t" in line:
                rows.append(line.rstrip("\n").split("\t")[:2])
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as tmp:
        tmp.write("\n".join(src for src, _ in rows) + "\n")
    records = run_stage([tmp.name], mode=mode, lines=True)
    os.unlink(tmp.name)
    errors = 0
    for (src, exp), rec in zip(rows, records):
        e = expected_errors(rec["output"], exp)
        if e:
            print(f"    {mode}: {src} -> {rec['output']} (expected {exp})")
        errors += e
    return errors


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def repaired(path, mode):
    cmd = ["cargo", "run", "--quiet", "--release", "--", "repair", "--script", mode, "--jsonl", path]
    out = subprocess.run(cmd, check=True, capture_output=True).stdout.decode("utf-8", "replace")
    records = (json.loads(line) for line in out.split("\n") if line.strip())
    return {r["id"]: r.get("text", "") for r in records}


def garbled_figures():
    with open(os.path.join(SHARED, "data", "mojibake", "cases-dev.jsonl"), encoding="utf-8") as f:
        cases = [json.loads(line) for line in f]
    cases = [c for c in cases if c["kind"] != "clean"]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as tmp:
        for c in cases:
            tmp.write(json.dumps({"id": c["id"], "text": c["broken"]}, ensure_ascii=False) + "\n")
    keep, auto = repaired(tmp.name, "keep"), repaired(tmp.name, "auto")
    os.unlink(tmp.name)
    changed = farther = 0
    for c in cases:
        before, after = keep[c["id"]], auto[c["id"]]
        if before != after:
            changed += 1
            worse = edit_distance(after, c["original"]) > edit_distance(before, c["original"])
            farther += worse
            print(f"    {c['id']}{' (farther)' if worse else ''}: {before[:40]} -> {after[:40]}")
    print(f"garbled cases: {len(cases)}, changed by the script stage {changed}, farther from the"
          f" original {farther}")


def main():
    acceptable = acceptable_pairs()
    names = sorted(n for n in os.listdir(SEEDS) if n.endswith(".txt"))
    tmpdir = tempfile.mkdtemp()
    paths = []
    for name in names:
        with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
            text = prepared(name, f.read())
        path = os.path.join(tmpdir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(path)
    print("seed  residue  leftovers  fixed  %fixed  wrong  conversions  spun  spin-reversals")
    for name, rec in zip(names, run_stage(paths)):
        leftovers, fixed, wrong = seed_figures(rec, acceptable)
        conversions = sum(len(e["before"]) for e in rec["edits"] if e["rule"] == "script.convert")
        spin = [f"{e['before']}→{e['after']}" for e in rec["edits"] if e["rule"].startswith("script.spin")]
        spun = any(f["rule"] == "script.spun" for f in rec["flags"])
        pct = 100.0 * fixed / leftovers if leftovers else 100.0
        print(f"{name[:3]}   {rec['residue']:7.2f}  {leftovers:9d}  {fixed:5d}  {pct:6.1f}  {wrong:5d}"
              f"  {conversions:11d}  {str(spun):5s} {len(spin)}: {' '.join(spin)}")
    spun_pages = sorted(n for n in os.listdir(DATA) if n.startswith("spun_wild_"))
    genuine = os.path.join(DATA, "genuine_traditional_gutenberg25328.txt")
    for rec in run_stage([genuine] + [os.path.join(DATA, n) for n in spun_pages]):
        conversions = sum(len(e["before"]) for e in rec["edits"] if e["rule"] == "script.convert")
        spin = sum(e["rule"].startswith("script.spin") for e in rec["edits"])
        spun = any(f["rule"] == "script.spun" for f in rec["flags"])
        print(f"{os.path.basename(rec['file'])}: residue {rec['residue']:.2f}, conversions {conversions},"
              f" spun {spun}, spin reversals {spin}")
    print("one_to_many_s2tw.tsv, tw mode: wrong characters",
          table_errors(os.path.join(DATA, "one_to_many_s2tw.tsv"), "tw"))
    print("t2s_traps.tsv, hans mode: wrong characters",
          table_errors(os.path.join(DATA, "t2s_traps.tsv"), "hans"))
    garbled_figures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
