"""Does the debugger earn its turn? Correct code per token, the debugger's against the coder's, in this job.

A repair and a fresh coder call compete for the same tokens. A capable model's repairs mostly succeed; the
embedded models' did not: over every loop run recorded in ``bench-runs/`` before the ninth session, 34
debugger calls (~1.7k tokens each) gave 27 repeats of the code they were asked to fix and 7 new candidates,
none of them correct, while the coder's calls gave a correct candidate in 15 of 78 (the ninth session's 29
repairs: none correct either; bench/RESULTS.md). So after ``trial`` repairs the
debugger keeps its turn only while its correct candidates per token spent beat the coder's; once they do
not, it is retired for the rest of the job and a failing candidate's plan is concluded at once, so that the
tokens go to the next plan (``agents.repair_trial``; None: always repair, up to ``agents.debug_rounds``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RepairYield:
    trial: int | None
    """Repairs the debugger gets before it must pay its way (None: it always gets its rounds)."""
    repairs: int = 0
    """Debugger calls that ended: a judged candidate, a repeat of judged code, or no usable code."""
    repaired: int = 0
    """Of those, the candidates judged correct."""
    coded: int = 0
    """Coder candidates judged correct."""
    retired: bool = False

    def coder_result(self, correct: bool) -> None:
        self.coded += correct

    def repair_result(self, correct: bool) -> None:
        self.repairs += 1
        self.repaired += correct

    def may_repair(self, debugger_tokens: int, coder_tokens: int) -> bool:
        """Whether the debugger gets the next repair, given the tokens each role has spent in this job. Once
        it is refused it stays retired: a job is too short for it to win its turn back."""
        if self.retired:
            return False
        if self.trial is None or self.repairs < self.trial:
            return True
        # repaired / debugger_tokens > coded / coder_tokens, without dividing by zero; 0 against 0 is no
        self.retired = self.repaired * max(coder_tokens, 1) <= self.coded * max(debugger_tokens, 1)
        return not self.retired

    def describe(self) -> str:
        return (f"{self.repaired} of its {self.repairs} repairs were correct, against {self.coded} correct "
                "candidates from the coder")
