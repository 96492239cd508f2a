"""Hostile candidates against every sandbox backend: each must end in a typed verdict, leave the host
responsive, leave no stray process or container, see no secret, and leave the run's records intact.

The docker half needs an engine and the sandbox image (``scripts/install-docker.sh`` then ``mapforge
sandbox build``). Without them those tests skip with that command, or FAIL when
``MAPFORGE_REQUIRE_DOCKER=1`` (CI sets it). Docker tests run on a warm pool of one container, as jobs
do, so every test also proves the previous hostile candidate was cleaned out of the reused container.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapforge.sandbox import ExecResult, Limits, Sandbox, SandboxFactory, make_sandbox_factory
from tests.helpers import require_docker, require_isolation

REPO = Path(__file__).resolve().parents[2]
RUN_ID = f"pytest-{uuid.uuid4().hex[:8]}"
#: Limits of the sandbox (docker: of the container); tests ask for less per exec where they need to.
BOX = Limits(timeout=10, memory_mb=512, max_procs=64, file_size_mb=256, disk_mb=64)

BACKENDS = ["local", pytest.param("docker", marks=pytest.mark.docker)]


@pytest.fixture(scope="module")
def docker_pool() -> Iterator[SandboxFactory]:
    require_docker()
    pool = make_sandbox_factory("docker", BOX, RUN_ID, pool_size=1)
    yield pool
    pool.close()
    assert _containers(RUN_ID) == [], "the pool left containers behind"


@pytest.fixture(params=BACKENDS)
def factory(request: pytest.FixtureRequest) -> SandboxFactory:
    if request.param == "docker":
        return request.getfixturevalue("docker_pool")  # type: ignore[no-any-return]
    require_isolation()
    return make_sandbox_factory("local", BOX)


@pytest.fixture
def sb(factory: SandboxFactory) -> Iterator[Sandbox]:
    with factory() as box:
        yield box
    _assert_host_responsive()


def _containers(run_id: str) -> list[str]:
    import docker

    client = docker.from_env()
    try:
        return [c.name for c in client.containers.list(all=True, filters={"label": f"mapforge.run={run_id}"})]
    finally:
        client.close()


def _strays(marker: str) -> list[str]:
    """Host processes whose command line carries ``marker`` (the host sees container processes too)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if marker.encode() in cmd and pid != str(os.getpid()):
            found.append(pid + ": " + cmd.replace(b"\0", b" ").decode(errors="replace")[:120])
    return found


