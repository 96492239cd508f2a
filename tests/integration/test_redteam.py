"""The red-team suite: every candidate in ``tests/redteam/cases.toml`` through the real harness, on both
sandbox backends.

Cheats (unwritten outputs, scribbling over the driver's state, raw system calls from machine code, crashing
the harness, and the CPU patterns of ``shared/reference/EVALUATION.md``) must never come out ``correct``,
and must get one of the statuses their case expects (and the reason it names, where it names one). Honest
fast candidates must come out correct and measurably faster: a false positive is a bug too.

The evaluator is built the way ``mapforge task validate`` builds it (``load_config`` -> ``make_sandboxes``
-> ``make_evaluator``), with short timing settings, and kept per (task, backend) so each task's reference
is built, run and timed once per backend. The docker half needs an engine and the sandbox image; without
them it skips, or FAILS with ``MAPFORGE_REQUIRE_DOCKER=1`` (CI). ``bench/redteam.py`` runs the same
manifest and prints a table.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FAST_TIMING_ENV, TASKS, require_docker, require_isolation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REDTEAM = Path(__file__).resolve().parents[1] / "redteam"
MANIFEST = REDTEAM / "cases.toml"

#: The short timing settings of tests/helpers.py, as config flags (the config's own names, lower case).
TIMING = {k.removeprefix("MAPFORGE_TIMING__").lower(): float(v) if "." in v else int(v)
          for k, v in FAST_TIMING_ENV.items()}


@dataclass(frozen=True)
class Case:
    file: str
    task: str
    cls: str
    honest: bool
    expect: tuple[str, ...]
    faster: bool = False
    reason_contains: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def source(self) -> str:
        return (REDTEAM / self.file).read_text()


def load_cases() -> list[Case]:
    raw = tomllib.loads(MANIFEST.read_text())
    cases = []
    for entry in raw["case"]:
        e = dict(entry)
        cases.append(Case(file=e.pop("file"), task=e.pop("task"), cls=e.pop("cls"), honest=e.pop("honest"),
                          expect=tuple(e.pop("expect")), faster=e.pop("faster", False),
                          reason_contains=e.pop("reason_contains", None), extra=e))
    # grouped by task, so the per-backend evaluator cache below rebuilds each baseline only once
    return sorted(cases, key=lambda c: (c.task, not c.honest, c.file))


CASES = load_cases()
BACKENDS = ["local", pytest.param("docker", marks=pytest.mark.docker)]


class Evaluators:
    """Prepared evaluators keyed by (task, backend); at most one live per backend (docker pools hold
    containers), so a task's baseline is rebuilt only when the cases of another task ran in between."""

    def __init__(self) -> None:
        self._live: dict[tuple[str, str], tuple[Any, Any]] = {}

    def get(self, task_name: str, backend: str) -> Any:
        key = (task_name, backend)
        if key in self._live:
            return self._live[key][0]
        for other in [k for k in self._live if k[1] == backend]:
            self._close(other)
        from mapforge.config import load_config
        from mapforge.runs.job import make_evaluator, make_sandboxes
        from mapforge.tasks.loader import load_task

        task = load_task(TASKS / task_name)
        config = load_config(None, {"sandbox": {"backend": backend}, "timing": TIMING})
        sandboxes, _why = make_sandboxes(task, config, f"redteam-{task_name}-{uuid.uuid4().hex[:8]}")
        try:
            ev = make_evaluator(task, config, sandboxes)
            ev.prepare()
        except BaseException:
            sandboxes.close()
            raise
        self._live[key] = (ev, sandboxes)
        return ev

    def _close(self, key: tuple[str, str]) -> None:
        _ev, sandboxes = self._live.pop(key)
        sandboxes.close()

    def close(self) -> None:
        for key in list(self._live):
            self._close(key)


@pytest.fixture(scope="module")
def evaluators() -> Iterator[Evaluators]:
    cache = Evaluators()
    yield cache
    cache.close()


def check(case: Case, verdict: Any) -> list[str]:
    """What is wrong with ``verdict`` for ``case`` (empty: as expected). Shared with bench/redteam.py."""
    problems = []
    if case.honest:
        if not verdict.correct:
            problems.append(f"honest candidate judged {verdict.status}: {verdict.reason}")
        elif case.faster and not verdict.improved:
            problems.append(f"honest candidate not measurably faster: {verdict.summary_line()}")
        return problems
    if verdict.status == "correct":
        # a known, documented gap: calling the reference linked beside it is allowed to pass as correct,
        # but it is the baseline itself, so it can never be measurably faster
        if not (case.extra.get("honest_fallback") or (case.extra.get("neutralised_if_correct") and not verdict.improved)):
            problems.append(f"cheat judged correct: {verdict.summary_line()}")
        return problems
    if verdict.status not in case.expect:
        problems.append(f"cheat judged {verdict.status} (expected one of {list(case.expect)}): {verdict.reason}")
    if case.reason_contains and case.reason_contains not in verdict.reason.lower():
        problems.append(f"reason {verdict.reason!r} does not mention {case.reason_contains!r}")
    return problems


@pytest.mark.timeout(900)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.file.rsplit(".", 1)[0] for c in CASES])
def test_redteam(case: Case, backend: str, evaluators: Evaluators) -> None:
    if backend == "docker":
        require_docker()
    else:
        require_isolation()
    ev = evaluators.get(case.task, backend)
    raised = None
    try:
        verdict = ev.evaluate(case.source)
    except Exception as e:  # the harness must turn anything a candidate does into that candidate's verdict
        raised = f"{case.file} ({case.cls}) on {backend}: the harness raised {type(e).__name__}: {e}"
    if raised is not None:
        pytest.fail(raised, pytrace=False)
    problems = check(case, verdict)
    assert not problems, f"{case.file} ({case.cls}) on {backend}: " + "; ".join(problems)


def test_manifest_matches_folder() -> None:
    """Every candidate file is in the manifest once, and every case names a real file, task and status."""
    from typing import get_args

    from mapforge.evaluators.verdict import Status

    files = sorted(p.name for p in REDTEAM.iterdir() if p.suffix in (".c", ".cpp"))
    assert sorted(c.file for c in CASES) == files
    statuses = set(get_args(Status))
    for c in CASES:
        assert (TASKS / c.task / "task.toml").is_file(), c.task
        assert c.expect and set(c.expect) <= statuses, c.file
        assert c.honest == (c.expect == ("correct",)), c.file
        assert set(c.extra) <= {"neutralised_if_correct", "honest_fallback"}, f"{c.file}: unknown keys {sorted(c.extra)}"
    assert any(c.honest for c in CASES) and any(not c.honest for c in CASES)
