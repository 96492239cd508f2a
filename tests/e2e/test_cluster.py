"""Jobs on a real Dask cluster: a scheduler and workers as separate processes on 127.0.0.1, as in production
(``python -m distributed.cli.dask_scheduler`` / ``dask_worker``), the scripted model, the local sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import (
    FAST_TIMING_ENV,
    FIXTURES,
    NO_ANALYST_ENV,
    REPO,
    code_reply,
    copy_task,
    plans_reply,
    read_events,
    read_summary,
    run_cli,
    write_script,
)

pytest.importorskip("distributed", reason="pip install 'mapforge[cluster]'")

FAST = (FIXTURES / "fast" / "matmul.c").read_text()
IKJ = """
#include <string.h>
void matmul(const float *A, const float *B, float *C, int n) {
    memset(C, 0, sizeof(float) * (size_t)n * (size_t)n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            float a = A[i * n + k];
            for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
        }
}
"""
WRONG = IKJ.replace("for (int i = 0; i < n; i++)", "for (int i = 0; i < n - 1; i++)")
BROKEN = FAST.replace("void matmul(", "void matmul(int oops ", 1)
HANG = """
void matmul(const float *A, const float *B, float *C, int n) {
    volatile int spin = 1;
    while (spin) { }
    (void)A; (void)B; (void)C; (void)n;
}
"""
# the A/A spread of the fast test timing settings on a shared 2-core machine is far above the default; each
# round is the script's four plans, in order (no free plan before them)
ENV = {"MAPFORGE_AGENTS__DEBUG_ROUNDS": "0", "MAPFORGE_AGENTS__EXEMPLARS": "0", "MAPFORGE_AGENTS__PLANS": "4",
       "MAPFORGE_AGENTS__FREE_PLAN": "false",
       "MAPFORGE_SEARCH__PATIENCE": "null", "MAPFORGE_SEARCH__ROOFLINE_STOP": "null",
       "MAPFORGE_CLUSTER__MAX_AA_NOISE": "1.0", "MAPFORGE_CLUSTER__WORKER_WAIT": "30"}


class Cluster:
    """A scheduler and named workers, each its own process (a worker on core i of this machine)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        sched_file = root / "scheduler.json"
        self._spawn("scheduler", ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(sched_file)])
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(sched_file.read_text())["address"]

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None,
               core: int | None = None) -> None:
        log = (self.root / f"{name}.log").open("wb")
        pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
        self.procs[name] = subprocess.Popen([sys.executable, "-m", *argv], stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(env or {})}, cwd=REPO, preexec_fn=pin)

    def add_worker(self, name: str, env: dict[str, str] | None = None) -> None:
        cores = sorted(os.sched_getaffinity(0))
        core = cores[(len(self.procs) - 1) % len(cores)]
        self._spawn(name, ["distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
                           "--host", "127.0.0.1", "--no-dashboard", "--name", name,
                           "--local-directory", str(self.root / name)], env, core)

    def client(self):  # type: ignore[no-untyped-def]
        from distributed import Client

        return Client(self.address, timeout=30, set_as_default=False)

    def wait_for(self, n: int) -> None:
        with self.client() as c:
            c.wait_for_workers(n, timeout=60)

    def kill(self, name: str) -> None:
        self.procs[name].kill()
        self.procs[name].wait()

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.fixture
def cluster(tmp_path: Path):  # type: ignore[no-untyped-def]
    made: list[Cluster] = []

    def make(workers: int = 2, root: str = "cluster") -> Cluster:
        c = Cluster(tmp_path / root)
        made.append(c)
        for i in range(workers):
            c.add_worker(f"w{i}")
        if workers:
            c.wait_for(workers)
        return c

    yield make
    for c in made:
        c.close()


def verdicts(run_dir: Path) -> dict[str, dict[str, object]]:
    return {d.name: json.loads((d / "verdict.json").read_text())["verdict"]
            for d in sorted((run_dir / "candidates").iterdir())}


