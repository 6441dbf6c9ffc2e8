#!/usr/bin/env python3
"""Check that a global pass made the clusters of one `sluice clean -o` run, document by document.

    compare_clusters.py SINGLE_OUT_DIR GLOBAL_OUT_DIR [GLOBAL_OUT_DIR ...]

SINGLE_OUT_DIR holds the reports of one run over files named `<id>.txt` (5 digits); each GLOBAL_OUT_DIR
holds JSON Lines records (`part-*`, `*.jsonl`) with `id` and, for cluster members, `sluice.duplicates`.
For every document the cluster number, whether it is kept, the kept copy and the similarity must be
equal; prints what differs and exits 1 if anything does.
"""

import json
import sys
from pathlib import Path


def single_run(out: Path) -> dict:
    decisions = {}
    for report in out.glob("*.json"):
        if report.name == "summary.json":
            continue
        entry = json.loads(report.read_text(encoding="utf-8")).get("duplicates")
        doc = int(report.stem.split("~")[0])
        decisions[doc] = None if entry is None else (
            entry["cluster"], entry["kept"], int(Path(entry["kept_copy"]).stem), entry["similarity"]
        )
    return decisions


def global_pass(out: Path) -> dict:
    decisions = {}
    for part in sorted(p for p in out.iterdir() if p.name.startswith("part-") or p.suffix == ".jsonl"):
        for line in part.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            entry = (record.get("sluice") or {}).get("duplicates")
            decisions[int(record["id"])] = None if entry is None else (
                entry["cluster"], entry["kept"], entry["kept_copy"], entry["similarity"]
            )
    return decisions


def main() -> int:
    reference = single_run(Path(sys.argv[1]))
    clusters = len({d[0] for d in reference.values() if d})
    members = sum(1 for d in reference.values() if d)
    print(f"single run: {len(reference)} documents, {clusters} clusters, {members} members")
    failed = False
    for out in sys.argv[2:]:
        got = global_pass(Path(out))
        differ = [doc for doc in sorted(set(reference) | set(got)) if reference.get(doc, "missing") != got.get(doc, "missing")]
        print(f"{out}: {len(got)} documents, {len(differ)} differ" + (f", e.g. {differ[:5]}" if differ else ": the same clusters"))
        for doc in differ[:5]:
            print(f"  {doc}: single run {reference.get(doc, 'missing')}, global {got.get(doc, 'missing')}")
        failed |= bool(differ)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
