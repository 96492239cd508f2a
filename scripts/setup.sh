#!/usr/bin/env bash
# Set up mapforge on a fresh machine: a virtual environment with the package and its test tools, the
# embedded local model (runtime + weights), and — with --docker — a Docker engine and the sandbox image.
# Idempotent: a second run only checks what is there.
#
#   scripts/setup.sh            # venv + local model
#   scripts/setup.sh --docker   # ... and the Docker engine + sandbox image
set -euo pipefail
cd "$(dirname "$0")/.."

want_docker=0
for arg in "$@"; do
    case "$arg" in
        --docker) want_docker=1 ;;
        *) echo "setup: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*" >&2; }

need() {  # tools the local sandbox and native evaluator use
    local missing=()
    for tool in gcc g++ nm objcopy readelf unshare setpriv python3; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing build tools for: ${missing[*]}"
        if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=""; fi
        $SUDO apt-get update -q >/dev/null
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc g++ binutils util-linux python3-venv python3-numpy >/dev/null
    fi
}
need

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PY" -m venv .venv
fi
say "installing mapforge and its test tools into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev]'

browser() {  # the report test opens report.html in Debian's headless Chromium
    command -v chromium >/dev/null 2>&1 && return
    say "installing chromium (for the report's browser test)"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=""; fi
    $SUDO apt-get update -q >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
}
browser

say "installing the embedded local model"
PYTHON=.venv/bin/python scripts/install-local-model.sh

if [ "$want_docker" = 1 ]; then
    say "installing the Docker engine and building the sandbox image"
    scripts/install-docker.sh
    .venv/bin/mapforge sandbox build
fi
say "done"
