#!/usr/bin/env python3
"""Global near-duplicate removal on Spark over sluice's records, with the clusters one run would make.

    sluice clean --jsonl shard.jsonl --minhash --keep-duplicates > cleaned/shard.jsonl   # per machine
    spark-submit python/jobs/global_dedup_spark.py cleaned/*.jsonl --out deduped/ [--master local[2]]

Records are read in the order given (files, then lines; `--order-field` names a field to use
instead), keyed by LSH band with Spark's shuffle (`groupByKey`), and each bucket's members are
compared as in `src/corpus/cluster.rs` (in input order, each with at most `max_bucket_compare` earlier ones,
linked when the estimated Jaccard similarity reaches `jaccard`). Clusters are the connected
components of the links, found by iterative min-label propagation (joins, no driver-side graph).
Each cluster keeps one copy by the keep policy; every member gets `sluice.duplicates` (cluster,
kept, kept_copy as a record number, similarity), and copies not kept lose `text` and `title` (or
the record, with `--drop`). Pass the `[settings.dedup]` of the rules the records were cleaned with
(`Cleaner().dedup_settings()`); the defaults are sluice's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lsh  # noqa: E402


def components(edges, vertices, partitions):
    """Connected components by min-label propagation: every vertex starts with its own label and takes
    the smallest label among itself and its neighbours until nothing changes (as many rounds as the
    longest path in a cluster, a few). Returns (vertex, label), the label being the smallest member."""
    both_ways = edges.flatMap(lambda e: [e, (e[1], e[0])]).partitionBy(partitions).cache()
    labels = vertices.map(lambda v: (v, v)).partitionBy(partitions).cache()
    while True:
        offered = both_ways.join(labels, partitions).map(lambda kv: (kv[1][0], kv[1][1]))
        # Checkpointed so each round's lineage stays one round long.
        updated = labels.union(offered).reduceByKey(min, partitions)
        updated.localCheckpoint()
        changed = updated.join(labels, partitions).filter(lambda kv: kv[1][0] != kv[1][1]).count()
        labels = updated
        if changed == 0:
            return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    lsh.add_arguments(parser)
    parser.add_argument("--order-field", help="a numeric field giving each record's input position")
    parser.add_argument("--master", default=None, help="Spark master (default: spark-submit's)")
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("sluice-global-dedup").config("spark.ui.showConsoleProgress", "false")
    builder = builder.config("spark.default.parallelism", str(args.partitions))
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    sc.addPyFile(lsh.__file__)  # the workers import it too

    lines = sc.textFile(",".join(args.inputs), minPartitions=args.partitions).filter(str.strip)
    if args.order_field:
        parsed = lines.map(lambda line: lsh.parse_record(0, line)).map(
            lambda r: (int(r[1][args.order_field]), r[1], r[2])
        )
    else:
        parsed = lines.zipWithIndex().map(lambda li: lsh.parse_record(li[1], li[0]))
    parsed = parsed.cache()

    # (order, slots, text_bytes) of each record with text.
    fingerprints = parsed.filter(lambda r: r[2]["slots"]).map(lambda r: (r[0], (r[2]["slots"], r[2]["text_bytes"])))
    jaccard, max_compare, keep = args.jaccard, args.max_bucket_compare, args.keep
    edges = (
        parsed.flatMap(lambda r: [(key, (r[0], r[2]["slots"])) for key, _ in lsh.band_entries(r[0], r[2])])
        .groupByKey()
        .flatMap(lambda bucket: lsh.bucket_edges(bucket[1], jaccard, max_compare))
        .distinct()
    )
    # The label of a component is its smallest member, the earliest input: clusters of two or more
    # are numbered in the order of their labels, as a single run numbers them.
    labels = components(edges, fingerprints.keys(), args.partitions)
    members = labels.map(lambda vl: (vl[1], vl[0])).groupByKey().filter(lambda kv: len(kv[1]) > 1)
    numbers = members.keys().sortBy(lambda label: label).zipWithIndex()
    # (order, (label, (slots, text_bytes))) of every cluster member.
    member_info = members.flatMap(lambda kv: [(m, kv[0]) for m in kv[1]]).join(fingerprints)
    kept_of = (
        member_info.map(lambda kv: (kv[1][0], (lsh.keep_key(keep, kv[0], kv[1][1][1]), kv[0])))
        .reduceByKey(min)
        .mapValues(lambda key_order: key_order[1])
    )
    # label -> (cluster number, kept order, kept slots)
    clusters = (
        kept_of.map(lambda lk: (lk[1], lk[0]))
        .join(fingerprints)
        .map(lambda kv: (kv[1][0], (kv[0], kv[1][1][0])))
        .join(numbers)
        .mapValues(lambda kept_number: (kept_number[1], *kept_number[0]))
    )
    decisions = (
        member_info.map(lambda kv: (kv[1][0], (kv[0], kv[1][1][0])))
        .join(clusters)
        .map(
            lambda kv: (
                kv[1][0][0],
                lsh.decision(kv[1][0][0], kv[1][1][0], kv[1][1][1], lsh.similarity(kv[1][0][1], kv[1][1][2])),
            )
        )
    )
    drop = args.drop

    def mark(row):
        order, (record, decision) = row
        if decision is not None:
            record.setdefault("sluice", {})["duplicates"] = decision
            if not decision["kept"]:
                if drop:
                    return []
                record.pop("text", None)
                record.pop("title", None)
        return [json.dumps(record, ensure_ascii=False)]

    output = (
        parsed.map(lambda r: (r[0], r[1]))
        .leftOuterJoin(decisions)
        .sortByKey(numPartitions=args.partitions)
        .flatMap(mark)
    )
    output.saveAsTextFile(args.out)
    print(f"{numbers.count()} clusters", file=sys.stderr)
    spark.stop()


if __name__ == "__main__":
    main()
