#!/usr/bin/env bash
# Set up everything the tests need (venv, local model, Docker engine and sandbox image), then run them:
# lint, type check, and the whole pytest suite with the Docker, local-model and browser tests required, not skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --docker
export MAPFORGE_REQUIRE_DOCKER=1 MAPFORGE_REQUIRE_LOCAL_MODEL=1
export MAPFORGE_REQUIRE_BROWSER=1
.venv/bin/ruff check src tests bench
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
