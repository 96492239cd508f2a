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
    """One line per tried plan: its title and outcome (``plan at fault:`` lines are feedback for the planner)."""
    machine: str = ""
    """Measured machine facts (bandwidth, peak flops, caches), one line; empty when unknown."""
    best_evidence: str = ""
    """What the harness measured about the best (roofline fraction, profile); empty when nothing."""
    reference_evidence: str = ""
    """What the harness measured about the reference's code (its profile), for plans made before any win."""
    exemplar_code: bool = True
    """Show pattern cards' code blocks (the supervisor sets it from ``agents.exemplar_code``)."""
