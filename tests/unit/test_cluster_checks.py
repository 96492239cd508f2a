"""The cluster's checks on its workers, without a cluster: versions, shared cores and GPUs, task files, flags."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import mapforge
from mapforge.cli.common import add_job_flags, job_config
from mapforge.cluster.base import code_fingerprint, identity_problems, task_hash
from mapforge.cluster.dask_backend import split_cores, split_gpus


def ident(name: str, cores: list[int], host: str = "h1", gpus: str | None = None, **over: Any) -> dict[str, Any]:
    return {"name": name, "host": host, "cores": cores, "version": mapforge.__version__, "code": code_fingerprint(),
            "sandbox": "local", "sandbox_reason": "sandbox: local", "gpu": {"visible": gpus, "gpus": []}, **over}


def test_workers_on_their_own_cores_pass() -> None:
    assert identity_problems({"a": ident("w0", [0, 1]), "b": ident("w1", [2, 3]), "c": ident("w2", [0], "h2")}) == {}


def test_a_worker_sharing_a_core_or_gpu_is_refused_when_timing() -> None:
    idents = {"a": ident("w0", [0, 1]), "b": ident("w1", [1, 2])}
    assert "shares cores or GPUs with worker w0" in identity_problems(idents)["b"]
    assert identity_problems(idents, timed=False) == {}  # solve jobs time nothing
    gpus = {"a": ident("g0", [0], gpus="0"), "b": ident("g1", [1], gpus="0,1")}
    assert set(identity_problems(gpus)) == {"b"}
    host_gpus = {"gpu": {"visible": None, "gpus": ["0, NVIDIA H200, 143771 MiB"]}}
    unpinned = {"a": ident("u0", [0], **host_gpus), "b": ident("u1", [1], **host_gpus)}
    assert set(identity_problems(unpinned)) == {"b"}  # both may use GPU 0
    assert identity_problems(unpinned, gpu=False) == {}  # ... which a CPU task does not time
    assert identity_problems({"a": ident("p0", [0], gpus=""), "b": ident("p1", [1], gpus="")}) == {}


def test_other_code_no_sandbox_or_a_broken_worker_is_refused() -> None:
    got = identity_problems({"a": ident("w0", [0], version="0.0.1"), "b": ident("w1", [1], code="abc"),
                             "c": ident("w2", [2], sandbox="none", sandbox_reason="no namespaces"),
                             "d": ModuleNotFoundError("No module named 'mapforge'")})
    assert "mapforge 0.0.1" in got["a"] and "code abc" in got["b"]
    assert "no namespaces" in got["c"] and "install the driver's mapforge" in got["d"]


def test_task_hash_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "task.toml").write_text("x")
    (tmp_path / "reference.c").write_text("int f;")
    (tmp_path / "__pycache__").mkdir()
    first = task_hash(tmp_path)
    (tmp_path / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    assert task_hash(tmp_path) == first
    (tmp_path / "reference.c").write_text("int g;")
    assert task_hash(tmp_path) != first


def test_task_hash_of_a_task_file_follows_its_side_toml(tmp_path: Path) -> None:
    (tmp_path / "relu.py").write_text("class Model: ...")
    first = task_hash(tmp_path / "relu.py")
    (tmp_path / "other.py").write_text("x")
    assert task_hash(tmp_path / "relu.py") == first  # a neighbour is not part of the task
    (tmp_path / "relu.toml").write_text("rtol = 1e-3")
    assert task_hash(tmp_path / "relu.py") != first


def test_split_cores_gives_each_worker_its_own() -> None:
    assert split_cores([0, 1], 2) == [[0], [1]]
    assert split_cores([0, 1, 2, 3, 4], 2) == [[0, 1, 2], [3, 4]]


def test_split_gpus_gives_each_worker_its_own_then_none() -> None:
    assert split_gpus(["0", "1"], 2) == ["0", "1"]
    assert split_gpus(["3"], 2) == ["3", ""]
    assert split_gpus([], 2) == [None, None]


def test_workers_flag_implies_parallel_unless_given() -> None:
    p = argparse.ArgumentParser()
    add_job_flags(p)
    cfg = job_config(p.parse_args(["tasks/matmul", "--workers", "2"]))
    assert cfg.cluster.workers == 2 and cfg.sandbox.parallel == 2 and cfg.cluster.enabled
    cfg = job_config(p.parse_args(["tasks/matmul", "--workers", "2", "--parallel", "1"]))
    assert cfg.sandbox.parallel == 1
    cfg = job_config(p.parse_args(["tasks/matmul", "--cluster", "tcp://127.0.0.1:8786"]))
    assert cfg.cluster.address == "tcp://127.0.0.1:8786" and cfg.sandbox.parallel == 1


def test_an_interrupted_spread_stops_running_jobs_and_drops_queued_ones() -> None:
    import os
    import signal
    import threading
    import time

    import pytest

    from mapforge.cluster.sweep import spread_jobs

    stop, started, seen, ran = threading.Event(), threading.Event(), [], []

    def running(ctrl_c: bool = False) -> None:
        if ctrl_c:
            started.wait(10)  # both jobs run (on a loaded machine the second may start late)
            time.sleep(0.1)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, delivered to the driver's main thread
        else:
            started.set()
        deadline = time.monotonic() + 10
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(stop.is_set())

    with pytest.raises(KeyboardInterrupt):
        spread_jobs([lambda: running(ctrl_c=True), running, lambda: ran.append(1)], 2, stop=stop)
    assert seen == [True, True] and ran == []
