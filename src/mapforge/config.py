"""Configuration: pydantic models, one precedence chain.

defaults (the field defaults below, mirrored in ``configs/default.toml``)
  < a config file (``--config FILE``, or ``MAPFORGE_CONFIG``)
  < environment variables ``MAPFORGE_<SECTION>__<FIELD>`` (e.g. ``MAPFORGE_BUDGET__MAX_ITERS=3``)
  < command-line flags.

API keys are never configured here: providers read their usual environment variables.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapforge.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MODEL = "local/qwen2.5-coder-1.5b-instruct"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Section):
    default: str = DEFAULT_MODEL
    """Model for every agent: a litellm string (``openai/gpt-4o``), ``local/<name>`` or ``scripted/<file>``."""
    roles: dict[str, str] = Field(default_factory=dict)
    """Per-agent overrides: ``{coder = "...", debugger = "..."}``."""
    base_url: str | None = None
    """Base URL of an OpenAI-compatible server, for ``openai/<name>`` models."""
    temperature: float = Field(0.0, ge=0, le=2)
    """Sampling temperature for every agent."""
    max_reply_tokens: int = Field(1536, ge=16)
    """Upper bound on tokens per reply."""
    request_timeout: float = Field(600.0, gt=0)
    """Seconds one request may take before it is abandoned and retried."""
    retry_attempts: int = Field(5, ge=1, le=20)
    """Requests at most per call (rate limits, timeouts, 5xx, dropped connections); never for auth errors."""
    retry_wait_max: float = Field(30.0, ge=0)
    """Upper bound in seconds on one backoff wait (waits start at 1 s and double)."""
    max_concurrent: int = Field(4, ge=1)
    """Requests in flight at once, across all agents."""
    cache: bool = True
    """Answer identical temperature-0 requests from the on-disk cache (MAPFORGE_CACHE_DIR)."""
    temperatures: dict[str, float] = Field(default_factory=dict)
    """Per-agent sampling temperature overrides: ``{planner = 0.7, coder = 0.2}`` (others use ``temperature``)."""
    retry_temperature: float = Field(0.8, ge=0, le=2)
    """Temperature of the one retry when a coder or debugger reply repeats code already judged."""

    def for_role(self, role: str) -> str:
        return self.roles.get(role, self.default)

    def temperature_for(self, role: str) -> float:
        return self.temperatures.get(role, self.temperature)


class SandboxConfig(_Section):
    backend: Literal["auto", "local", "docker"] = "auto"
    """Where candidates run: ``auto`` picks docker when an engine answers and the image is built, else local."""
    memory_mb: int = Field(2048, ge=64)
    """Memory limit for compiling and running a candidate (tasks may set their own run limit)."""
    build_timeout: float = Field(60.0, gt=0)
    """Seconds allowed for compiling and linking one candidate."""
    tmp_dir: str | None = None
    """Where sandbox working directories are created (default: the system temp dir)."""
    parallel: int = Field(1, ge=1, le=64)
    """Candidates evaluated at once (capped at the cores); timing runs never overlap and get a core of their own."""
    pool_size: int | None = Field(None, ge=0, le=64)
    """Warm docker containers a job reuses (default: ``parallel``; 0: a fresh container per candidate)."""
    image: str | None = None
    """Docker image to run candidates in (default: the tag ``mapforge sandbox build`` makes)."""
    gpus: bool = False
    """Give docker sandboxes the host's GPUs (needs the NVIDIA container runtime)."""
    gpu_counters: bool = True
    """GPU tasks: read Nsight Compute's counters (``ncu``) for each candidate that passed timing, where ncu is
    installed and may read them (one extra profiled call per candidate, ~10-30 s)."""
    unsafe_no_isolation: bool = False
    """Run candidate code even where neither Docker nor the local backend's isolation (namespaces, a private
    root, the seccomp filter) is available. Never the default: candidates could then read hidden tests and
    the run's records, use the network and outlive the job."""


class TimingConfig(_Section):
    min_pairs: int = Field(20, ge=6)
    """Interleaved (baseline, candidate) pairs to time at least."""
    max_pairs: int = Field(400, ge=6)
    """Stop adding pairs past this many."""
    target_rel_ci: float = Field(0.01, gt=0)
    """Stop once the speedup's 95% interval half-width is below this fraction of the median."""
    max_seconds: float = Field(8.0, gt=0)
    """Time budget for timing one candidate (the interval is reported as measured)."""
    batch_seconds: float = Field(0.4, gt=0)
    """Approximate length of one timing process; each starts with a warm-up."""
    min_processes: int = Field(3, ge=1, le=100)
    """Timing processes at least: each draws its own memory layout, and the interval spans them."""
    warmup: int = Field(2, ge=0)
    """Untimed calls of each side before a batch."""
    min_effect: float = Field(0.01, ge=0)
    """Speedups within this fraction of 1.0 count as no measurable change even when the interval excludes 1.0.
    Each job raises it to the spread of its own A/A self-test (the reference timed against itself)."""


