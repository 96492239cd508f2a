#!/usr/bin/env bash
# Set up everything the tests need (venv, local model, Docker engine and sandbox image), then run them:
# lint, type check, and the whole pytest suite with the Docker, local-model and browser tests required, not skipped.
#
#   scripts/test.sh [pytest args]         # what CI runs
#   scripts/test.sh --no-docker [...]     # on a machine that cannot run a Docker engine: Docker tests skip
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--no-docker" ]; then
    shift
    scripts/setup.sh
else
    # fail in a second, in one line, where no engine can run, instead of after the whole setup
    scripts/install-docker.sh --check || { echo "test.sh: or run scripts/test.sh --no-docker" >&2; exit 3; }
    scripts/setup.sh --docker
    export MAPFORGE_REQUIRE_DOCKER=1
fi
export MAPFORGE_REQUIRE_LOCAL_MODEL=1
export MAPFORGE_REQUIRE_BROWSER=1 MAPFORGE_REQUIRE_TORCH=1 MAPFORGE_REQUIRE_ISOLATION=1
.venv/bin/ruff check src tests bench
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
