#!/usr/bin/env bash
# The Python wheel's CI step (issue 16), run by .ci/run after the Rust tests: build the sluice-zh
# wheel with maturin (the library's dev profile, not release: this checks it, it does not ship it)
# in the tests' target directory, install it in CI's one venv target/py-ci (pinned by
# python/requirements-ci.txt, which .ci/run has installed already for the shard check) and run its
# pytest tests: the package, a datatrove pipeline, a data-juicer run.
# data-juicer is installed without its own requirements (python/requirements-ci-nodeps.txt): they
# took 373 s to install, and its mapper needs a few of them, pinned in requirements-ci.txt.
# Run from anywhere: scripts/python_ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/py-ci
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"${pip[@]}" -r python/requirements-ci.txt
"${pip[@]}" --no-deps -r python/requirements-ci-nodeps.txt
rm -f target/wheels/sluice_zh-*.whl
(cd python && "../$venv/bin/maturin" build --locked --profile dev --target-dir ../target -o ../target/wheels)
wheels=(target/wheels/sluice_zh-*.whl)
"${pip[@]}" --force-reinstall --no-deps "${wheels[0]}"
# The tests skip an integration whose framework is missing; here both must run.
"$venv/bin/python" -c "import datatrove, data_juicer.ops.base_op"
# pytest from python/ (its rootdir) but importing the installed wheel: `pytest`, not `python -m pytest`,
# which would put python/ and its uncompiled sluice_zh on the path first. One process: data-juicer
# forks workers after other tests cleaned batches, which the wheel's per-process pool allows.
(cd python && "../$venv/bin/pytest" -q -p no:cacheprovider tests)
