#!/usr/bin/env bash
# The Python wheel's CI step (issue 16): build the sluice-zh wheel with maturin (the library's dev
# profile, not release: this checks it, it does not ship it), install it with the datatrove and
# data-juicer extras in the venv target/py-ci (CI's one venv, pinned by python/requirements-ci.txt),
# and run its pytest tests (the package, a datatrove pipeline, a data-juicer run).
# Run from anywhere: scripts/python_ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/py-ci
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"${pip[@]}" -r python/requirements-ci.txt
rm -f target/wheels/sluice_zh-*.whl
(cd python && "../$venv/bin/maturin" build --locked --profile dev --target-dir ../target/python -o ../target/wheels)
wheels=(target/wheels/sluice_zh-*.whl)
"${pip[@]}" --force-reinstall --no-deps "${wheels[0]}"
"${pip[@]}" "${wheels[0]}[datatrove,data-juicer,test]"
# pytest from python/ (its rootdir) but importing the installed wheel: `pytest`, not `python -m pytest`,
# which would put python/ and its uncompiled sluice_zh on the path first. One process: data-juicer
# forks workers after other tests cleaned batches, which the wheel's per-process pool allows.
(cd python && "../$venv/bin/pytest" -q -p no:cacheprovider tests)
