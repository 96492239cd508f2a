"""Retriever: recall the k most relevant exemplars by BM25 over a real library.

Two sources: the optimisation patterns shipped as package data (``mapforge/patterns/*.md``), and the memory
of earlier successful candidates (a JSONL file the supervisor appends to when a run improves a task).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mapforge import __version__
from mapforge.evaluators.verdict import Verdict
from mapforge.tasks.spec import OptimizeSpec, Task

_TOKEN = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset("the and for with are this that from into each its not but all int void const float return "
                  "use using can when than then".split())


def tokenize(text: str) -> list[str]:
    """Lower-case words, with snake_case and hyphenated names split into parts as well."""
    out = []
    for tok in _TOKEN.findall(text.lower().replace("_", " ").replace("-", " ")):
        if tok not in _STOP:
            out.append(tok)
    return out


@dataclass(frozen=True)
class Exemplar:
    title: str
    text: str
    source: str
    """``pattern:<file>`` or ``memory:<task>/<run>``."""
    tags: tuple[str, ...] = ()
    score: float = 0.0
    derived_from: tuple[str, ...] = ()
    """Bundled tasks this exemplar was written from (a card's ``derived_from``, a memory's task): held out
    when the benchmark measures those tasks."""


class BM25:
    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.docs = [Counter(d) for d in docs]
        self.lens = [len(d) for d in docs]
        self.avg = sum(self.lens) / max(len(docs), 1)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: Iterable[str]) -> list[float]:
        q = Counter(query)
        out = []
        for d, length in zip(self.docs, self.lens):
            s = 0.0
            for t in q:
                f = d.get(t, 0)
                if f:
                    s += self.idf[t] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * length / self.avg))
            out.append(s)
        return out


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---"):
        return {}, text
    _, head, body = text.split("---", 2)
    meta = {}
    for line in head.strip().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            meta[k.strip()] = v.strip()
    return meta, body.strip()


def _list(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.strip("[]").split(",") if x.strip())


def load_patterns() -> list[Exemplar]:
    out = []
    root = resources.files("mapforge").joinpath("patterns")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".md"):
            continue
        meta, body = _front_matter(entry.read_text())
        out.append(Exemplar(title=meta.get("title", entry.name), text=body, source=f"pattern:{entry.name}",
                            tags=_list(meta.get("tags", "")), derived_from=_list(meta.get("derived_from", ""))))
    return out


def load_memory(path: Path | None) -> list[Exemplar]:
    out = []
    for rec in _records(path):
        if rec.get("verdict", "correct") != "correct" or "source" not in rec:
            continue
        out.append(Exemplar(
            title=f"earlier successful candidate for {rec['task']} ({rec['speedup']:.2f}x)",
            text=f"Task: {rec['description']}\nPlan: {rec.get('plan', '')}\n```{rec.get('language', 'c')}\n{rec['source']}```",
            source=f"memory:{rec['task']}/{rec.get('run', '')}", tags=tuple(rec.get("tags", [])),
            derived_from=(rec["task"],),
        ))
    return out


def memory_file(configured: str | None) -> Path:
    """Where the memory of earlier wins lives: the configured file, else ~/.cache/mapforge/memory.jsonl."""
    return Path(configured or "~/.cache/mapforge/memory.jsonl").expanduser()


def remember(path: Path, task: Task, source: str, verdict: Verdict, plan: str, run: str, sandbox: str) -> bool:
    """Append a win to the memory library: only a correct, significantly faster verdict, once per (task,
    source). Each entry says which verdict, machine, sandbox and mapforge version it came from. Returns
    whether it was added."""
    if not verdict.improved or verdict.timing is None:
        return False
    spec = task.spec
    digest = hashlib.sha256(" ".join(source.split()).encode()).hexdigest()[:16]
    if any(rec.get("task") == spec.name and rec.get("source_sha") == digest for rec in _records(path)):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    t = verdict.timing
    rec = {"task": spec.name, "description": spec.description.strip(), "tags": list(spec.tags),
           "language": spec.language, "source": source, "source_sha": digest, "speedup": t.speedup,
           "speedup_ci": list(t.speedup_ci), "verdict": verdict.status, "plan": plan, "run": run,
           "machine": machine_id(), "sandbox": sandbox, "mapforge": __version__}
    with path.open("a") as f:
        f.write(json.dumps(rec) + "\n")
    return True


def _records(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from a crash: skip it
        if isinstance(rec, dict):
            out.append(rec)
    return out


def machine_id() -> str:
    """Host name, CPU model and core count: where a timing was measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{platform.node()} ({cpu}, {os.cpu_count()} cores)"


class Retriever:
    role = "retriever"

    def __init__(self, k: int, memory_file: Path | None, min_score: float = 0.0,
                 held_out: frozenset[str] = frozenset()) -> None:
        self.k = k
        self.memory_file = memory_file
        self.min_score = min_score
        """An exemplar whose relevance (BM25 score per distinct query term) is below this is not shown: none
        rather than an unrelated one. On the bundled tasks a task's own card scores 0.8-1.3, unrelated
        cards 0.25-0.45."""
        self.held_out = held_out
        """Task names whose cards and memories are left out (the benchmark's leave-one-out)."""

    def query_for(self, task: Task) -> list[str]:
        spec = task.spec
        text = f"{spec.name} {spec.description} {' '.join(spec.tags)} " * 2
        if isinstance(spec, OptimizeSpec):
            text += f" {spec.function} {task.reference_source or ''}"
        return tokenize(text)

    @staticmethod
    def _memory_weight(e: Exemplar, task: Task) -> float:
        """Earlier wins on the same task count double; another task's half: small models copy whatever
        code they are shown, and a neighbour's kernel (matmul for transpose) misleads more than a pattern."""
        if not e.source.startswith("memory:"):
            return 1.0
        return 2.0 if e.source.removeprefix("memory:").split("/", 1)[0] == task.name else 0.5

    def run(self, task: Task, focus: str = "", k: int | None = None) -> list[Exemplar]:
        """The k best exemplars (``k`` defaults to the retriever's) scoring at least ``min_score``; memories of
        the same task name are preferred by their score, not forced. ``focus`` (a plan's bottleneck and
        approach) is weighted like the task's name, so the retriever can be asked again per bottleneck."""
        k = self.k if k is None else k
        if k == 0:
            return []
        library = [e for e in load_patterns() + load_memory(self.memory_file)
                   if not set(e.derived_from) & self.held_out]
        if not library:
            return []
        docs = [tokenize(f"{e.title} {' '.join(e.tags)} {' '.join(e.tags)} {e.text}") for e in library]
        query = self.query_for(task) + tokenize(focus) * 3
        scores = [s * self._memory_weight(e, task) for s, e in zip(BM25(docs).scores(query), library)]
        ranked = sorted(zip(scores, range(len(library))), key=lambda p: (-p[0], p[1]))
        terms = max(len(set(query)), 1)
        out = []
        for score, i in ranked[:k]:
            if score <= 0 or score / terms < self.min_score:
                break
            e = library[i]
            out.append(Exemplar(e.title, e.text, e.source, e.tags, round(score, 3), e.derived_from))
        return out
