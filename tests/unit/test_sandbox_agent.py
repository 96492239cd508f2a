"""The docker backend's in-container agent, driven over plain pipes without an engine.

It runs as ``nobody`` as PID 1 of a fresh PID namespace (``unshare --pid``), which is what makes its
kill-everything-of-my-uid step safe outside a container; it refuses to run anywhere else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapforge.sandbox import inside
from mapforge.sandbox.base import Limits
from mapforge.sandbox.docker import _rel, _result

AGENT = Path(inside.__file__)
PY = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)
needs_ns = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv") or PY is None,
    reason="needs root, unshare, setpriv and a system python3 to run the agent as nobody in a PID namespace",
)


class Pipe:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def call(self, head: dict[str, Any], blobs: tuple[bytes, ...] = ()) -> tuple[dict[str, Any], list[bytes]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        inside.send(self.proc.stdin, head, blobs)
        return inside.receive(self.proc.stdout)


def _exec(argv: list[str], timeout: float = 10, stdin: bytes | None = None, files: dict[str, bytes] | None = None,
          output: int = 4096, flood: int = 1 << 20) -> tuple[dict[str, Any], tuple[bytes, ...]]:
    files = files or {}
    head = {"op": "exec", "argv": argv, "env": {"PATH": "/usr/bin:/bin"}, "stdin": stdin is not None,
            "files": list(files),
            "limits": {"timeout": timeout, "cpu": int(timeout) + 2, "fsize": 1 << 24, "vmem": None,
                       "output": output, "flood": flood}}
    return head, (*files.values(), *([stdin] if stdin is not None else []))


@pytest.fixture
def agent() -> Iterator[Pipe]:
    tmp_path = Path(tempfile.mkdtemp(prefix="mf-agent-test-"))  # pytest's tmp_path is not reachable by nobody
    os.chmod(tmp_path, 0o755)
    work = tmp_path / "work"
    work.mkdir()
    os.chown(work, 65534, 65534)
    cmd = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
           "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", str(PY), "-I", str(AGENT)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={"MF_WORK": str(work)})
    pipe = Pipe(proc)
    assert proc.stdout is not None
    assert inside.receive(proc.stdout)[0]["ready"]
    yield pipe
    proc.kill()
    proc.wait(5)
    shutil.rmtree(tmp_path, ignore_errors=True)


@needs_ns
def test_exec_write_read(agent: Pipe) -> None:
    head, blobs = agent.call(*_exec(["sh", "-c", "cat in.txt; echo err >&2; cat; exit 3"], stdin=b"STDIN",
                                    files={"in.txt": b"FILE\n"}))
    assert head.get("exit") == 3, head
    assert head["signal"] is None and head["killed"] is None
    assert blobs[0] == b"FILE\nSTDIN" and blobs[2] == b"err\n"
    head, blobs = agent.call({"op": "read", "path": "in.txt", "max": 100})
    assert blobs == [b"FILE\n"]
    assert agent.call({"op": "read", "path": "nope", "max": 100})[0]["error"] == "missing"
    assert agent.call({"op": "read", "path": "in.txt", "max": 2})[0]["error"] == "too_large"
    assert agent.call({"op": "read", "path": "../etc/passwd", "max": 100})[0]["error"] == "unreadable"


@needs_ns
def test_symlinks_are_not_followed_out(agent: Pipe) -> None:
    agent.call(*_exec(["ln", "-s", "/etc/passwd", "link"]))
    assert agent.call({"op": "read", "path": "link", "max": 1 << 20})[0]["error"] == "unreadable"


@needs_ns
def test_timeout_kills_the_tree_and_daemons(agent: Pipe) -> None:
    start = time.monotonic()
    head, blobs = agent.call(*_exec(["sh", "-c", "sleep 100 & echo up; sleep 100"], timeout=1))
    assert head["killed"] == "timeout" and head["signal"] == 9 and blobs[0] == b"up\n"
    assert time.monotonic() - start < 5
    head, blobs = agent.call(*_exec(["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"]))
    assert b"inside.py" in blobs[0] and b"sleep" not in blobs[0]  # nothing survived


@needs_ns
def test_flood_is_cut(agent: Pipe) -> None:
    head, blobs = agent.call(*_exec(["sh", "-c", "yes"], output=100, flood=1 << 20))
    assert head["killed"] == "output_limit" and head["totals"][0] > 1 << 20
    assert len(blobs[0]) == 50 and len(blobs[1]) == 50


@needs_ns
def test_reset_empties_the_work_dir(agent: Pipe) -> None:
    agent.call(*_exec(["sh", "-c", "mkdir -p a/b && touch a/b/c && chmod 000 a"]))
    assert agent.call({"op": "reset"})[0]["ok"] is True
    assert agent.call(*_exec(["ls", "-A"]))[1][0] == b""


def test_refuses_to_run_outside_a_sandbox() -> None:
    if os.geteuid() == 0 and shutil.which("unshare"):
        # as root, and inside a throwaway PID namespace in case the guard ever fails
        cmd = ["unshare", "--pid", "--fork", "--kill-child", "--", "python3", "-I", str(AGENT)]
    elif os.geteuid() != 0:
        cmd = ["python3", "-I", str(AGENT)]  # not PID 1, no reaper: must refuse
    else:
        pytest.skip("needs unshare to test safely as root")
    r = subprocess.run(cmd, input=b"", capture_output=True, timeout=20)
    assert r.returncode != 0 and b"refusing" in r.stderr


def test_result_mapping() -> None:
    lim = Limits(output_bytes=64)
    r = _result({"exit": 137, "signal": None, "killed": None, "totals": [0, 0], "oom": True},
                [b"", b"", b"", b""], lim, 0.1)
    assert r.killed == "memory"
    r = _result({"exit": None, "signal": 24, "killed": None, "totals": [0, 0]}, [b""] * 4, lim, 0.1)
    assert r.killed == "cpu_limit"
    r = _result({"exit": 1, "signal": None, "killed": None, "totals": [0, 100]},
                [b"", b"", b"x" * 32, b"terminate: std::bad_alloc\n"], lim, 0.1)
    assert r.killed == "memory" and r.stderr_dropped == 100 - 32 - 26
    assert _result({"exit": 0, "signal": None, "killed": None, "totals": [2, 0]}, [b"ok", b"", b"", b""],
                   lim, 0.1).ok


def test_paths_stay_inside_the_work_dir() -> None:
    for bad in ("/etc/passwd", "../x", "a/../../x", ""):
        with pytest.raises(ValueError):
            _rel(bad)
    assert _rel("sub/dir/file.c") == "sub/dir/file.c"