def optimize(task: Path | str, script: Path, run_dir: Path, *extra: str, check: bool = True,
             ) -> subprocess.CompletedProcess[str]:
    return run_cli("optimize", str(task), "--model", f"scripted/{script}", "--run-dir", str(run_dir),
                   "--sandbox", "local", *extra, env=ENV, check=check)


def test_cluster_verdicts_equal_the_single_machine_run(tmp_path: Path, cluster) -> None:  # type: ignore[no-untyped-def]
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Loop order", "Skip a row", "Broken", "Register blocking")],
        "coder": [code_reply(IKJ), code_reply(WRONG), code_reply(BROKEN), code_reply(FAST)],
    })
    single, dist = tmp_path / "single", tmp_path / "dist"
    optimize("tasks/matmul", script, single, "--max-iters", "4", "--parallel", "2")
    c = cluster(2)
    optimize("tasks/matmul", script, dist, "--max-iters", "4", "--parallel", "2", "--cluster", c.address)
    a, b = verdicts(single), verdicts(dist)
    assert [(k, v["status"]) for k, v in a.items()] == [(k, v["status"]) for k, v in b.items()]
    assert [v["status"] for v in b.values()][:3] == ["correct", "wrong_answer", "compile_error"]
    assert all(v["judged_by"] is None for v in a.values())
    assert {v["judged_by"] for v in b.values()} <= {"w0", "w1"}
    s1, s2 = read_summary(single), read_summary(dist)
    assert s1["status"] == s2["status"] == "improved"
    assert s1["best"]["candidate_id"] == s2["best"]["candidate_id"] == "c0004"  # type: ignore[index]
    cl = s2["cluster"]
    assert isinstance(cl, dict) and sorted(cl["used"]) == ["w0", "w1"] and not cl["drained"]
    assert sum(cl["candidates_per_worker"].values()) == len(b)
    assert all(w["aa"] is not None for w in cl["workers"])  # the A/A self-test ran on every worker
    assert "cluster" not in s1


def _busy_worker(c: Cluster, prefix: str = "mapforge-eval-", timeout: float = 120) -> str:
    """The name of a worker judging a candidate right now (waits for one)."""
    with c.client() as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            names = {a: w["name"] for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
            for addr, keys in client.processing().items():
                if any(str(k).startswith(prefix) for k in keys):
                    return str(names[addr])
            time.sleep(0.05)
    raise AssertionError("no candidate was being judged")


def _start_job(task: Path, script: Path, run_dir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, **FAST_TIMING_ENV, **NO_ANALYST_ENV, **ENV}
    args = [sys.executable, "-m", "mapforge", "optimize", str(task), "--model", f"scripted/{script}",
            "--run-dir", str(run_dir), "--sandbox", "local", *extra]
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_killed_mid_candidate_loses_nothing(tmp_path: Path, cluster) -> None:  # type: ignore[no-untyped-def]
    task = copy_task("matmul", tmp_path, "[limits]\ntimeout_seconds = 6")
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Spin", "Register blocking", "Broken")],
        "coder": [code_reply(HANG), code_reply(FAST), code_reply(BROKEN)],
    })
    c = cluster(2)
    run = tmp_path / "run"
    proc = _start_job(task, script, run, "--max-iters", "3", "--parallel", "2", "--cluster", c.address)
    victim = _busy_worker(c)
    c.kill(victim)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    v = verdicts(run)
    assert [(k, x["status"]) for k, x in v.items()] == [
        ("c0001", "timeout"), ("c0002", "correct"), ("c0003", "compile_error")]
    survivor = "w1" if victim == "w0" else "w0"
    assert v["c0003"]["judged_by"] == survivor  # judged after the kill
    s = read_summary(run)
    assert s["status"] == "improved" and s["candidates"] == 3
    per = s["cluster"]["candidates_per_worker"]  # type: ignore[index]
    assert sum(per.values()) == 3, per  # the killed worker's candidate counted once, by the worker that judged it
    assert [e["id"] for e in read_events(run) if e["event"] == "candidate"] == ["c0001", "c0002", "c0003"]


