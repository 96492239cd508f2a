"""A candidate's profile: what the planner and debugger can read about *why* it is as fast as it is.

- the compiler's vectorisation report (gcc ``-fopt-info-vec-all``) for the candidate's own loops: which
  loops were vectorised and why the others were not, and which vectorised loops keep a float reduction in
  source order (from a second build's ``-fdump-tree-vect-details``: gcc vectorises the loads of such a loop
  but may not reorder its additions without ``-ffast-math``, so "vectorised" would mislead);
- a summary of the function's disassembly: instructions, vector instructions by register width, FMAs,
  loads/stores, and backward branches (loops);
- instruction counts from valgrind's callgrind when a run command is given and valgrind is installed where
  the sandbox runs (``perf stat`` is not used: hardware counters are unavailable in the VMs and containers
  mapforge usually runs in; callgrind counts the same on every run);
- the fraction of the memory roofline reached, when the caller passes the machine's bandwidth.

``profile_candidate`` never fails a candidate: what cannot be measured is None, with the reason in ``notes``.
The timing stage may call it after a correct timing (optimize.py owns that hook); nothing here changes a
verdict.
"""

from __future__ import annotations

import re
from collections import Counter

from mapforge.evaluators.native import compile_cmd
from mapforge.evaluators.verdict import Disassembly, LoopReport, Profile
from mapforge.sandbox import Limits, Sandbox
from mapforge.tasks.spec import OptimizeSpec

_VEC_LINE = re.compile(r"^[^:]*:(\d+):\d+: (optimized|missed|note): (.*)$")
_INSN = re.compile(r"^\s*[0-9a-f]+:\s+([a-z][a-z0-9.]*)\s*(.*)$")
_FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
_WIDTH = re.compile(r"vectorized using (\d+) byte vectors")
#: gcc's internal statement after a reason ("no vectype for stmt: _5 = *_4;"): meaningless in a prompt.
_GIMPLE = re.compile(r":\s*_\d+ = .*$")


def vectorisation_report(text: str, source_name: str, source: str = "") -> list[LoopReport]:
    """The loops in gcc's -fopt-info-vec-all output for ``source_name``, one per source line, quoting that line
    of ``source`` when given. A line the compiler vectorised in the end is not also reported as missed (gcc
    first reports its failed attempts), and a missed line gives the compiler's most specific reason, not its
    generic "couldn't vectorize loop" (a call that may set errno "clobbers memory"). A loop vectorised with an
    in-order (fold-left) reduction is marked ``in_order``: its additions are as serial as the source's."""
    lines = source.splitlines()
    versioned: dict[str, list[str]] = {}
    why: dict[str, list[str]] = {}
    widths: dict[str, int] = {}
    fold_left: set[str] = set()
    for line in text.splitlines():
        if not line.startswith(source_name):
            continue
        m = _VEC_LINE.match(line)
        if not m:
            continue
        lineno, kind, msg = m.group(1), m.group(2), m.group(3).strip()
        low = msg.lower()
        width = _WIDTH.search(low)
        if kind == "optimized" and width:  # the main loop and its narrower epilogue: keep the widest
            widths[lineno] = max(widths.get(lineno, 0), int(width.group(1)))
        elif kind == "optimized" and "versioned for vectorization" in low:
            versioned.setdefault(lineno, []).append("versioned: a runtime check for " + low.split("because of ")[-1]
                                                    if "because of " in low else msg)
        elif kind == "note" and "in-order (fold-left) reduction" in low:
            fold_left.add(lineno)
        elif kind == "missed" and ("not vectorized" in low or "couldn't" in low or "clobbers memory" in low):
            why.setdefault(lineno, []).append(_GIMPLE.sub("", msg))

    def code(lineno: str) -> str:
        i = int(lineno) - 1
        return lines[i].strip()[:80] if 0 <= i < len(lines) else ""

    out = [LoopReport(line=int(n), code=code(n), width=w, in_order=n in fold_left,
                      versioned="; ".join(dict.fromkeys(versioned.get(n, []))))
           for n, w in widths.items()]
    for n, msgs in why.items():
        if n in widths or n in versioned:
            continue
        specific = [m for m in msgs if "couldn't vectorize loop" not in m.lower()] or msgs
        out.append(LoopReport(line=int(n), code=code(n), missed=specific[0]))
    return out


