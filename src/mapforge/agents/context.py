"""What the supervisor tells the agents: the task, the baseline, exemplars, the best so far, history."""

from __future__ import annotations

from dataclasses import dataclass, field

from mapforge.agents.retriever import Exemplar
from mapforge.tasks.spec import Task


@dataclass
class AgentContext:
    task: Task
    baseline_seconds: float | None = None
    exemplars: list[Exemplar] = field(default_factory=list)
    best_source: str | None = None
    best_summary: str | None = None
    history: list[str] = field(default_factory=list)
    """One line per tried plan: its title and outcome."""
