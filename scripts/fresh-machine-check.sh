#!/usr/bin/env bash
# Try a README command the way a newcomer meets it: in a clean Debian container with nothing installed by
# hand, on a fresh clone of this repository's HEAD. Needs a Docker engine (scripts/install-docker.sh).
#
#   scripts/fresh-machine-check.sh                                   # scripts/quickstart.sh --max-iters 1
#   scripts/fresh-machine-check.sh 'scripts/setup.sh && .venv/bin/python -m pytest tests/e2e -q'
#
# The container reaches the package registries through the default bridge network and this machine's
# certificate bundle. It runs no Docker engine of its own (the docker half of the tests needs a real machine),
# so its jobs use the local sandbox backend, which needs the namespaces the flags below allow (without them
# `mapforge optimize` refuses and names them, as it would for a newcomer in a container).
set -euo pipefail
cd "$(dirname "$0")/.."
CMD=${1:-scripts/quickstart.sh --max-iters 1}
IMAGE=mapforge-fresh-debian:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
    root=$(mktemp -d)
    echo "fresh-machine-check: building $IMAGE with debootstrap (about a minute)" >&2
    debootstrap --variant=minbase \
        --include=python3,python3-venv,python3-pip,python3-dev,git,gcc,g++,make,cmake,ca-certificates,binutils,util-linux \
        bookworm "$root" "$MIRROR" >/dev/null
    tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
    rm -rf "$root"
fi
echo "fresh-machine-check: running '$CMD' on a clean clone in $IMAGE" >&2
docker run --rm --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    -e PIP_CERT=/etc/ssl/certs/ca-certificates.crt -e HOME=/root \
    -v /etc/ssl/certs:/etc/ssl/certs:ro -v "$PWD":/src:ro "$IMAGE" \
    bash -lc "git config --global --add safe.directory '*' && git clone -q /src /p && cd /p && $CMD"
