"""What each backend enforces on this host, checked from inside a sandbox (``mapforge sandbox doctor``).

Every check runs a small command in a real sandbox and reads the result on the harness side; nothing is
taken from configuration alone.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from mapforge.sandbox.base import Limits, Sandbox

#: One shell script, many facts: each line is ``key=value``.
PROBE = r"""
echo "uid=$(id -u)"
echo "caps=$(grep CapEff /proc/self/status | cut -f2)"
echo "nnp=$(grep NoNewPrivs /proc/self/status | cut -f2)"
if ( : > /probe-root-write ) 2>/dev/null; then echo "root_writable=yes"; else echo "root_writable=no"; fi
echo "net_ifaces=$(ls /sys/class/net 2>/dev/null | tr '\n' ' ')"
echo "procs_visible=$(ls -d /proc/[0-9]* | wc -l)"
echo "as_kb=$(ulimit -v)"
echo "fsize_blocks=$(ulimit -f)"
echo "nofile=$(ulimit -n)"
echo "cpu_s=$(ulimit -t)"
echo "work_fs=$(df -P . | tail -1 | awk '{print $1" "$2"K"}')"
for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max; do
  [ -r $f ] && echo "cg_memory=$(cat $f)" && break; done
for f in /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/memory.swap.max; do
  [ -r $f ] && echo "cg_memsw=$(cat $f)" && break; done
for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do
  [ -r $f ] && echo "cg_pids=$(cat $f)" && break; done
for f in /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max; do
  [ -r $f ] && echo "cg_cpu=$(cat $f | tr ' ' /)" && break; done
for p in HIDDEN; do [ -e "$p" ] && echo "visible=$p"; done
echo "env_keys=$(env | cut -d= -f1 | sort | tr '\n' ' ')"
"""

NET_PROBE = ("import socket\n"
             "for host in ('127.0.0.1', '1.1.1.1'):\n"
             "    s = socket.socket(); s.settimeout(2)\n"
             "    try: s.connect((host, 80)); print(host, 'connected')\n"
             "    except OSError as e: print(host, 'refused' if isinstance(e, ConnectionRefusedError) else 'blocked')\n")


@dataclass
class Report:
    backend: str
    ok: bool
    facts: dict[str, str] = field(default_factory=dict)
    enforced: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


SECCOMP_PROBE = r"""#include "mf_harness.h"
static char state[4096] __attribute__((aligned(4096)));
int main(void) {
    if (mf_lockdown(state, sizeof state) != 0) return 3;
    syscall(SYS_getppid); /* not on the allow list: the filter must stop it */
    return 4;
}
"""


def seccomp_active(sb: Sandbox) -> tuple[bool, str]:
    """Whether the harness's seccomp filter installs and stops a forbidden call inside this sandbox."""
    from importlib import resources

    sb.write_file("mf_harness.h", resources.files("mapforge.evaluators").joinpath("c/mf_harness.h").read_text())
    sb.write_file("probe.c", SECCOMP_PROBE)
    built = sb.exec(["gcc", "-O1", "probe.c", "-o", "probe", "-lm"], limits=Limits(timeout=60))
    if not built.ok:
        return False, f"could not build the probe: {built.stderr.strip()[:200]}"
    r = sb.exec(["./probe"], limits=Limits(timeout=10))
    if r.exit_code == 159:
        return True, "active (a forbidden system call was stopped and named)"
    if r.exit_code == 3:
        return False, "refused by this host (prctl PR_SET_SECCOMP failed)"
    return False, f"not effective (probe {r.describe()})"


def probe(sb: Sandbox, hidden: list[str]) -> Report:
    """Run the probes in ``sb`` and judge them."""
    script = PROBE.replace("HIDDEN", " ".join(f"'{p}'" for p in hidden) or "/nonexistent")
    r = sb.exec(["sh", "-c", script], limits=Limits(timeout=20))
    facts = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    net = sb.exec(["python3", "-I", "-c", NET_PROBE], limits=Limits(timeout=20))
    rep = Report(backend=sb.name, ok=r.ok, facts=facts, notes=list(sb.info().notes))

    def judge(cond: bool, what: str) -> None:
        (rep.enforced if cond else rep.missing).append(what)

    judge(facts.get("uid") not in (None, "0") or facts.get("caps", "").strip("0") == "", "unprivileged user")
    judge(facts.get("caps", "x").strip("0") == "", "all capabilities dropped")
    judge(facts.get("nnp") == "1", "no-new-privileges")
    judge("connected" not in net.stdout and net.ok, "no network (127.0.0.1 and outside unreachable)")
    judge(not any(k.startswith("visible") for k in facts), "host paths hidden")
    judge(facts.get("root_writable") == "no", "root filesystem not writable")
    judge(facts.get("cg_memory", "max") not in ("max", "9223372036854771712") or facts.get("as_kb") != "unlimited",
          "memory limit")
    judge(facts.get("cg_pids", "max") != "max" or sb.name == "local", "process limit")
    judge(facts.get("cg_cpu", "-1").split("/")[0] not in ("-1", "max") or facts.get("cpu_s") != "unlimited",
          "CPU limit")
    judge(facts.get("fsize_blocks") != "unlimited", "file size limit")
    env = set(facts.get("env_keys", "").split())
    judge(env <= {"PATH", "HOME", "TMPDIR", "LANG", "PWD", "HOSTNAME", "SHLVL", "_"}, "empty environment")
    filtered, why = seccomp_active(sb)
    judge(filtered, "seccomp filter around candidate code")
    facts["seccomp"] = why
    facts["network"] = " ".join(net.stdout.split())
    return rep


def host_facts() -> dict[str, str]:
    from mapforge.sandbox.image import image_tag
    from mapforge.sandbox.local import isolation
    from mapforge.sandbox.selection import docker_status

    usable, why = docker_status()
    return {
        "docker": why,
        "docker_usable": "yes" if usable else "no",
        "image": image_tag(),
        "bubblewrap": shutil.which("bwrap") or "not installed (optional; the local backend uses unshare)",
        "local_isolation": isolation().note,
        "cpus": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
    }


def docker_engine_facts(client: Any) -> dict[str, str]:
    info = client.info()
    runtimes = sorted((info.get("Runtimes") or {}).keys())
    return {
        "engine": str(info.get("ServerVersion")),
        "storage": str(info.get("Driver")),
        "cgroup": f"v{info.get('CgroupVersion', '?')} ({info.get('CgroupDriver', '?')})",
        "runtimes": ", ".join(runtimes) + ("" if "nvidia" in runtimes else "  (no nvidia runtime: --gpus unavailable)"),
        "swap_limit": "yes" if info.get("SwapLimit") else "no (memswap equal to memory is not enforced)",
    }
