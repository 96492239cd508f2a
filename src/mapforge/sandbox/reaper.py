"""Which sandbox containers belong to a job that is gone, and their removal.

Every container a job creates carries ``mapforge.owner=<host>/<pid>/<start>``: the hostname, the job's
pid and that process's start time (``/proc/<pid>/stat``, clock ticks since boot), so a recycled pid is not
mistaken for the job. A container is an orphan when its owner ran on this host and that process no longer
exists (or is another process with the same pid). ``reap_orphans`` runs when a job opens its docker
sandboxes and in ``mapforge sandbox cleanup``; a live job's containers, and those of jobs on other hosts,
are never touched (``--force`` in cleanup overrides).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

LABEL_OWNER = "mapforge.owner"


def _start_ticks(pid: int) -> str | None:
    try:
        stat = open(f"/proc/{pid}/stat", encoding="ascii", errors="replace").read()  # noqa: SIM115
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def owner_label() -> str:
    """This process as a container owner."""
    pid = os.getpid()
    return f"{socket.gethostname()}/{pid}/{_start_ticks(pid) or '?'}"


def owner_alive(labels: dict[str, str]) -> bool | None:
    """True: the owning job is running; False: it is gone; None: unknown (no label, or another host)."""
    raw = labels.get(LABEL_OWNER)
    if not raw:
        return None
    host, _, rest = raw.partition("/")
    pid, _, start = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    now = _start_ticks(int(pid))
    return now is not None and (start == "?" or now == start)


def reap_orphans(client: Any, say: Callable[[str], None] | None = None, dry_run: bool = False,
                 unknown_too: bool = False) -> tuple[list[Any], list[Any]]:
    """Remove sandbox containers whose job is gone (``unknown_too``: also those whose owner cannot be
    told, e.g. made by an older mapforge). Returns (removed or to remove, kept because live or unknown)."""
    from mapforge.sandbox.docker import LABEL_RUN, LABEL_SANDBOX, remove_container

    gone, kept = [], []
    for c in client.containers.list(all=True, filters={"label": LABEL_SANDBOX}):
        alive = owner_alive(c.labels)
        if alive is False or (alive is None and unknown_too):
            gone.append(c)
            if say:
                say(f"{'would remove' if dry_run else 'removing'} {c.name} (run {c.labels.get(LABEL_RUN, '?')}, "
                    f"{'its job is gone' if alive is False else 'owner unknown'})")
            if not dry_run:
                remove_container(c)
        else:
            kept.append(c)
    return gone, kept
