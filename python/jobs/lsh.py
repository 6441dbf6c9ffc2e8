"""The clustering rules of sluice's single-run near-duplicate pass (`src/corpus/`), as plain functions
the Spark and Ray jobs run inside their own shuffles, so both agree with one `sluice clean -o` run.

A record is `(order, slots, text_bytes)`: its position in the input (ties of the keep policy go to the
earliest), its 256 MinHash slots and the length of its clean text, all from the `sluice.minhash`
object that `sluice clean --jsonl --minhash` (or `Cleaner(minhash=True)`) writes.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator

SLOTS = 256


def similarity(a: list[int], b: list[int]) -> float:
    """The estimated Jaccard similarity: the share of equal slots (0 when either has no text)."""
    if len(a) != SLOTS or len(b) != SLOTS:
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / SLOTS


def band_entries(order: int, minhash: dict) -> Iterator[tuple[str, int]]:
    """One `(band key, order)` per LSH band of a record (none for a record without text)."""
    for key in minhash["bands"]:
        yield key, order


def bucket_edges(
    members: Iterable[tuple[int, list[int]]], jaccard: float, max_compare: int
) -> Iterator[tuple[int, int]]:
    """The verified pairs of one LSH bucket: as `CorpusDedup::candidate_pairs` does, members in input
    order, each compared with at most `max_compare` earlier members; a pair is kept when its estimated
    Jaccard similarity reaches `jaccard`."""
    ordered = sorted(members)
    for i, (b, slots_b) in enumerate(ordered):
        for a, slots_a in ordered[max(0, i - max_compare) : i]:
            if similarity(slots_a, slots_b) >= jaccard:
                yield a, b


def keep_key(keep: str, order: int, text_bytes: int) -> tuple:
    """The key the kept copy of a cluster has the smallest of: `longest` (most clean text, ties to
    the earliest input) or `first` (the earliest input)."""
    if keep == "longest":
        return (-text_bytes, order)
    if keep == "first":
        return (order,)
    raise ValueError(f"unknown keep policy {keep!r}")


def parse_record(order: int, line: str) -> tuple[int, dict, dict]:
    """A JSON Lines record of sluice's output: `(order, record, minhash)`; a record that failed or has
    no fingerprint has empty slots and bands, and is never a duplicate."""
    record = json.loads(line)
    minhash = (record.get("sluice") or {}).get("minhash") or {"slots": [], "bands": [], "text_bytes": 0}
    return order, record, minhash


def add_arguments(parser) -> None:
    """The options both jobs take: input and output, and the `[settings.dedup]` to agree with."""
    parser.add_argument("inputs", nargs="+", help="JSON Lines files of sluice records with sluice.minhash")
    parser.add_argument("--out", required=True, help="output directory (JSON Lines, one part per partition)")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--jaccard", type=float, default=0.5)
    parser.add_argument("--max-bucket-compare", type=int, default=32)
    parser.add_argument("--keep", choices=["longest", "first"], default="longest")
    parser.add_argument(
        "--drop", action="store_true", help="leave copies not kept out of the output instead of marking them"
    )


def decision(order: int, cluster: int | None, kept: int, sim: float | None) -> dict:
    """The `sluice.duplicates` entry of a cluster member, as a single run writes it (with record
    numbers, from 0 in input order, for names)."""
    return {"cluster": cluster, "kept": kept == order, "kept_copy": kept, "similarity": sim}


class UnionFind:
    """Disjoint sets of record numbers (path halving): the components of the verified pairs."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def components(self) -> dict[int, list[int]]:
        """Each component's members, keyed by its smallest member (roots are always the smallest)."""
        groups: dict[int, list[int]] = {}
        for x in self.parent:
            groups.setdefault(self.find(x), []).append(x)
        return groups
