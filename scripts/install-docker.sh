#!/usr/bin/env bash
# Make a Docker engine answer on this machine, for the docker sandbox backend and its tests.
#
# Idempotent: does nothing when `docker info` already answers. Otherwise installs docker.io with apt
# (when dockerd is missing), starts dockerd in the background (no systemd needed) and waits until
# `docker info` answers. Also installs debootstrap, which `mapforge sandbox build` uses where no image
# registry is reachable. Prints what it did. Needs root (or sudo) for apt and dockerd.
#
#   scripts/install-docker.sh            # then: mapforge sandbox build
#   scripts/install-docker.sh --check    # only say (in one line, in a second) whether this machine can run one
#   DOCKERD_LOG=/var/log/dockerd.log WAIT_SECONDS=60 scripts/install-docker.sh
#
# On a machine that cannot run an engine (an unprivileged container: no CAP_SYS_ADMIN, no namespaces, a
# read-only cgroup tree) it says so in one line and exits 3 before installing anything.
set -euo pipefail
CHECK_ONLY=""
[ "${1:-}" = "--check" ] && CHECK_ONLY=1

LOG=${DOCKERD_LOG:-/var/log/mapforge-dockerd.log}
WAIT=${WAIT_SECONDS:-60}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-docker: needs root (or sudo) to install and start the engine" >&2; exit 1; fi
fi

say() { echo "install-docker: $*"; }

cannot() {
    echo "install-docker: this machine cannot run a Docker engine ($1). Use the local sandbox instead" \
         "(mapforge ... --sandbox local; tests: scripts/test.sh --no-docker), or point DOCKER_HOST at an engine elsewhere." >&2
    exit 3
}

# An engine needs root, CAP_SYS_ADMIN, mount/net/pid namespaces and a writable cgroup tree: probe them
# quickly, before anything is installed or waited for.
preflight() {
    if docker info >/dev/null 2>&1; then return 0; fi  # one answers already (maybe via DOCKER_HOST)
    local caps
    caps=$($SUDO grep -m1 '^CapEff:' /proc/self/status 2>/dev/null | awk '{print $2}')
    if [ -n "$caps" ] && [ $(( 0x$caps >> 21 & 1 )) -eq 0 ]; then
        cannot "no CAP_SYS_ADMIN: an unprivileged container?"
    fi
    if command -v unshare >/dev/null 2>&1 && ! $SUDO unshare --mount --net --pid --fork true 2>/dev/null; then
        cannot "mount/network/PID namespaces are refused: an unprivileged container?"
    fi
    local probe=/sys/fs/cgroup/mapforge-probe-$$
    if [ -d /sys/fs/cgroup ] && ! { $SUDO mkdir "$probe" 2>/dev/null && $SUDO rmdir "$probe"; }; then
        if ! $SUDO test -w /sys/fs/cgroup; then cannot "the cgroup tree /sys/fs/cgroup is read-only"; fi
    fi
}
preflight
if [ -n "$CHECK_ONLY" ]; then say "this machine can run a Docker engine"; exit 0; fi

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

for waited in $(seq 1 "$WAIT"); do
    if docker info >/dev/null 2>&1; then
        say "engine answers ($(docker info --format '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}}' 2>/dev/null || true))"
        exit 0
    fi
    # it died: no point waiting out the minute. Not in the first seconds, while setsid and nohup are still
    # becoming dockerd (pgrep does not see it yet); and a log with no fatal line must not end the script (set -e).
    if [ "$waited" -gt 3 ] && ! pgrep -x dockerd >/dev/null 2>&1; then
        why=$({ $SUDO grep -m1 -E 'failed to start daemon|level=fatal|operation not permitted' "$LOG" 2>/dev/null || true; } \
              | sed -E 's/.*msg="?([^"]*)"?.*/\1/' | cut -c1-160)
        cannot "dockerd exited at start: ${why:-see $LOG}"
    fi
    sleep 1
done
echo "install-docker: dockerd did not answer within ${WAIT}s (see $LOG)" >&2
exit 1
