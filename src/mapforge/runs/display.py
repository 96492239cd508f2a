"""Progress for humans on stderr (a live panel on a terminal, plain lines otherwise); events as JSON lines
on stdout with ``--json``.

The live panel starts with the job's ``start`` event (so spec, config and model errors print before it, as
plain lines) and :meth:`Progress.close` stops it and shows the cursor again, whatever ended the job.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO


class JsonLines:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._lock = threading.Lock()  # stage events come from evaluation threads

    def __call__(self, ev: dict[str, Any]) -> None:
        with self._lock:
            self.out.write(json.dumps(ev, default=str) + "\n")
            self.out.flush()

    def close(self) -> None:
        pass


def _clock(seconds: float) -> str:
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _interval(ev: dict[str, Any]) -> str:
    if ev.get("speedup") is None:
        return f"pass rate {ev['pass_rate']:.0%}" if ev.get("pass_rate") is not None else str(ev.get("status", ""))
    ci = ev.get("speedup_ci")
    text = f"{ev['speedup']:.3f}x" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
    if ci and ci[1] < 1.0:
        text += " (slower than the reference)"
    elif ci and ci[0] <= 1.0:
        text += " (no measurable change)"
    return text


class Progress:
    """The iteration, the agent step, the candidate being judged and its stage, the best so far with its
    interval, elapsed time, tokens against the budget, and an ETA when a budget bounds the job."""

    def __init__(self, err: TextIO | None = None, live: bool | None = None) -> None:
        self.err = err or sys.stderr
        self.state: dict[str, Any] = {"iteration": 0, "max": "?", "step": "starting", "candidates": 0,
                                      "best": "none yet", "task": "", "judging": [], "stage": "",
                                      "tokens": 0, "max_tokens": None, "max_wall": None}
        self._use_live = self.err.isatty() if live is None else live
        self._live: Any = None
        self._started: float | None = None
        self._seen: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    # -- the panel ------------------------------------------------------------------------------
    def _start_live(self) -> None:
        if not self._use_live or self._live is not None:
            return
        from rich.console import Console
        from rich.live import Live

        console = Console(file=self.err, force_terminal=True if not self.err.isatty() else None)
        self._live = Live(get_renderable=self._render, console=console, refresh_per_second=2, transient=False)
        self._live.start()

    def close(self) -> None:
        """Stop the panel (showing the cursor again); safe to call twice or before it started."""
        with self._lock:
            if self._live is not None:
                live, self._live = self._live, None
                live.stop()

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left by the tightest budget that bounds the job, if any does."""
        s = self.state
        if self._started is None:
            return None
        elapsed = (now or time.monotonic()) - self._started
        guesses = []
        if s["max_wall"]:
            guesses.append(s["max_wall"] - elapsed)
        done, total = s["iteration"], s["max"]
        if isinstance(total, int) and done > 0:
            guesses.append(elapsed / done * total - elapsed)
        if s["max_tokens"] and s["tokens"] > 0:
            guesses.append(elapsed / s["tokens"] * (s["max_tokens"] - s["tokens"]))
        return max(min(guesses), 0.0) if guesses else None

    def _render(self) -> Any:
        from rich.table import Table

        s = self.state
        t = Table.grid(padding=(0, 2))
        t.add_row("task", str(s["task"]))
        t.add_row("iteration", f"{s['iteration']}/{s['max']}")
        step = str(s["step"])
        if s["judging"] and s["step"].startswith("evaluator"):
            step = f"judging {', '.join(s['judging'])}" + (f": {s['stage']}" if s["stage"] else "")
        t.add_row("step", step)
        t.add_row("candidates", str(s["candidates"]))
        t.add_row("best", str(s["best"]))
        tokens = f"{s['tokens']:,}" + (f" of {s['max_tokens']:,}" if s["max_tokens"] else "")
        t.add_row("tokens", tokens)
        if self._started is not None:
            elapsed = time.monotonic() - self._started
            left = self.eta()
            budget = f" of {_clock(s['max_wall'])}" if s["max_wall"] else ""
            t.add_row("elapsed", _clock(elapsed) + budget + (f"  (ETA {_clock(left)})" if left is not None else ""))
        return t

    def _line(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text)
        else:
            print(text, file=self.err, flush=True)

    # -- events ---------------------------------------------------------------------------------
    def __call__(self, ev: dict[str, Any]) -> None:
        with self._lock:
            self._handle(ev)
            if self._live is not None:
                self._live.refresh()

    def _handle(self, ev: dict[str, Any]) -> None:
        kind = ev["event"]
        s = self.state
        if kind == "start":
            s["task"], s["max"] = ev["task"], ev["max_iters"]
            s["max_tokens"], s["max_wall"] = ev.get("max_tokens"), ev.get("max_wall_seconds")
            self._started = time.monotonic()
            self._line(f"mapforge: {ev['kind']} {ev['task']} with {ev['model']} -> {ev['run_dir']}")
            self._line(f"  {ev.get('sandbox_reason') or 'sandbox: ' + str(ev['sandbox'])}")
            self._start_live()
        elif kind == "resumed":
            self._line(f"mapforge: resuming {ev['run_dir']} (recorded steps are replayed, not re-run)")
        elif kind == "step":
            s["step"] = ev["agent"] + (f" ({ev['candidate']})" if ev.get("candidate") else "")
            if ev["agent"] == "evaluator" and ev.get("candidate"):
                s["judging"].append(ev["candidate"])
            elif ev["agent"] != "evaluator":
                s["judging"], s["stage"] = [], ""
        elif kind == "stage":
            s["stage"] = ev["stage"]
        elif kind == "model_call":
            s["tokens"] += int(ev.get("prompt_tokens") or 0) + int(ev.get("completion_tokens") or 0)
        elif kind == "baseline":
            self._line(f"  baseline {ev['seconds'] * 1e3:.3f} ms; A/A self-test {ev['aa_speedup']:.3f}x "
                       f"[{ev['aa_ci'][0]:.3f}, {ev['aa_ci'][1]:.3f}]")
        elif kind == "baseline_failed":
            self._line(f"  baseline failed: {ev['error']}")
        elif kind == "iteration":
            s["iteration"] = ev["n"]
            self._line(f"  iteration {ev['n']}: plan {ev['plan']!r} (confidence {ev['confidence']:.2f})")
        elif kind == "candidate":
            s["candidates"] += 1
            self._seen[ev["id"]] = ev
            if ev["id"] in s["judging"]:
                s["judging"].remove(ev["id"])
            if ev.get("speedup") is not None or ev.get("pass_rate") is not None:
                result = _interval(ev)
            else:
                result = f"{ev['status']}: {ev['reason'][:120]}"
            who = f"repair of {ev['parent']}" if ev.get("parent") else "new"
            self._line(f"    {ev['id']} ({who}): {result}")
        elif kind == "best":
            s["best"] = f"{ev['id']} " + _interval({**self._seen.get(ev["id"], {}), **ev})
        elif kind == "no_code":
            self._line("    the coder's reply held no usable code")
        elif kind == "analysed":
            for plan in ev["plans"]:
                self._line(f"  the analyst read {plan['parent']}'s profile: {plan['title']}")
        elif kind == "planner_sits_out":
            self._line(f"  the planner sits out this round (free plans instead): {ev['reason']}")
        elif kind == "debugger_retired":
            self._line(f"  the debugger sits out the rest of this job: {ev['reason']}")
        elif kind == "end":
            self.close()
            self._line(f"mapforge: {ev['status']} ({ev['stop_reason']})")