def _no_strays(marker: str, wait: float = 3.0) -> None:
    deadline = time.monotonic() + wait
    while _strays(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _strays(marker) == [], "processes outlived the candidate"


def _assert_host_responsive() -> None:
    start = time.monotonic()
    subprocess.run(["true"], check=True)
    assert time.monotonic() - start < 2.0, "the host stopped responding"


def _py(sb: Sandbox, code: str, *, marker: str = "", limits: Limits | None = None) -> ExecResult:
    argv = ["python3", "-I", "-c", code] + ([marker] if marker else [])
    return sb.exec(argv, limits=limits)


def _assert_usable(sb: Sandbox) -> None:
    r = sb.exec(["sh", "-c", "echo ok > probe.txt && cat probe.txt"], limits=Limits(timeout=10))
    assert r.ok and r.stdout == "ok\n", r


# -- runaway processes -------------------------------------------------------------------------------------
def test_fork_bomb(sb: Sandbox) -> None:
    marker = f"mf-forkbomb-{uuid.uuid4().hex[:8]}"
    code = ("import os, time\n"
            "while True:\n"
            "    try: os.fork()\n"
            "    except OSError: time.sleep(0.01)\n")
    start = time.monotonic()
    r = _py(sb, code, marker=marker, limits=Limits(timeout=3))
    assert r.killed == "timeout", r
    assert time.monotonic() - start < 3 + 10
    _no_strays(marker)
    _assert_usable(sb)


def test_memory_bomb_rlimit(sb: Sandbox) -> None:
    code = "a = []\nwhile True: a.append(b'x' * (16 << 20))\n"
    r = _py(sb, code, limits=Limits(timeout=20, memory_mb=256))
    assert r.killed == "memory", r
    assert not r.ok
    _assert_usable(sb)


def test_memory_bomb_that_retries_is_a_memory_verdict(sb: Sandbox) -> None:
    """A bomb that swallows its allocation failures and keeps trying until the clock runs out is still
    a memory verdict, not a timeout."""
    code = ("a = []\n"
            "while True:\n"
            "    try: a.append(b'x' * (16 << 20))\n"
            "    except MemoryError: pass\n")
    r = _py(sb, code, limits=Limits(timeout=4, memory_mb=256))
    assert r.killed == "memory", r
    _assert_usable(sb)


def test_the_work_dir_shows_no_host_paths(sb: Sandbox) -> None:
    """Nothing of the host appears in the work dir (not the harness's venv when it lives under /work),
    and PWD does not name the host's path."""
    sb.write_file("mine.txt", "x")
    r = sb.exec(["sh", "-c", 'echo "PWD=$PWD"; ls -A'], limits=Limits(timeout=10))
    assert r.ok, r
    lines = r.stdout.splitlines()
    assert lines[0] in ("PWD=/work", "PWD="), lines[0]
    assert lines[1:] == ["mine.txt"], r.stdout


def test_infinite_loop(sb: Sandbox) -> None:
    start = time.monotonic()
    r = _py(sb, "while True: pass\n", limits=Limits(timeout=2))
    assert r.killed == "timeout" and r.signal is not None, r
    assert 1.9 < time.monotonic() - start < 8


def test_sleep_past_timeout(sb: Sandbox) -> None:
    marker = f"mf-sleep-{uuid.uuid4().hex[:8]}"
    start = time.monotonic()
    r = sb.exec(["sh", "-c", "echo started; sleep 300", marker], limits=Limits(timeout=1))
    assert r.killed == "timeout" and r.stdout == "started\n", r
    assert time.monotonic() - start < 6
    _no_strays(marker)


def test_daemonised_child_does_not_outlive_the_command(sb: Sandbox) -> None:
    marker = f"mf-daemon-{uuid.uuid4().hex[:8]}"
    code = ("import os, sys, time\n"
            "if os.fork(): sys.exit(0)\n"
            "os.setsid()\n"
            "if os.fork(): os._exit(0)\n"
            "os.close(0); os.close(1); os.close(2)\n"
            "time.sleep(300)\n")
    start = time.monotonic()
    r = _py(sb, code, marker=marker, limits=Limits(timeout=10))
    assert r.ok, r
    assert time.monotonic() - start < 5, "the daemon's pipes kept the command alive"
    _no_strays(marker)
    # and a background job that keeps stdout open
    r = sb.exec(["sh", "-c", "sleep 300 & echo bg", marker], limits=Limits(timeout=10))
    assert r.ok and r.stdout == "bg\n", r
    _no_strays(marker)


def test_candidate_that_kills_everything_it_can(sb: Sandbox) -> None:
    marker = f"mf-killall-{uuid.uuid4().hex[:8]}"
    r = sb.exec(["sh", "-c", "kill -9 -1; sleep 1; echo survived", marker], limits=Limits(timeout=10))
    assert r.killed is None and (r.ok or r.signal is not None), r  # docker: its agent died with the rest
    _no_strays(marker)
    _assert_usable(sb)


def test_candidate_that_stops_everything_it_can(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    import mapforge.sandbox.docker as docker_backend

    monkeypatch.setattr(docker_backend, "GRACE", 2.0)  # how long the host waits for a silent agent
    marker = f"mf-stopall-{uuid.uuid4().hex[:8]}"
    start = time.monotonic()
    r = sb.exec(["sh", "-c", "kill -STOP -1; sleep 60", marker], limits=Limits(timeout=2))
    assert r.killed == "timeout", r
    assert time.monotonic() - start < 10
    _no_strays(marker)
    _assert_usable(sb)


# -- the file system -----------------------------------------------------------------------------------------
@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A directory every user can reach (pytest's tmp_path sits under a 0700 directory, which would hide
    things from ``nobody`` whatever the sandbox does)."""
    path = Path(tempfile.mkdtemp(prefix="mf-hostile-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def host_targets(public_tmp: Path) -> dict[str, Path]:
    """World-writable host places a candidate must not reach, and a run record it must not touch."""
    tmp_path = public_tmp
    open_dir = tmp_path / "world-writable"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    events = run_dir / "events.jsonl"
    events.write_text('{"event": "started"}\n')
    os.chmod(run_dir, 0o777)
    os.chmod(events, 0o666)
    return {"open_dir": open_dir, "events": events}


def test_writes_outside_the_work_dir(sb: Sandbox, host_targets: dict[str, Path]) -> None:
    events, open_dir = host_targets["events"], host_targets["open_dir"]
    before = events.read_text()
    targets = ["/etc/mf-owned", "/usr/mf-owned", "/mf-owned", "/tmp/../mf-owned", "../mf-owned",
               str(open_dir / "mf-owned"), str(REPO / "mf-owned"), str(REPO / "tests" / "mf-owned")]
    script = "; ".join(f"echo pwned > {t} 2>/dev/null && echo WROTE {t}" for t in targets)
    script += f"; echo pwned >> {events} 2>/dev/null && echo WROTE {events}; rm -f {events} 2>/dev/null"
    r = sb.exec(["sh", "-c", script], limits=Limits(timeout=10))
    assert r.exit_code is not None and r.killed is None, r
    assert not open_dir.joinpath("mf-owned").exists()
    assert not REPO.joinpath("mf-owned").exists() and not REPO.joinpath("tests", "mf-owned").exists()
    assert events.read_text() == before, "the candidate changed the run's records"
    for t in ("/etc/mf-owned", "/usr/mf-owned", "/mf-owned"):
        assert not Path(t).exists()
    # whatever it could write (its work dir, a private /tmp) stays in the sandbox
    assert "WROTE /etc" not in r.stdout and "WROTE /usr" not in r.stdout


def test_filling_the_disk(sb: Sandbox) -> None:
    if sb.name == "local" and not any("tmpfs" in n for n in sb.info().notes):
        pytest.skip("the local work dir is not a size-capped tmpfs on this host (needs root)")
    r = sb.exec(["sh", "-c", "head -c 200000000 /dev/zero > big; echo rc=$?"], limits=Limits(timeout=30))
    assert r.killed is None, r
    assert "rc=1" in r.stdout and "No space left" in r.stderr, f"wrote 200 MB into a {BOX.disk_mb} MiB work dir: {r}"
    size = int(sb.exec(["sh", "-c", "wc -c < big"], limits=Limits(timeout=10)).stdout.strip())
    assert (BOX.disk_mb - 4) << 20 <= size <= BOX.disk_mb << 20
    # many small files hit the same cap
    r = sb.exec(["sh", "-c", "i=0; while [ $i -lt 200 ]; do head -c 1000000 /dev/zero > f$i || exit 3; "
                             "i=$((i+1)); done"], limits=Limits(timeout=30))
    assert r.exit_code == 3, r
    assert sb.exec(["sh", "-c", "rm -f big f*"]).ok
    _assert_usable(sb)


def test_one_file_past_the_file_size_limit(sb: Sandbox) -> None:
    r = sb.exec(["sh", "-c", "head -c 3000000 /dev/zero > big"], limits=Limits(timeout=10, file_size_mb=1))
    assert not r.ok and r.signal == 25, r  # SIGXFSZ
    assert sb.exec(["sh", "-c", "wc -c < big"]).stdout.strip() == str(1 << 20)


def test_printing_a_gigabyte(sb: Sandbox) -> None:
    code = ("import sys\nb = b'x' * (1 << 20)\n"
            "for _ in range(1024): sys.stdout.buffer.write(b)\n")
    start = time.monotonic()
    r = _py(sb, code, limits=Limits(timeout=60, output_bytes=64 * 1024, flood_bytes=32 << 20))
    assert r.killed == "output_limit", r
    assert r.stdout_dropped > 0 and len(r.stdout) < 64 * 1024 + 200
    assert "truncated by the sandbox" in r.stdout
    assert time.monotonic() - start < 30


def test_output_keeps_head_and_tail(sb: Sandbox) -> None:
    r = sb.exec(["sh", "-c", "echo FIRST; i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done; "
                             "echo LAST >&1"], limits=Limits(timeout=20, output_bytes=1024))
    assert r.ok, r
    assert r.stdout.startswith("FIRST") and r.stdout.rstrip().endswith("LAST") and r.stdout_dropped > 0


# -- network -------------------------------------------------------------------------------------------------
@pytest.fixture
def host_listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on the host's 127.0.0.1; yields its port and the peers it accepted."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = srv.accept()
                accepted.append(str(peer))
                conn.close()
            except OSError:
                continue

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], accepted
    stop.set()
    t.join(2)
    srv.close()


NET = ("import socket, sys\n"
       "for host, port in [('127.0.0.1', int(sys.argv[1])), ('1.1.1.1', 443), ('8.8.8.8', 53)]:\n"
       "    s = socket.socket(); s.settimeout(3)\n"
       "    try:\n"
       "        s.connect((host, port)); print('CONNECTED', host)\n"
       "    except OSError as e:\n"
       "        print('failed', host, type(e).__name__)\n"
       "try:\n"
       "    print('RESOLVED', socket.gethostbyname('pypi.org'))\n"
       "except OSError as e:\n"
       "    print('no dns', type(e).__name__)\n")


def test_no_network(sb: Sandbox, host_listener: tuple[int, list[str]]) -> None:
    port, accepted = host_listener
    r = sb.exec(["python3", "-I", "-c", NET, str(port)], limits=Limits(timeout=30))
    assert r.ok, r
    assert "CONNECTED" not in r.stdout and "RESOLVED" not in r.stdout, r.stdout
    assert r.stdout.count("failed") == 3
    assert accepted == [], "the candidate reached a server on the host"


# -- secrets -------------------------------------------------------------------------------------------------
def test_api_keys_in_the_parent_environment_are_invisible(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = f"sk-fake-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", fake)
    os.environ["OPENAI_API_KEY"] = fake  # the process environment itself, not only os.environ's copy
    assert os.environ["OPENAI_API_KEY"] == fake
    script = ("env; cat /proc/self/environ /proc/1/environ 2>/dev/null; "
              "for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null; done; "
              f"cat /proc/{os.getpid()}/environ /proc/{os.getppid()}/environ 2>/dev/null; true")
    r = sb.exec(["sh", "-c", script], limits=Limits(timeout=10))
    assert r.ok, r
    assert fake not in r.stdout and fake not in r.stderr
    assert "OPENAI_API_KEY" not in r.stdout


def test_hidden_tests_and_reference_outputs_are_unreadable(sb: Sandbox, public_tmp: Path) -> None:
    tmp_path = public_tmp
    secret = f"HIDDEN-EXPECTED-{uuid.uuid4().hex}"
    folder = tmp_path / "task"
    folder.mkdir()
    hidden = folder / "hidden_tests.toml"
    hidden.write_text(f'[[tests]]\ninput = "1 2"\nexpected = "{secret}"\n')
    os.chmod(folder, 0o755)
    os.chmod(hidden, 0o644)  # world-readable: only the sandbox stands between the candidate and it
    bundled = REPO / "tasks" / "two-sum-count" / "hidden_tests.toml"
    script = (f"cat {hidden} {bundled}; ls -la {folder} {REPO / 'tasks'}; "
              f"find / -xdev -name hidden_tests.toml 2>/dev/null | head; true")
    r = sb.exec(["sh", "-c", script], limits=Limits(timeout=30))
    assert secret not in r.stdout and secret not in r.stderr
    if bundled.exists():
        assert bundled.read_text()[:40] not in r.stdout
    assert "hidden_tests.toml" not in r.stdout, r.stdout


# -- a whole candidate through the evaluator ----------------------------------------------------------------
def test_runaway_candidate_gets_a_verdict_and_the_pool_recovers(factory: SandboxFactory) -> None:
    from mapforge.config import Config, TimingConfig
    from mapforge.evaluators.optimize import OptimizeEvaluator
    from mapforge.tasks.loader import load_task
    from mapforge.tasks.spec import Limits as TaskLimits
    from mapforge.tasks.spec import Shapes

    task = load_task(REPO / "tasks" / "matmul")
    spec = task.spec.model_copy(update={
        "limits": TaskLimits(timeout_seconds=2.0),
        "shapes": Shapes(visible=[{"n": 16}], hidden=[], timing={"n": 32}, seeds=1),
    })
    ev = OptimizeEvaluator(task.model_copy(update={"spec": spec}), factory,
                           TimingConfig(min_pairs=6, max_pairs=6, max_seconds=1), Config().sandbox)
    ev.prepare()
    spin = (task.reference_source or "").replace("{", "{ volatile int spin = 1; while (spin) { } ", 1)
    v = ev.evaluate(spin)
    assert (v.status, v.stage) == ("timeout", "correctness"), v.summary_line()
    v = ev.evaluate(task.reference_source or "")
    assert v.correct, v.summary_line()


# -- docker specifics ---------------------------------------------------------------------------------------
@pytest.mark.docker
def test_docker_cgroup_oom_is_a_memory_verdict(docker_pool: SandboxFactory) -> None:
    with docker_pool() as sb:
        # no per-exec address-space limit here: the container's memory cgroup must stop it
        r = _py(sb, "a = []\nwhile True: a.append(b'x' * (16 << 20))\n", limits=Limits(timeout=30, memory_mb=512))
        assert r.killed == "memory", r
        _assert_usable(sb)


@pytest.mark.docker
def test_docker_pool_reuses_and_resets_the_container(docker_pool: SandboxFactory) -> None:
    with docker_pool() as sb:
        first = sb.container.id  # type: ignore[attr-defined]
        sb.write_file("left.txt", "from the previous candidate")
        assert sb.exec(["sh", "-c", "mkdir -p d/e && chmod 000 d && echo x > /dev/shm/leak"]).ok
    start = time.monotonic()
    with docker_pool() as sb:
        assert time.monotonic() - start < 0.5, "a pooled candidate must not start a container"
        assert sb.container.id == first  # type: ignore[attr-defined]
        r = sb.exec(["sh", "-c", "ls -A /work /dev/shm"])
        assert r.ok and r.stdout.split() == ["/dev/shm:", "/work:"], r.stdout
        with pytest.raises(FileNotFoundError):
            sb.read_file("left.txt")


@pytest.mark.docker
def test_docker_pool_replaces_a_container_that_died_while_idle(docker_pool: SandboxFactory) -> None:
    import docker

    with docker_pool() as sb:
        first = sb.container.id  # type: ignore[attr-defined]
    docker.from_env().containers.get(first).kill()
    with docker_pool() as sb:
        assert sb.container.id != first  # type: ignore[attr-defined]
        _assert_usable(sb)


@pytest.mark.docker
def test_docker_container_is_hardened(docker_pool: SandboxFactory) -> None:
    import docker

    with docker_pool() as sb:
        attrs = docker.from_env().containers.get(sb.container.id).attrs  # type: ignore[attr-defined]
    host = attrs["HostConfig"]
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert host["Memory"] == BOX.memory_mb << 20 and host["MemorySwap"] == host["Memory"]
    assert host["PidsLimit"] == BOX.max_procs and (host["NanoCpus"] or host["CpusetCpus"])
    assert attrs["Config"]["Labels"]["mapforge.run"] == RUN_ID


@pytest.mark.docker
def test_docker_container_of_a_dead_job_removes_itself(docker_pool: SandboxFactory) -> None:
    from mapforge.sandbox.docker import create_container, docker_client, require_image

    client = docker_client()
    dead = f"dead-{uuid.uuid4().hex[:8]}"
    create_container(client, require_image(client, None), BOX, dead, idle_seconds=1)
    deadline = time.monotonic() + 20
    while _containers(dead) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _containers(dead) == [], "an idle sandbox container outlived its idle limit"


@pytest.mark.docker
def test_cleanup_removes_leftovers_of_a_dead_run(docker_pool: SandboxFactory) -> None:
    from mapforge.cli.main import main

    dead = f"dead-{uuid.uuid4().hex[:8]}"
    # a process that creates a container and dies without removing it: a killed job
    maker = ("import sys; from mapforge.sandbox.docker import create_container, docker_client, require_image; "
             "from mapforge.sandbox.base import Limits; c = docker_client(); "
             f"create_container(c, require_image(c, None), Limits(timeout=10, memory_mb=512), {dead!r})")
    subprocess.run([sys.executable, "-c", maker], check=True, timeout=120)
    assert len(_containers(dead)) == 1
    assert main(["sandbox", "cleanup", "--run", dead]) == 0
    assert _containers(dead) == []
