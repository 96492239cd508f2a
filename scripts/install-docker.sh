#!/usr/bin/env bash
# Make a Docker engine answer on this machine, for the docker sandbox backend and its tests.
#
# Idempotent: does nothing when `docker info` already answers. Otherwise installs docker.io with apt
# (when dockerd is missing), starts dockerd in the background (no systemd needed) and waits until
# `docker info` answers. Also installs debootstrap, which `mapforge sandbox build` uses where no image
# registry is reachable. Prints what it did. Needs root (or sudo) for apt and dockerd.
#
#   scripts/install-docker.sh            # then: mapforge sandbox build
#   DOCKERD_LOG=/var/log/dockerd.log WAIT_SECONDS=60 scripts/install-docker.sh
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/mapforge-dockerd.log}
WAIT=${WAIT_SECONDS:-60}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-docker: needs root (or sudo) to install and start the engine" >&2; exit 1; fi
fi

say() { echo "install-docker: $*"; }

apt_install() {
    if [ -z "${APT_UPDATED:-}" ]; then
        say "apt-get update"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

if ! command -v debootstrap >/dev/null 2>&1; then
    apt_install debootstrap
else
    say "debootstrap present"
fi

if docker info >/dev/null 2>&1; then
    say "engine already answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null)); nothing to do"
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    # docker.io brings dockerd, containerd and runc; the client may already be there from another package
    apt_install docker.io
else
    say "dockerd present at $(command -v dockerd)"
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "starting dockerd in the background (log: $LOG)"
    $SUDO mkdir -p "$(dirname "$LOG")"
    # setsid: the daemon must not die with this script's session (CI steps, shells that exit)
    $SUDO setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
else
    say "dockerd already running; waiting for it to answer"
fi

for _ in $(seq 1 "$WAIT"); do
    if docker info >/dev/null 2>&1; then
        say "engine answers ($(docker info --format '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}}' 2>/dev/null))"
        exit 0
    fi
    sleep 1
done
echo "install-docker: dockerd did not answer within ${WAIT}s; last lines of $LOG:" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
