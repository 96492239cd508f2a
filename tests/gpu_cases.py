"""The GPU candidate manifests (tests/gpu_candidates/cases.toml and its cpu/ twin), shared by the tests and
bench/gpu.py."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
GPU_CASES = REPO / "tests" / "gpu_candidates"
KERNELBENCH = REPO / "tasks" / "kernelbench"


@dataclass(frozen=True)
class GpuCase:
    problem: Path
    file: Path
    honest: bool
    kind: str
    expect: tuple[str, ...]
    faster: bool
    why: str

    @property
    def name(self) -> str:
        return f"{self.problem.stem}/{self.file.stem}"


def load_cases(cpu: bool = False) -> list[GpuCase]:
    root = GPU_CASES / "cpu" if cpu else GPU_CASES
    problems = root / "problems" if cpu else KERNELBENCH
    out = []
    for c in tomllib.loads((root / "cases.toml").read_text())["case"]:
        out.append(GpuCase(problem=problems / f"{c['problem']}.py", file=root / c["file"], honest=c["honest"],
                           kind=c.get("kind", ""), expect=tuple(c["expect"]), faster=c.get("faster", False),
                           why=c.get("why", "")))
    return out


def judge(case: GpuCase, verdict: object) -> str | None:
    """What is wrong with the verdict for the case (None: as expected)."""
    status = getattr(verdict, "status", "?")
    if status not in case.expect:
        return f"judged {status} (expected {'/'.join(case.expect)}): {getattr(verdict, 'reason', '')}"
    if case.faster and not getattr(verdict, "improved", False):
        return f"not measurably faster: {getattr(verdict, 'reason', '')}"
    return None