def summarise_disassembly(text: str, function: str) -> Disassembly:
    """Counts over ``function``'s instructions in ``objdump -d`` output."""
    d, inside, addr_re = Disassembly(), False, re.compile(r"^\s*([0-9a-f]+):")
    vec: Counter[str] = Counter()
    for line in text.splitlines():
        f = _FUNC.match(line)
        if f:
            inside = f.group(1) == function
            continue
        m = _INSN.match(line)
        if not inside or not m:
            continue
        op, args = m.groups()
        d.instructions += 1
        for reg in ("zmm", "ymm", "xmm"):
            if reg in args:
                vec[reg] += 1
                break
        d.fma += op.startswith("vfmadd") or op.startswith("vfmsub") or op.startswith("vfnmadd")
        d.loads_stores += "(" in args
        d.divisions += op.startswith(("div", "vdiv", "idiv"))
        if op.startswith("j"):
            here = addr_re.match(line)
            target = re.match(r"([0-9a-f]+)", args)
            if here and target and int(target.group(1), 16) < int(here.group(1), 16):
                d.loops += 1
    d.vector = dict(vec)
    return d


def callgrind_count(text: str) -> int | None:
    m = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.M)
    return int(m.group(1)) if m else None


def profile_candidate(sb: Sandbox, spec: OptimizeSpec, source: str, *, run_cmd: list[str] | None = None,
                      min_seconds: float | None = None, seconds: float | None = None,
                      limits: Limits | None = None) -> Profile:
    """Profile ``source`` in ``sb`` (which may already hold the candidate's build). ``run_cmd`` is a command
    that calls the function once in the sandbox without the seccomp filter (e.g. the runner in its
    unfiltered correctness mode), for callgrind; ``min_seconds`` is the task's roofline time (bytes / the
    machine's bandwidth) and ``seconds`` the candidate's measured time."""
    prof = Profile()
    try:
        _profile_into(prof, sb, spec, source, run_cmd, limits or Limits(timeout=60, memory_mb=1024))
    except (OSError, ValueError) as e:
        # Evidence, never a verdict: a sandbox that cannot be read (a candidate may have left a directory
        # where the report goes) costs the agents this profile, not the candidate or the baseline its timing.
        prof.notes.append(f"profiling stopped: {e}")
    if min_seconds and seconds:
        prof.roofline_fraction = min_seconds / seconds
    return prof


def _in_order_notes(sb: Sandbox, spec: OptimizeSpec, name: str, lim: Limits) -> str:
    """gcc's notes on in-order (fold-left) reductions, which only its detailed vectoriser dump holds: a second
    build whose dump may be large (or fail against the sandbox's file-size limit), so the first build's
    report never depends on it."""
    dump = compile_cmd(spec.language, [*spec.cflags, "-fdump-tree-vect-details=vect-details.txt"], name,
                       "details.o")
    try:
        if not sb.exec(dump, limits=lim).ok:
            return ""
        r = sb.exec(["grep", "-F", "in-order (fold-left) reduction", "vect-details.txt"], limits=lim)
        sb.exec(["rm", "-f", "vect-details.txt", "details.o"], limits=lim)
    except (OSError, ValueError):
        return ""  # the marks are lost, the report the first build made is not
    return "\n" + r.stdout if r.ok else ""


def _profile_into(prof: Profile, sb: Sandbox, spec: OptimizeSpec, source: str, run_cmd: list[str] | None,
                  lim: Limits) -> None:
    name = f"profile{spec.source_suffix}"
    sb.write_file(name, source)
    sb.write_file("vec.txt", "")  # gcc appends to it
    cmd = compile_cmd(spec.language, [*spec.cflags, "-fopt-info-vec-all=vec.txt"], name, "profile.o")
    r = sb.exec(cmd, limits=lim)
    if not r.ok:
        prof.notes.append(f"profile build failed: {r.describe()}")
        return
    report = sb.read_file("vec.txt").decode(errors="replace")
    if "optimized: loop vectorized" in report:
        report += _in_order_notes(sb, spec, name, lim)
    prof.loops = vectorisation_report(report, name, source)
    r = sb.exec(["objdump", "-d", "--no-show-raw-insn", "profile.o"], limits=lim)
    if r.ok:
        prof.disassembly = summarise_disassembly(r.stdout, spec.function)
    else:
        prof.notes.append(f"objdump failed: {r.describe()}")
    if run_cmd:
        r = sb.exec(["valgrind", "--tool=callgrind", "--callgrind-out-file=cg.out", *run_cmd], limits=lim)
        count = callgrind_count(sb.read_file("cg.out").decode(errors="replace")) if r.ok else None
        if count is not None:
            prof.instructions, prof.counter_source = count, "callgrind"
        else:
            prof.notes.append(f"callgrind unavailable: {r.describe() if not r.ok else 'no summary'}")
    else:
        prof.notes.append("no instruction counts: no run command given (perf counters are not used)")
