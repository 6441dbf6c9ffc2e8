#!/usr/bin/env python3
"""Global near-duplicate removal on Ray over sluice's records, with the clusters one run would make.

    sluice clean --jsonl shard.jsonl --minhash --keep-duplicates > cleaned/shard.jsonl   # per machine
    python python/jobs/global_dedup_ray.py cleaned/*.jsonl --order-field id --out deduped/

Ray Data reads the records, keys them by LSH band and groups them with its own shuffle
(`groupby(...).map_groups`); each bucket's members are compared as in `src/corpus/cluster.rs` (in input order,
each with at most `max_bucket_compare` earlier ones, linked when the estimated Jaccard similarity reaches
`jaccard`). The verified pairs (a few per duplicate) stream to the driver, where union-find gives the
clusters; the keep policy picks each cluster's copy from its members' lengths, and Ray workers mark
every record (`sluice.duplicates`; copies not kept lose `text` and `title`, or the record with
`--drop`) and write JSON Lines. `--order-field` names the numeric field that gives each record's input
position (Ray Data has no global row number), which the keep policy's ties and cluster numbers follow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lsh  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    lsh.add_arguments(parser)
    parser.add_argument("--order-field", required=True, help="the numeric field giving each record's input position")
    args = parser.parse_args()

    import ray
    import ray.data
    from ray.data.datasource import BlockBasedFileDatasink

    class JsonLines(BlockBasedFileDatasink):
        """Each row's `line`, as written, one a line."""

        def __init__(self, path):
            super().__init__(path, file_format="jsonl")

        def write_block_to_file(self, block, file):
            file.write("".join(line + "\n" for line in block.to_pandas()["line"]).encode("utf-8"))

    ray.init(num_cpus=args.partitions, include_dashboard=False, log_to_driver=False)
    jaccard, max_compare, keep, field = args.jaccard, args.max_bucket_compare, args.keep, args.order_field

    def parse(row):
        _, record, minhash = lsh.parse_record(0, row["text"])
        return {
            "order": int(record[field]),
            "line": row["text"],
            "slots": minhash["slots"],
            "bands": minhash["bands"],
            "text_bytes": minhash["text_bytes"],
        }

    lines = ray.data.read_text(args.inputs, override_num_blocks=args.partitions)
    parsed = lines.filter(lambda row: row["text"].strip()).map(parse).materialize()

    def bucket_edges(group):
        members = zip(group["order"].tolist(), group["slots"].tolist())
        pairs = list(lsh.bucket_edges(((o, list(s)) for o, s in members), jaccard, max_compare))
        return {"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}

    edges = (
        parsed.flat_map(
            lambda r: [{"band": key, "order": r["order"], "slots": r["slots"]} for key, _ in lsh.band_entries(r["order"], r)]
        )
        .groupby("band", num_partitions=args.partitions)
        .map_groups(bucket_edges, batch_format="pandas")
    )
    sets = lsh.UnionFind()
    for edge in edges.iter_rows():
        sets.union(int(edge["a"]), int(edge["b"]))
    clusters = {label: members for label, members in sets.components().items() if len(members) > 1}
    member_of = {m: label for label, members in clusters.items() for m in members}

    # Lengths and slots of cluster members only: the keep policy and the similarities need them.
    info = {
        r["order"]: (r["text_bytes"], list(r["slots"]))
        for r in parsed.filter(lambda r: r["order"] in member_of).select_columns(["order", "text_bytes", "slots"]).iter_rows()
    }
    decisions = {}
    for number, label in enumerate(sorted(clusters)):
        kept = min(clusters[label], key=lambda m: lsh.keep_key(keep, m, info[m][0]))
        for m in clusters[label]:
            decisions[m] = lsh.decision(m, number, kept, lsh.similarity(info[m][1], info[kept][1]))
    decisions_ref = ray.put(decisions)
    drop = args.drop

    def mark(batch):
        decided = ray.get(decisions_ref)
        out = []
        for order, line in zip(batch["order"], batch["line"]):
            decision = decided.get(int(order))
            if decision is None:
                out.append(line)
                continue
            if drop and not decision["kept"]:
                continue
            record = json.loads(line)
            record.setdefault("sluice", {})["duplicates"] = decision
            if not decision["kept"]:
                record.pop("text", None)
                record.pop("title", None)
            out.append(json.dumps(record, ensure_ascii=False))
        return {"line": out}

    parsed.select_columns(["order", "line"]).map_batches(mark, batch_format="pandas").write_datasink(JsonLines(args.out))
    print(f"{len(clusters)} clusters", file=sys.stderr)


if __name__ == "__main__":
    main()
