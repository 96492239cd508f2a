"""Probe: how many evaluated candidates of recorded optimize runs compiled to the same machine code as the
reference, or as an earlier candidate of the same run (``native.machine_code``: the function, the helpers
it reaches and the object's constants), and so could not have been faster? Recompiles each candidate that
got past the build stage with its task's flags on this machine. Prints a table and a one-line summary.

    python bench/probes/same_machine_code.py bench-runs/search-lib-v3 [more run folders or bench outputs]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from mapforge.evaluators import native
from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import OptimizeSpec

TASKS = Path(__file__).resolve().parents[2] / "tasks"


def compiled(source: str, spec: OptimizeSpec) -> str | None:
    with tempfile.TemporaryDirectory() as d:
        name = f"m{spec.source_suffix}"
        (Path(d) / name).write_text(source)
        if subprocess.run(native.compile_cmd(spec.language, spec.cflags, name, "m.o"), cwd=d,
                          capture_output=True).returncode:
            return None
        out = subprocess.run(["objdump", "-dr", "-s", "--no-show-raw-insn", "m.o"], cwd=d, capture_output=True,
                             text=True).stdout
        return native.machine_code(out, spec.function)


def runs(paths: list[str]) -> list[Path]:
    """Run folders (those with a task.json and candidates/) under the given paths."""
    found: list[Path] = []
    for p in map(Path, paths):
        found += sorted(t.parent for t in p.glob("**/task.json") if (t.parent / "candidates").is_dir())
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    print("| run | task | evaluated | the reference's code | an earlier candidate's code |")
    print("|---|---|---|---|---|")
    totals = [0, 0, 0]
    for run in runs(args.paths):
        name = json.loads((run / "task.json").read_text())["name"]
        if not (TASKS / name).is_dir():
            continue
        task = load_task(TASKS / name)
        if not isinstance(task.spec, OptimizeSpec) or not task.reference_source:
            continue
        reference = compiled(task.reference_source, task.spec)
        seen: set[str | None] = {reference}
        row = [0, 0, 0]
        for cand in sorted((run / "candidates").glob("c*")):
            verdict = json.loads((cand / "verdict.json").read_text())["verdict"]
            sources = sorted(cand.glob("source.*"))
            if not sources or verdict.get("stage") in ("static", "precheck", "build"):
                continue  # judged before it was built, or did not build
            code = compiled(sources[0].read_text(), task.spec)
            row[0] += 1
            if code is not None and code == reference:
                row[1] += 1
            elif code is not None and code in seen:
                row[2] += 1
            seen.add(code)
        if row[0]:
            print(f"| {run} | {name} | {row[0]} | {row[1]} | {row[2]} |")
            totals = [a + b for a, b in zip(totals, row)]
    n, ref, earlier = totals
    share = f"{(ref + earlier) / n:.0%}" if n else "-"
    print(f"\nsummary: {n} evaluated candidates, {ref} compiled to the reference's machine code and {earlier} to an "
          f"earlier candidate's ({share} could not have been faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
