"""Role-labelled trajectories of finished jobs as fine-tuning data (``mapforge runs export``).

``openai-chat``: one JSON object per model call, ``{"messages": [... the request ..., {"role": "assistant",
"content": reply}], "metadata": {run, task, role, index, status, success, candidates}}``, in call order. A
call is marked ``success`` when its job ended ``improved`` or ``solved``; a coder or debugger call is also
linked to the candidates whose source its reply holds, with their verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mapforge.errors import UserError
from mapforge.search.novelty import source_key

FORMATS = ("openai-chat",)


def _candidates(run: Path) -> dict[str, list[dict[str, Any]]]:
    """Normalised source key -> [{id, status, speedup}] for the run's candidates."""
    out: dict[str, list[dict[str, Any]]] = {}
    for d in sorted((run / "candidates").glob("c*")):
        try:
            rec = json.loads((d / "verdict.json").read_text())
            src = next(d.glob("source.*")).read_text(errors="replace")
        except (OSError, json.JSONDecodeError, StopIteration):
            continue
        v = rec.get("verdict", {})
        t = v.get("timing") or {}
        out.setdefault(source_key(src), []).append({"id": rec.get("id"), "status": v.get("status"),
                                                   "speedup": t.get("speedup")})
    return out


def trajectories(run: Path, fmt: str = "openai-chat") -> Iterator[dict[str, Any]]:
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if not (run / "events.jsonl").exists():
        raise UserError(f"{run}: not a mapforge run directory (no events.jsonl)")
    try:
        summary = json.loads((run / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        summary = {}
    status = summary.get("status", "unfinished")
    cands = _candidates(run)
    for p in sorted((run / "calls").glob("*.json")):
        try:
            rec = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue
        req, comp = rec["request"], rec["completion"]
        reply = comp.get("text", "")
        linked = [c for block in reply.split("```")[1::2]
                  for c in cands.get(source_key(block.split("\n", 1)[-1]), [])]
        yield {"messages": [*req["messages"], {"role": "assistant", "content": reply}],
               "metadata": {"run": run.name, "task": summary.get("task"), "role": req["role"], "index": req["index"],
                            "status": status, "success": status in ("improved", "solved"),
                            "candidates": linked}}