class AgentsConfig(_Section):
    plans: int = Field(3, ge=1, le=10)
    """Plans the planner proposes at a time (k)."""
    exemplars: int = Field(3, ge=0, le=20)
    """Exemplars the retriever recalls (k)."""
    debug_rounds: int = Field(2, ge=0, le=10)
    """Repair attempts per failing candidate (t)."""
    format_repairs: int = Field(1, ge=0, le=3)
    """Extra requests when a reply cannot be parsed."""
    repair_trial: int | None = Field(2, ge=0)
    """Repairs the debugger gets before it must pay its way, counting its model's earlier jobs (``yields_file``)
    with this one: after them it keeps its turn only while its correct candidates per token beat the coder's
    (each role granted one success more than it had), else it is retired for the rest of the job
    (``search/yields.py``; the embedded models' 63 recorded repairs gave no correct candidate). None: the
    debugger always gets its ``debug_rounds``."""
    retry_repeated_repair: bool = False
    """Ask the debugger once more (at ``model.retry_temperature``, shown its repeat) when its repair repeats
    code already judged; by default that lineage is abandoned at once and the tokens go to the next plan. On
    the library tasks the 1.5B debugger's retry repeated itself again in 4 of 5 cases and never gave new code,
    at ~1.3k tokens each; the coder's retry gave new code in 2 of 2, so the coder is always retried once."""
    min_relevance: float = Field(0.45, ge=0)
    """Relevance (BM25 score per distinct query term) an exemplar needs to be shown at all: none rather than
    an unrelated one (a task's own card scores ~0.8-1.3, unrelated cards ~0.25-0.45)."""
    exemplar_code: bool = False
    """Show pattern cards' code blocks (small models copy them verbatim); by default only the technique."""
    held_out: list[str] = Field(default_factory=list)
    """Task names whose pattern cards (``derived_from``) and memories the retriever leaves out (leave-one-out)."""
    retrieve_per_plan: bool = True
    """Ask the retriever again with each plan's bottleneck, for the coder of that plan."""
    coder_exemplars: int = Field(1, ge=0, le=20)
    """Exemplars the coder of one plan sees: the best for that plan's bottleneck (the planner sees
    ``exemplars``, to choose among techniques; the coder implements one). Each card costs every coding prompt
    ~300 tokens: on the library tasks three cards made the loop's coding prompt 2.5 times single-shot's."""
    free_plan: bool = True
    """Optimize rounds try one plan that names no technique first ("make it faster", as OpenEvolve and
    AlphaEvolve ask for every change), then the planner's, and with ``plan_yield`` the planner plans only the
    rounds its plans earn. Measured on eight held-out TSVC loops in one session (bench/RESULTS.md, eleventh
    session): with it the loop judged 37 candidates and won one task (two runs), without it 31 and none, the
    planner's share of tokens 14-19% against 31%. Off: every round is the planner's."""
    free_plan_evidence: bool = False
    """Show the free plan's coder what the harness measured about its parent (the reference's profile, or a
    population member's): a plan names the bottleneck it read in that evidence, the free plan names none. Off
    by default: it adds ~190 tokens to each such prompt, and on eight held-out TSVC loops the 1.5B's free-plan
    candidates were correct in 3 of 21 with it and 4 of 22 without (bench/RESULTS.md, eleventh session)."""
    plan_yield: bool = True
    """With ``free_plan``: the planner plans a round only while its plans' gains (correct and significantly
    faster than the reference) per token, its own tokens included, beat the free plan's, counting this job and the models'
    earlier jobs (``yields_file``); otherwise the round codes the free plan from that many parents
    (``search/yields.py``). Asked again each round."""
    analyst: bool = True
    """Optimize rounds open with the analyst's plan, when a profile names a cost with a general remedy (an
    in-order float reduction: independent partial sums), written for the code that profile measured, each
    once per job; no model call (``agents/analyst.py``)."""
    analyst_temperature: float | None = Field(0.0, ge=0, le=2)
    """The coder's temperature for the analyst's plans, which prescribe a code shape to follow, not explore
    (None: the coder's own). One trial: at 0 the 1.5B wrote the shape out for tsvc-s311 (7.25x); at the bench's
    0.8 it did not, in three runs (bench/RESULTS.md, twelfth session)."""
    analyst_writes: bool = True
    """Where the analyst wrote the whole code out (``Plan.code``), it is evaluated as it is, with no coder call:
    the harness judges it like any candidate. Off, the coder is given it in the plan (the 1.5B copied it at
    temperature 0, and once mangled a correct rewrite by inventing a helper: bench/RESULTS.md, sixteenth
    session)."""
    planning: Literal["batch", "mapcoder"] = "batch"
    """``batch``: one request proposes and rates k plans. ``mapcoder``: one plan per retrieved exemplar, each
    rated by a verification request of its own (2k requests per round: worth it with a capable model and a
    large budget; at a few thousand tokens per task it leaves little for code)."""


