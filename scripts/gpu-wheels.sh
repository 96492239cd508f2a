#!/usr/bin/env bash
# Download, here, the wheels mapforge needs on a GPU machine that has Python 3.12 and torch but cannot fetch
# packages (pydantic and tenacity; torch, triton, numpy and rich are expected there), into .whl/.
# With --cluster, also Dask's distributed and what it needs (for --workers / bench/scale.py there).
# scripts/gpu-check.sh installs them there with pip --no-index.
#   scripts/gpu-wheels.sh [--cluster]
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${PYVER:-3.12}
mkdir -p .whl
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
py=.venv/bin/python
[ -x "$py" ] || py=python3
ver() { "$py" -c "import importlib.metadata as m; print(m.version('$1'))"; }
for pkg in "pydantic==$(ver pydantic)" "pydantic-core==$(ver pydantic-core)" "annotated-types==$(ver annotated-types)" \
           "typing-extensions==$(ver typing-extensions)" "typing-inspection==$(ver typing-inspection)" \
           "tenacity==$(ver tenacity)"; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "$pkg"
done
if [ "${1:-}" = --cluster ]; then
    python3 -m pip download -q --only-binary=:all: --python-version "$PYVER" --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "distributed==$(ver distributed)"
fi
ls .whl
