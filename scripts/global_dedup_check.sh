#!/usr/bin/env bash
# Global near-duplicate removal on Spark and Ray against one sluice run (issue 16), as a benchmark script:
# PySpark (~450 MB) and Ray do not fit CI's time. Needs Java 17, and Python with pyspark and ray[data]:
#   python3 -m venv target/py-dedup && target/py-dedup/bin/pip install pyspark==4.3.0 'ray[data]==2.60.0'
#   PYTHON=target/py-dedup/bin/python scripts/global_dedup_check.sh [DOCS]
# (SLUICE=path/to/sluice uses that binary instead of building target/release/sluice.)
# Generates DOCS (default 10,000) documents with near-duplicates (scripts/gen_dedup_corpus.py), splits them
# into 4 shards, cleans each shard in its own `sluice clean --jsonl --minhash` process (4 "machines"),
# runs the Spark job (local[2], 4 partitions) and the Ray job over the 4 cleaned shards, and checks that
# both give every document the cluster, kept copy and similarity of one `sluice clean -o` run over the
# same documents as files. Prints the times; exits 1 if a document differs.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-10000}
python=${PYTHON:-python3}
work=target/global-dedup
rm -rf "$work" && mkdir -p "$work"/{files,shards,cleaned}
sluice=${SLUICE:-target/release/sluice}
[ -n "${SLUICE:-}" ] || cargo build --release --locked -q

python3 scripts/gen_dedup_corpus.py --docs "$docs" --out "$work/corpus.jsonl" >&2
# The same bytes two ways: one file per document for the single run, base64 records in 4 shards.
python3 - "$work" <<'PY'
import base64, json, sys
from pathlib import Path
work = Path(sys.argv[1])
rows = [json.loads(l) for l in (work / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
shards = [open(work / "shards" / f"shard-{i}.jsonl", "w", encoding="utf-8") for i in range(4)]
for n, row in enumerate(rows):
    data = row["text"].encode("utf-8")
    (work / "files" / f"{row['id']:05d}.txt").write_bytes(data)
    record = {"id": row["id"], "group": row["group"], "role": row["role"], "content_base64": base64.b64encode(data).decode()}
    shards[n * 4 // len(rows)].write(json.dumps(record) + "\n")
copies = sum(r["role"] == "copy" for r in rows)
print(f"{len(rows)} documents, {copies} near-duplicate copies ({100 * copies / len(rows):.1f}%)", file=sys.stderr)
PY

timed() { local start=$SECONDS; "$@"; echo "$(( SECONDS - start )) s: ${*:1:3}" >&2; }
timed "$sluice" clean "$work/files" -o "$work/single" 2> "$work/single.log"
start=$SECONDS
for i in 0 1 2 3; do
  "$sluice" clean --jsonl "$work/shards/shard-$i.jsonl" --minhash --keep-duplicates -j 1 > "$work/cleaned/shard-$i.jsonl" &
done
wait
echo "$(( SECONDS - start )) s: 4 sluice --jsonl --minhash processes" >&2
cleaned=("$work"/cleaned/shard-{0,1,2,3}.jsonl)
timed "$python" python/jobs/global_dedup_spark.py "${cleaned[@]}" --out "$work/spark" --master 'local[2]' --partitions 4
timed "$python" python/jobs/global_dedup_ray.py "${cleaned[@]}" --out "$work/ray" --order-field id --partitions 4
"$python" python/jobs/compare_clusters.py "$work/single" "$work/spark" "$work/ray"