class SearchConfig(_Section):
    islands: int = Field(4, ge=1, le=16)
    """Islands of the population, keyed by the technique a plan names (memory, vectorise, ILP, algorithm...)."""
    island_size: int = Field(2, ge=1, le=16)
    """Correct candidates kept per island (the best by speedup; MAP-Elites keeps one)."""
    lineage_budget: int = Field(3, ge=1, le=100)
    """Children a parent may have before it is retired (a lineage that stops paying gets no more calls)."""
    novelty_weight: float = Field(0.3, ge=0)
    """Weight of novelty (distance of a parent's code from the rest of the population) in parent choice."""
    patience: int | None = Field(3, ge=1)
    """Stop after this many planning rounds without a new best (None: never)."""
    roofline_stop: float | None = Field(0.9, gt=0, le=1)
    """Stop once the best reaches this fraction of the task's memory roofline (None: never)."""
    head_to_head: bool = True
    """Decide a new best by timing it against the current best in one process (else by disjoint intervals)."""


class ClusterConfig(_Section):
    address: str | None = None
    """Scheduler of a running Dask cluster (``tcp://HOST:PORT``): candidates are evaluated on its workers."""
    workers: int | None = Field(None, ge=1, le=256)
    """Start a local cluster of this many workers for the job, each pinned to cores of its own."""
    max_aa_noise: float = Field(0.05, gt=0)
    """A worker whose A/A self-test (the reference against itself) strays by more than this fraction is
    drained: it judges no candidate of the job."""
    connect_timeout: float = Field(30.0, gt=0)
    """Seconds to wait for the scheduler and its workers to answer."""
    worker_wait: float = Field(120.0, gt=0)
    """Seconds a job waits while none of its workers is alive before it stops (resumable)."""

    @property
    def enabled(self) -> bool:
        return self.address is not None or self.workers is not None


class BudgetConfig(_Section):
    max_iters: int = Field(6, ge=1)
    """Plans tried (each: one coder call plus up to debug_rounds repairs)."""
    max_tokens: int | None = Field(None, ge=1)
    """Prompt + completion tokens for the whole run."""
    max_wall_seconds: float | None = Field(None, gt=0)
    """Wall-clock time for the whole run."""
    max_cost: float | None = Field(None, gt=0)
    """US dollars for the whole run, where the provider's prices are known (unknown prices count as 0)."""
    count_cached: bool = False
    """Count replies from the response cache against ``max_tokens`` (off: a cached reply costs nothing, and a
    job's budget is what it spends). ``mapforge bench`` turns it on: its per-task cap is on the model's work,
    so an arm whose replies were cached gets no more than one whose replies were not."""


class Config(_Section):
    model: ModelConfig = Field(default_factory=ModelConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    timing: TimingConfig = Field(default_factory=TimingConfig)
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    memory_file: str | None = None
    """JSONL library of past successful candidates for the retriever (default: ~/.cache/mapforge/memory.jsonl)."""
    yields_file: str | None = None
    """JSON ledger of each model's repair yields, job by job, which decides whether the debugger gets its turn
    (``search/yields.py``; default: ~/.cache/mapforge/yields.json). It holds counts, nothing about any task."""


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("MAPFORGE_") or key == "MAPFORGE_CONFIG" or key.startswith("MAPFORGE_REQUIRE_"):
            continue
        path = key.removeprefix("MAPFORGE_").lower().split("__")
        if path[0] not in Config.model_fields:
            continue  # another component's variable (MAPFORGE_MODELS_DIR, MAPFORGE_CACHE_DIR, ...)
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = layer
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return layer


def _explain(source: str, err: ValidationError) -> str:
    lines = [f"invalid configuration from {source}:"]
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        msg = "is not a known setting" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def load_config(
    config_file: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Resolve the configuration through the precedence chain; :class:`UserError` names the bad source."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    file = config_file or env.get("MAPFORGE_CONFIG")
    if file:
        p = Path(file)
        if not p.is_file():
            raise UserError(f"config file {p} not found")
        try:
            data = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{p}: not valid TOML: {e}") from None
        try:
            Config.model_validate(data)
        except ValidationError as e:
            raise UserError(_explain(str(p), e)) from None
    env_layer = _env_layer(env)
    if env_layer:
        data = _deep_merge(data, env_layer)
        try:
            Config.model_validate(data)
        except ValidationError as e:
            raise UserError(_explain("MAPFORGE_* environment variables", e)) from None
    if flags:
        data = _deep_merge(data, flags)
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise UserError(_explain("command-line flags", e)) from None
