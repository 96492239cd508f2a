"""Progress for humans on stderr (a live panel on a terminal, plain lines otherwise); events as JSON lines
on stdout with ``--json``."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


class JsonLines:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def __call__(self, ev: dict[str, Any]) -> None:
        self.out.write(json.dumps(ev, default=str) + "\n")
        self.out.flush()


class Progress:
    """Shows the iteration, the agent step, candidates tried and the best so far."""

    def __init__(self, err: TextIO | None = None, live: bool | None = None) -> None:
        self.err = err or sys.stderr
        self.state: dict[str, Any] = {"iteration": 0, "max": "?", "step": "starting", "candidates": 0,
                                      "best": "none yet", "task": ""}
        self._live = None
        use_live = self.err.isatty() if live is None else live
        if use_live:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._render(), console=Console(file=self.err), refresh_per_second=4, transient=False)
            self._live.start()

    def _render(self) -> Any:
        from rich.table import Table

        s = self.state
        t = Table.grid(padding=(0, 2))
        t.add_row("task", str(s["task"]))
        t.add_row("iteration", f"{s['iteration']}/{s['max']}")
        t.add_row("step", str(s["step"]))
        t.add_row("candidates", str(s["candidates"]))
        t.add_row("best", str(s["best"]))
        return t

    def _line(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text)
        else:
            print(text, file=self.err, flush=True)

    def __call__(self, ev: dict[str, Any]) -> None:
        kind = ev["event"]
        s = self.state
        if kind == "start":
            s["task"], s["max"] = ev["task"], ev["max_iters"]
            self._line(f"mapforge: {ev['kind']} {ev['task']} with {ev['model']} -> {ev['run_dir']}")
            self._line(f"  {ev.get('sandbox_reason') or 'sandbox: ' + str(ev['sandbox'])}")
        elif kind == "resumed":
            self._line(f"mapforge: resuming {ev['run_dir']} (recorded steps are replayed, not re-run)")
        elif kind == "step":
            s["step"] = ev["agent"] + (f" ({ev['candidate']})" if ev.get("candidate") else "")
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
            if ev.get("speedup") is not None:
                lo, hi = ev["speedup_ci"]
                result = f"{ev['speedup']:.3f}x [{lo:.3f}, {hi:.3f}]"
            elif ev.get("pass_rate") is not None:
                result = f"{ev['status']}, pass rate {ev['pass_rate']:.0%}"
            else:
                result = f"{ev['status']}: {ev['reason'][:120]}"
            who = f"repair of {ev['parent']}" if ev.get("parent") else "new"
            self._line(f"    {ev['id']} ({who}): {result}")
        elif kind == "best":
            s["best"] = f"{ev['id']} " + (f"{ev['speedup']:.3f}x" if ev.get("speedup") is not None
                                          else f"pass rate {ev['pass_rate']:.0%}")
        elif kind == "no_code":
            self._line("    the coder's reply held no usable code")
        elif kind == "end":
            if self._live is not None:
                self._live.update(self._render())
                self._live.stop()
                self._live = None
            self._line(f"mapforge: {ev['status']} ({ev['stop_reason']})")
        if self._live is not None:
            self._live.update(self._render())
