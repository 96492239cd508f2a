"""Helpers for tests: a scripted-model builder, task copies, a CLI runner, and a C program that runs code beside
its rewrite."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TASKS = REPO / "tasks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def write_script(path: Path, replies: dict[str, list[object]]) -> Path:
    path.write_text(json.dumps({"replies": replies}))
    return path


def plans_reply(*titles: str) -> str:
    plans = [{"title": t, "bottleneck": "memory access order", "approach": f"apply {t}", "confidence": 0.9 - 0.1 * i}
             for i, t in enumerate(titles)]
    return "```json\n" + json.dumps(plans) + "\n```"


def code_reply(source: str, lang: str = "c") -> str:
    return f"Here is the code.\n```{lang}\n{source}\n```\n"


def copy_task(name: str, dest: Path, extra_toml: str = "") -> Path:
    folder = dest / name
    shutil.copytree(TASKS / name, folder)
    if extra_toml:
        with (folder / "task.toml").open("a") as f:
            f.write("\n" + extra_toml + "\n")
    return folder


#: The analyst opens rounds with plans of its own on code it can read (the bundled matmul's nest among them); tests
#: of the model-driven agents script their plans, so it is off unless a test turns it on.
NO_ANALYST_ENV = {"MAPFORGE_AGENTS__ANALYST": "false"}
FAST_TIMING_ENV = {
    "MAPFORGE_TIMING__MIN_PAIRS": "8",
    "MAPFORGE_TIMING__MAX_PAIRS": "60",
    "MAPFORGE_TIMING__MAX_SECONDS": "3",
    "MAPFORGE_TIMING__TARGET_REL_CI": "0.03",
}


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items()}
    full_env.update(FAST_TIMING_ENV)
    full_env.update(NO_ANALYST_ENV)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "mapforge", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"mapforge {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def read_summary(run_dir: Path) -> dict[str, object]:
    return json.loads((run_dir / "summary.json").read_text())


def read_events(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]


def require(missing: str | None, setup: str, env_var: str) -> None:
    """Skip with the setup command when ``missing`` says what is absent; with ``env_var=1`` (CI) fail instead."""
    import pytest

    if missing is None:
        return
    msg = f"{missing}: set it up with `{setup}`"
    if os.environ.get(env_var) == "1":
        pytest.fail(f"{env_var}=1 but {msg}", pytrace=False)
    pytest.skip(msg)


def require_docker() -> None:
    """Skip (or, with MAPFORGE_REQUIRE_DOCKER=1 as in CI, fail) when the docker backend cannot run."""
    from mapforge.sandbox.selection import docker_status

    ok, why = docker_status()
    require(None if ok else why, "scripts/install-docker.sh && mapforge sandbox build", "MAPFORGE_REQUIRE_DOCKER")


def require_isolation() -> None:
    """Skip hostile candidates on the local backend where it cannot isolate them (namespaces refused: an
    unprivileged container), instead of running them unconfined; CI (MAPFORGE_REQUIRE_ISOLATION=1) fails."""
    from mapforge.sandbox.local import isolation

    iso = isolation()
    require(None if iso.private_root else f"the local sandbox cannot isolate candidates here ({iso.note})",
            "run on a host that allows user/mount namespaces, or use the docker backend", "MAPFORGE_REQUIRE_ISOLATION")


class NoCallStore:
    """A run record that remembers no model call (for driving ``agents.llm.LLM`` directly)."""

    def lookup_call(self, key: str) -> None:
        return None

    def record_call(self, key: str, request: object, completion: object) -> None:
        pass


def rewrites_that_differ(folder: Path, functions: str, same: str, cases: list[int], original: str = "orig",
                         rewrite: str = "new") -> str:
    """Compiles ``functions`` (for each case k, ``{original}{k}`` and ``{rewrite}{k}``) with ``same``, C that
    defines ``N`` and ``int same(fn f, fn g)``: it runs the two on the same data and says whether they computed the
    same. Runs every case; the numbers of those that differ, one per line ('' when none)."""
    calls = "".join(f'    if (!same({original}{k}, {rewrite}{k})) {{ printf("%d\\n", {k}); bad++; }}\n' for k in cases)
    program = folder / "check.c"
    program.write_text("#include <stdio.h>\n#include <string.h>\n" + same + functions
                       + "int main(void) {\n    int bad = 0;\n" + calls + "    return bad != 0;\n}\n")
    exe = folder / "check"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(program), "-lm"], check=True, capture_output=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    return run.stdout