def test_scheduler_gone_stops_the_job_and_it_resumes(tmp_path: Path, cluster) -> None:  # type: ignore[no-untyped-def]
    task = copy_task("matmul", tmp_path, "[limits]\ntimeout_seconds = 6")
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking", "Spin")],
        "coder": [code_reply(FAST), code_reply(HANG)],
    })
    c = cluster(1, root="first")
    run = tmp_path / "run"
    proc = _start_job(task, script, run, "--max-iters", "2", "--cluster", c.address)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (run / "candidates" / "c0001" / "verdict.json").exists():
        time.sleep(0.1)
    _busy_worker(c)  # c0002 (the spinning one) is being judged
    c.kill("scheduler")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "lost the Dask scheduler" in err and "resume" in err
    s = read_summary(run)
    assert str(s["stop_reason"]).startswith("cluster lost") and s["candidates"] == 1
    first = verdicts(run)["c0001"]
    c.close()
    c2 = cluster(1, root="second")
    optimize(task, script, run, "--max-iters", "2", "--cluster", c2.address)
    v = verdicts(run)
    assert v["c0001"] == first  # replayed from the record, not judged again
    assert v["c0002"]["status"] == "timeout"
    assert [e["event"] for e in read_events(run)].count("resumed") == 1
    assert read_summary(run)["status"] == "improved"


def test_a_worker_with_other_mapforge_code_is_refused(tmp_path: Path, cluster) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other"
    shutil.copytree(REPO / "src" / "mapforge", other / "mapforge", ignore=shutil.ignore_patterns("__pycache__"))
    init = other / "mapforge" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "0.0.0+other-'))
    c = cluster(0)
    c.add_worker("stale", env={"PYTHONPATH": str(other)})
    c.wait_for(1)
    doc = run_cli("cluster", "doctor", "--cluster", c.address, "--sandbox", "local", check=False)
    assert doc.returncode == 1 and "0.0.0+other" in doc.stderr and "refused" in doc.stderr
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("x")], "coder": [code_reply(FAST)]})
    run = tmp_path / "run"
    proc = optimize("tasks/matmul", script, run, "--max-iters", "1", "--cluster", c.address, check=False)
    assert proc.returncode == 1
    assert "worker stale refused" in proc.stderr and "0.0.0+other" in proc.stderr
    s = read_summary(run)
    assert s["status"] == "failed" and s["cluster"]["refused"] == ["stale"]  # type: ignore[index]
    assert not (run / "candidates").exists() or not any((run / "candidates").iterdir())


def test_sweep_spreads_jobs_over_a_local_cluster(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking"), plans_reply("Register blocking")],
        "coder": [code_reply(FAST), code_reply(FAST)],
    })
    t1 = copy_task("matmul", tmp_path / "a")
    t2 = copy_task("matmul", tmp_path / "b")
    (t2 / "task.toml").write_text((t2 / "task.toml").read_text().replace('name = "matmul"', 'name = "matmul-b"'))
    root = tmp_path / "sweep"
    proc = run_cli("sweep", str(t1), str(t2), "--model", f"scripted/{script}", "--run-dir", str(root),
                   "--max-iters", "1", "--workers", "2", "--sandbox", "local", "--jobs", "2", env=ENV)
    assert "| matmul | improved |" in proc.stderr and "| matmul-b | improved |" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("sweep: 2 job(s)")
    for name in ("matmul", "matmul-b"):
        s = read_summary(root / name)
        assert s["status"] == "improved" and sorted(s["cluster"]["used"]) == ["local-0", "local-1"]  # type: ignore[index]


def test_local_workers_get_a_gpu_each_and_the_rest_none() -> None:
    """``--workers N`` on a GPU machine pins worker i to the i-th GPU the driver may use (read from
    ``CUDA_VISIBLE_DEVICES`` here, so this runs without a GPU) and leaves workers beyond them without one."""
    proc = run_cli("cluster", "doctor", "--workers", "2", "--sandbox", "local", "--json",
                   env={"CUDA_VISIBLE_DEVICES": "5"})
    rows = {r["name"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert rows["local-0"]["gpu"]["visible"] == "5" and rows["local-1"]["gpu"]["visible"] == ""
    assert all(r["ok"] for r in rows.values()), proc.stderr
