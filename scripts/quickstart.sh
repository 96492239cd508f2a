#!/usr/bin/env bash
# One command on a fresh machine: set up, then let the embedded local model optimise the matmul task.
# No keys, no daemons. Extra arguments go to `mapforge optimize` (e.g. --max-iters 2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/mapforge optimize tasks/matmul --max-iters 3 "$@"
