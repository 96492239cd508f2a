#!/usr/bin/env bash
# On a GPU machine with its own Python and torch (and wheels from scripts/gpu-wheels.sh in .whl/ where it
# cannot fetch packages): the GPU tests with the GPU required (SKIP_TESTS=1: not), then bench/gpu.py (or, with
# BENCH=scale, bench/scale.py: wheels from scripts/gpu-wheels.sh --cluster) with the given arguments.
#   scripts/gpu-check.sh --problems relu,softmax --job
#   SKIP_TESTS=1 BENCH=scale scripts/gpu-check.sh --task tasks/kernelbench/gelu_tanh.py --candidate ...
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-runs-gpu}
mkdir -p "$OUT"
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then  # once per machine (two checks may run side by side)
    if [ -f /tmp/mf-site/.done ] || { python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
            --upgrade --target /tmp/mf-site .whl/*.whl && touch /tmp/mf-site/.done; }; then
        export PYTHONPATH=/tmp/mf-site
    fi
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD/src:$PWD" PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_name())"
python3 -m mapforge.cli.main sandbox doctor 2>&1 | sed -n '/\[local\]/,/network/p'
if [ "${SKIP_TESTS:-0}" != 1 ]; then
    MAPFORGE_REQUIRE_GPU=1 MAPFORGE_REQUIRE_TORCH=1 python3 -m pytest -q -p no:cacheprovider \
        tests/unit/test_gpu_target.py tests/integration/test_gpu_eval.py -k "not test_cpu_candidates" 2>&1 | tail -15
    # (the CPU-tensor candidates are CI's: here they would cost minutes of device time before the GPU ones)
fi
if [ "${BENCH:-gpu}" = scale ]; then
    python3 bench/scale.py "$@" 2>&1 | tee "$OUT/scale.log"
else
    python3 bench/gpu.py --out "$OUT" "$@" 2>&1 | tee "$OUT/gpu.log"
fi
