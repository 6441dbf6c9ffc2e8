#!/usr/bin/env bash
# The Python wheel's CI step (issue 16): build the sluice-zh wheel with maturin (the library's dev
# profile, not release: this checks it, it does not ship it), install it with the datatrove and
# data-juicer extras in the venv target/py-ci, and run its pytest tests (the package, a datatrove
# pipeline, a data-juicer run). Run from anywhere: scripts/python_ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/py-ci
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check 'maturin>=1.7,<2' 'pytest>=8'
rm -f target/wheels/sluice_zh-*.whl
(cd python && "../$venv/bin/maturin" build --locked --profile dev --target-dir ../target/python -o ../target/wheels)
wheels=(target/wheels/sluice_zh-*.whl)
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "${wheels[0]}"
"$venv/bin/pip" install -q --disable-pip-version-check "${wheels[0]}[datatrove,data-juicer,test]"
# pytest from python/ (its rootdir) but importing the installed wheel: `pytest`, not `python -m pytest`,
# which would put python/ and its uncompiled sluice_zh on the path first.
# The data-juicer test in a process of its own: data-juicer forks workers, and a process whose rayon
# pool already ran (the other tests') cannot be forked safely: the child's pool has no threads.
(cd python && "../$venv/bin/pytest" -q -p no:cacheprovider tests --ignore=tests/test_data_juicer.py)
(cd python && "../$venv/bin/pytest" -q -p no:cacheprovider tests/test_data_juicer.py)
