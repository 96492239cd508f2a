"""A population of parents instead of one greedy chain.

Design (see README, "How the search works"): correct candidates live on *islands* keyed by the technique
their plan names (memory access, vectorisation, instruction-level parallelism, algorithm, branches; as in
OpenEvolve's islands, with MAP-Elites' one feature dimension being the technique). Each island keeps its
``island_size`` fastest members. A plan is coded from a parent on its own island when that island has one,
else from the elites of all islands (migration); the reference is the root every lineage starts from.
Among eligible parents the choice is by score (log speedup over the reference) plus ``novelty_weight`` times
novelty (how unlike the rest of the population a parent's code is; ShinkaEvolve's novelty, AlphaEvolve's
program database balancing exploitation and exploration). A parent that has had ``lineage_budget``
children is retired: a lineage that stops paying gets no more model calls.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from mapforge.evaluators.verdict import Profile
from mapforge.search.novelty import similarity

TECHNIQUES: dict[str, tuple[str, ...]] = {
    "vectorise": ("vector", "simd", "avx", "sse", "restrict", "ivdep", "pragma", "lane"),
    "memory": ("cache", "locality", "block", "tile", "tiling", "stride", "layout", "interchange", "prefetch",
               "bandwidth", "memory", "transpose", "contiguous"),
    "ilp": ("accumulator", "unroll", "dependency", "depend", "latency", "ilp", "chain", "pipelin", "register"),
    "algorithm": ("algorithm", "horner", "complexity", "redundant", "hoist", "strength", "precompute",
                  "fuse", "fusion", "pass", "division", "modulo", "invariant"),
    "branches": ("branch", "predicat", "condition", "select", "mispredict"),
}


def technique(text: str) -> str:
    """The technique a plan names: the class whose keywords it mentions most (``other`` when none)."""
    low = text.lower()
    counts = {k: sum(len(re.findall(rf"\b{w}", low)) for w in words) for k, words in TECHNIQUES.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "other"


@dataclass
class Member:
    id: str
    source: str
    speedup: float
    island: str
    summary: str
    children: int = 0
    evidence: str = ""
    """What the harness measured about this code (roofline fraction, profile), for the coder of a free plan."""
    profile: Profile | None = None
    """The same profile, typed, for the analyst."""


class Population:
    def __init__(self, reference_source: str, islands: int, island_size: int, lineage_budget: int,
                 novelty_weight: float, reference_evidence: str = "",
                 reference_profile: Profile | None = None) -> None:
        self.root = Member("reference", reference_source, 1.0, "reference", "the reference (1.0x)",
                           evidence=reference_evidence, profile=reference_profile)
        self.max_islands, self.island_size = islands, island_size
        self.lineage_budget, self.novelty_weight = lineage_budget, novelty_weight
        self.islands: dict[str, list[Member]] = {}

    def island_for(self, text: str) -> str:
        key = technique(text)
        if key in self.islands or len(self.islands) < self.max_islands:
            return key
        return "other" if "other" in self.islands else next(iter(self.islands))

    def members(self) -> list[Member]:
        return [m for isl in self.islands.values() for m in isl]

    def by_speedup(self) -> list[Member]:
        """Every member, the reference included, fastest first."""
        return sorted([self.root, *self.members()], key=lambda m: -m.speedup)

    def take(self, id: str) -> Member | None:
        """The member ``id`` as a parent, counting the child against its budget; None when it left its island
        or spent its budget."""
        m = next((m for m in [self.root, *self.members()] if m.id == id), None)
        if m is None or (m is not self.root and m.children >= self.lineage_budget):
            return None
        m.children += 1
        return m

    def add(self, id: str, source: str, speedup: float, plan_text: str, summary: str,
            evidence: str = "", profile: Profile | None = None) -> Member | None:
        """Admit a correct candidate to its plan's island; returns it, or None when the island's elites beat it."""
        key = self.island_for(plan_text)
        isl = self.islands.setdefault(key, [])
        m = Member(id, source, speedup, key, summary, evidence=evidence, profile=profile)
        isl.append(m)
        isl.sort(key=lambda x: -x.speedup)
        del isl[self.island_size:]
        return m if m in isl else None

    def novelty(self, m: Member, others: list[Member]) -> float:
        rest = [o for o in others if o is not m]
        return 1.0 - max((similarity(m.source, o.source) for o in rest), default=0.0)

    def choose(self, plan_text: str) -> Member:
        """The parent for a plan: from its island when it has a live member, else the best of every island,
        by score and novelty; the reference when nothing is eligible. Counts the child against its budget."""
        live = [m for m in self.members() if m.children < self.lineage_budget]
        own = [m for m in live if m.island == self.island_for(plan_text)]
        pool = own or [m for m in live if self.islands[m.island][0] is m] or live
        parent = self.root
        if pool:
            everyone = [self.root, *self.members()]

            def score(m: Member) -> float:
                return math.log(max(m.speedup, 1e-6)) + self.novelty_weight * self.novelty(m, everyone)

            parent = max(pool, key=score)
        parent.children += 1
        return parent

    def describe(self) -> dict[str, list[dict[str, object]]]:
        return {k: [{"id": m.id, "speedup": m.speedup, "children": m.children} for m in isl]
                for k, isl in sorted(self.islands.items())}
