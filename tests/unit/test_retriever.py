"""Retriever: tokenizer, BM25 ranking, pattern library and the JSONL memory of earlier successes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapforge.agents.retriever import BM25, Retriever, load_memory, load_patterns, remember, tokenize
from mapforge.evaluators.verdict import Timing, Verdict
from mapforge.tasks.loader import load_task

REPO = Path(__file__).resolve().parents[2]
MATMUL = REPO / "tasks" / "matmul"
FAST_MATMUL = REPO / "tests" / "fixtures" / "fast" / "matmul.c"


# -- tokenize -------------------------------------------------------------------------------------------------
def test_tokenize_lowercases_and_splits_names() -> None:
    assert tokenize("Cache_Blocking loop-interchange MatMul") == ["cache", "blocking", "loop", "interchange", "matmul"]


def test_tokenize_drops_stopwords_punctuation_and_single_letters() -> None:
    toks = tokenize("for (int i = 0; i < n; i++) acc += A[i*n + k] * B2[k]; return the float;")
    assert toks == ["acc", "b2"]


def test_tokenize_keeps_digits_inside_words() -> None:
    assert tokenize("exp2f AVX512 tile") == ["exp2f", "avx512", "tile"]


# -- BM25 ------------------------------------------------------------------------------------------------------
DOCS = [
    "prefix sum scan running total single pass",
    "matrix multiply cache blocking tiles register blocking matmul kernel",
    "histogram counting buckets atomic",
    "string search substring match memchr",
]


def test_bm25_ranks_relevant_doc_first() -> None:
    bm = BM25([tokenize(d) for d in DOCS])
    scores = bm.scores(tokenize("fast matmul with cache blocking"))
    assert max(range(len(DOCS)), key=scores.__getitem__) == 1
    assert scores[0] == scores[2] == scores[3] == 0.0


def test_bm25_rare_terms_weigh_more() -> None:
    docs = [["common", "rare"], ["common", "x1"], ["common", "x2"], ["common", "x3"]]
    bm = BM25(docs)
    assert bm.idf["rare"] > bm.idf["common"] > 0
    s = bm.scores(["rare"])
    assert s[0] > 0 and s[1:] == [0.0, 0.0, 0.0]


def test_bm25_length_normalisation() -> None:
    short = ["blocking", "matmul"]
    long = ["blocking", "matmul"] + [f"filler{i}" for i in range(40)]
    s = BM25([short, long]).scores(["matmul"])
    assert s[0] > s[1] > 0


def test_bm25_empty_query_and_corpus() -> None:
    assert BM25([["a1"]]).scores([]) == [0.0]
    assert BM25([]).scores(["anything"]) == []


# -- library ----------------------------------------------------------------------------------------------------
def test_patterns_ship_with_titles_and_text() -> None:
    pats = load_patterns()
    assert len(pats) >= 5
    for p in pats:
        assert p.source.startswith("pattern:") and p.source.endswith(".md")
        assert p.title and not p.title.endswith(".md"), f"{p.source} has no front-matter title"
        assert p.text.strip() and not p.text.startswith("---")


def win(speedup: float, status: str = "correct", ci: tuple[float, float] | None = None) -> Verdict:
    lo, hi = ci or (speedup * 0.98, speedup * 1.02)
    t = Timing(speedup=speedup, speedup_ci=(lo, hi), seconds=1e-3, baseline_seconds=speedup * 1e-3, pairs=30)
    return Verdict(status=status, stage="timing", reason="", timing=t)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def matmul_task():  # type: ignore[no-untyped-def]
    return load_task(MATMUL)


def test_memory_record_of_same_task_ranks_in_top_k(tmp_path: Path, matmul_task) -> None:  # type: ignore[no-untyped-def]
    mem = tmp_path / "memory.jsonl"
    word = load_task(REPO / "tasks" / "word-frequency")
    remember(mem, word, "int main(void) { return 0; }\n", win(1.4), "hash table", "run-w", "local")
    remember(mem, matmul_task, FAST_MATMUL.read_text(), win(12.5), "4x8 register blocking", "run-m", "local")
    k = 3
    got = Retriever(k, mem).run(matmul_task)
    assert 1 <= len(got) <= k
    sources = [e.source for e in got]
    assert "memory:matmul/run-m" in sources, sources
    assert "memory:word-frequency/run-w" not in sources
    hit = got[sources.index("memory:matmul/run-m")]
    assert "12.50x" in hit.title and "4x8 register blocking" in hit.text and "rows4" in hit.text
    assert "compute-bound" in hit.tags
    assert [e.score for e in got] == sorted((e.score for e in got), reverse=True)


def test_patterns_alone_are_relevant(matmul_task) -> None:  # type: ignore[no-untyped-def]
    got = Retriever(3, Path("/nonexistent/memory.jsonl")).run(matmul_task)  # a missing file: no memories
    assert len(got) == 3 and all(e.source.startswith("pattern:") for e in got)
    assert all(e.score > 0 for e in got)


def test_prefix_sum_recalls_its_pattern() -> None:
    got = Retriever(1, None).run(load_task(REPO / "tasks" / "prefix-sum"))
    assert got[0].source == "pattern:single-pass-prefix-sum.md"


def test_k_zero_returns_nothing(tmp_path: Path, matmul_task) -> None:  # type: ignore[no-untyped-def]
    assert Retriever(0, None).run(matmul_task) == []


def test_torn_last_line_is_skipped(tmp_path: Path, matmul_task) -> None:  # type: ignore[no-untyped-def]
    mem = tmp_path / "memory.jsonl"
    remember(mem, matmul_task, "void matmul(void) {}\n", win(2.0), "p", "run-1", "local")
    good = mem.read_text()
    mem.write_text(good + good.replace("run-1", "run-2")[: len(good) // 2])  # crash mid-append
    recs = load_memory(mem)
    assert [r.source for r in recs] == ["memory:matmul/run-1"]
    assert any(e.source == "memory:matmul/run-1" for e in Retriever(5, mem).run(matmul_task))


def test_remember_appends_jsonl(tmp_path: Path, matmul_task) -> None:  # type: ignore[no-untyped-def]
    mem = tmp_path / "sub" / "memory.jsonl"
    remember(mem, matmul_task, "src1", win(1.5), "plan1", "r1", "local")
    remember(mem, matmul_task, "src2", win(2.5), "plan2", "r2", "local")
    lines = mem.read_text().splitlines()
    assert len(lines) == 2
    rec = json.loads(lines[1])
    assert rec["task"] == "matmul" and rec["source"] == "src2" and rec["speedup"] == 2.5 and rec["run"] == "r2"
    assert [e.source for e in load_memory(mem)] == ["memory:matmul/r1", "memory:matmul/r2"]


def test_another_tasks_win_ranks_below_the_matching_pattern(tmp_path: Path) -> None:
    """A remembered matmul kernel must not crowd out the transpose pattern for the transpose task."""
    from mapforge.tasks.loader import load_task

    root = Path(__file__).resolve().parents[2]
    matmul, transpose = load_task(root / "tasks" / "matmul"), load_task(root / "tasks" / "transpose")
    mem = tmp_path / "memory.jsonl"
    remember(mem, matmul, FAST_MATMUL.read_text(), win(8.9), "register blocking", "run-m", "local")
    got = Retriever(3, mem).run(transpose)
    assert got[0].source == "pattern:blocked-transpose.md"
    same = Retriever(3, mem).run(matmul)
    assert same[0].source == "memory:matmul/run-m"  # the same task's own win comes first


def test_only_sound_wins_are_remembered_once_with_provenance(tmp_path: Path, matmul_task) -> None:  # type: ignore[no-untyped-def]
    mem = tmp_path / "memory.jsonl"
    assert not remember(mem, matmul_task, "a", win(1.5, status="cheat_suspected"), "p", "r0", "local")
    assert not remember(mem, matmul_task, "b", win(1.05, ci=(0.95, 1.15)), "p", "r0", "local")  # not significant
    assert remember(mem, matmul_task, "void  matmul(void) {}", win(2.0), "p", "r1", "docker")
    # a resumed or replayed job offers the same source again (whitespace aside): nothing is added
    assert not remember(mem, matmul_task, "void matmul(void)\n{}", win(2.0), "p", "r1", "docker")
    lines = mem.read_text().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["verdict"] == "correct" and rec["sandbox"] == "docker" and rec["mapforge"]
    assert rec["machine"] and rec["speedup_ci"] == [1.96, 2.04]
