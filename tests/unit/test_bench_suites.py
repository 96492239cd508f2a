"""Bench suites and the lenient parsers of the MapCoder agents."""

from __future__ import annotations

import pytest

from mapforge.agents.parsing import ParseError, parse_confidence
from mapforge.bench import suites
from mapforge.bench.mapcoder import parse_plan, parse_recalled
from mapforge.bench.table import render, summarize


def test_humaneval_comes_from_the_package_with_docstring_examples() -> None:
    s = suites.humaneval()
    assert len(s.tasks) == 164 and s.source.endswith("HumanEval.jsonl.gz")
    first = s.tasks[0]
    assert first.name == "HumanEval-0" and first.spec.entry_point == "has_close_elements"
    assert [(e.input, e.output) for e in first.spec.examples] == [
        ("has_close_elements([1.0, 2.0, 3.0], 0.5)", "False"),
        ("has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)", "True")]
    assert first.hidden_code and "def check(candidate)" in first.hidden_code
    assert sum(bool(t.spec.examples) for t in s.tasks) >= 90
    # prose that only looks like a call is not an example (HumanEval/80: "is_happy(a) => False")
    assert not s.tasks[80].spec.examples


def test_mbpp_test_split_first_assert_visible() -> None:
    s = suites.mbpp()
    assert len(s.tasks) == 257 and s.tasks[0].name == "mbpp-11"
    t = s.tasks[0]
    assert t.spec.entry_point == "remove_Occ"
    assert [(e.input, e.output) for e in t.spec.examples] == [("remove_Occ('hello', 'l')", "'heo'")]
    assert t.hidden_code and t.hidden_code.count("assert") == 3
    named_sum = next(x for x in s.tasks if x.name == "mbpp-126")
    assert named_sum.spec.entry_point == "sum"  # a function that shadows a builtin


def test_assert_examples() -> None:
    assert suites.assert_example("assert f(1)==2").input == "f(1)"  # type: ignore[union-attr]
    ex = suites.assert_example("assert math.isclose(f(2), 3.5, rel_tol=0.01)")
    assert ex is not None and ex.input == "bool(math.isclose(f(2), 3.5, rel_tol=0.01))" and ex.output == "True"
    assert suites.assert_example("x = 1") is None


def test_sample_is_seeded_and_in_suite_order() -> None:
    tasks = suites.humaneval().tasks
    a, b = suites.sample(tasks, 40, 0), suites.sample(tasks, 40, 0)
    assert [t.name for t in a] == [t.name for t in b] and len(a) == 40
    assert [t.name for t in a] != [t.name for t in suites.sample(tasks, 40, 1)]
    order = [t.name for t in tasks]
    assert [order.index(t.name) for t in a] == sorted(order.index(t.name) for t in a)


def test_lenient_parsers() -> None:
    assert parse_confidence("Looks right.\nConfidence: 85").value == 0.85
    assert parse_confidence("**Confidence**: 0.7").value == 0.7
    assert parse_confidence("I am fairly sure.\n90%").value == 0.9
    assert not parse_confidence("Confidence: 85").repaired
    # no number, a verdict in words: read from the last sentence, marked as a repair
    said = parse_confidence("1. Loop over the list.\n2. Return.\n\nThe plan is correct and handles edge cases.")
    assert said.value == 0.75 and said.repaired
    assert parse_confidence("Step 1 ... This plan will not handle negative numbers.").value == 0.25
    assert parse_confidence("The plan is not likely to help.").value == 0.25  # a negation wins over 'likely'
    assert parse_confidence("It isn't correct for empty lists.").value == 0.25
    # the labelled line, not a number in the reasons after it, nor the scale in the label
    assert parse_confidence("Confidence: 80\nMy confidence would drop to 30% on huge inputs.").value == 0.8
    assert parse_confidence("Confidence (0-100): 85").value == 0.85
    with pytest.raises(ParseError):
        parse_confidence("Here is the plan: 1) sort; 2) scan.")
    with pytest.raises(ParseError):
        parse_confidence("Confidence: 250")
    # a small model's copy of the prompt's placeholder, with its verdict in words after it (0.5B, MBPP): the
    # words decide; the placeholder alone is refused with a repair request that says what was wrong
    copied = ("Confidence: N\n\nThis plan does not solve the problem correctly on every input. The function "
              "should be modified to handle these cases appropriately.")
    assert parse_confidence(copied).value == 0.25 and parse_confidence(copied).repaired
    with pytest.raises(ParseError, match="letter N"):
        parse_confidence("Confidence: N")
    two = parse_recalled("Sure!\n### Problem 1\nTwo sum, answered with a hash map of the values seen so far.\n"
                         "## Problem 2\nSliding window maximum with a deque of indices.", 3)
    assert len(two) == 2 and two[0].startswith("Two sum")
    assert len(parse_recalled("**Problem:** count inversions with merge sort, O(n log n).", 2)) == 1
    with pytest.raises(ParseError):
        parse_recalled("ok", 2)
    assert parse_plan("1. sort\n2. sweep\n```python\nx = 1\n```\n3. return the merged list") .startswith("1. sort")
    with pytest.raises(ParseError):
        parse_plan("ok")


def test_table_counts_format_failures_per_role() -> None:
    row = {"task": "t", "arm": "direct", "solved": True, "status": "correct", "stop": "done",
           "tokens": {"total": 300}, "wall_seconds": 2.0,
           "per_role": {"direct": {"requests": 2, "format_failures": 0, "format_repairs": 1}}}
    info = {"arms": ["direct"], "suite": "x", "model": "m", "sample": None, "seed": 0, "budget_tokens": 5000,
            "settings": {}}
    s = summarize([row], info, 1)
    assert s["arms"]["direct"]["format"]["direct"] == {"asks": 1, "failures": 0, "repairs": 1, "rate": 0.0}
    text = render(s)
    assert "| direct | 1 | 1 | 100.0% | [20.7, 100.0] | 300 | 300 | 2.0 | 2.0 | 0 | 0 |" in text
    assert text.splitlines()[-1].startswith("summary:")
    # a local repair sends no request: it is counted as repaired without reducing the replies asked for
    row["per_role"]["direct"] = {"requests": 1, "format_failures": 0, "format_repairs": 0, "local_repairs": 1}
    assert summarize([row], info, 1)["arms"]["direct"]["format"]["direct"]["asks"] == 1


def test_the_table_says_whether_the_best_arm_is_significantly_ahead() -> None:
    """pass@1 comes with its Wilson interval, every two arms with the tasks only one solved and the exact sign
    test on those; "best" says whether it is significant. 9 of 20 against 8 of 20, one task apart, is not; 9
    tasks only one arm solved against 1 is (p = 0.021)."""
    def rows(arm: str, solved: list[bool]) -> list[dict[str, object]]:
        return [{"task": f"t{i}", "arm": arm, "solved": ok, "status": "correct" if ok else "wrong_answer",
                 "stop": "done", "tokens": {"total": 100}, "wall_seconds": 1.0, "per_role": {}}
                for i, ok in enumerate(solved)]
    info = {"arms": ["direct", "mapcoder"], "suite": "x", "model": "m", "sample": None, "seed": 0,
            "budget_tokens": 5000, "settings": {}}
    close = summarize(rows("direct", [True] * 8 + [False] * 12) + rows("mapcoder", [True] * 9 + [False] * 11), info, 20)
    assert close["arms"]["mapcoder"]["pass_ci"] == pytest.approx([0.2582, 0.6579], abs=1e-4)
    assert close["paired"] == [{"arms": ["direct", "mapcoder"], "only_first": 0, "only_second": 1, "p": 1.0}]
    text = render(close)
    assert "| direct vs mapcoder | 0 | 1 | 1.000 |" in text
    assert text.splitlines()[-1].endswith("best: mapcoder, not significantly (against direct: +1/-0 tasks, p = 1.00)")
    far = summarize(rows("direct", [True] + [False] * 19) + rows("mapcoder", [False] + [True] * 9 + [False] * 10),
                    info, 20)
    assert far["paired"][0]["p"] == pytest.approx(22 / 1024)
    assert render(far).splitlines()[-1].endswith("best: mapcoder, significantly (against direct: +9/-1 tasks, p = 0.02)")


def test_a_coding_request_fits_the_room_reserved_for_it(tmp_path: object) -> None:
    """The mapcoder arm keeps `tokens_needed(task)` for coding while it plans; a long plan is cut to the
    allowance, so the request with a full reply fits what was kept (with 400 tokens allowed and nothing cut,
    plans of ~600 tokens left coding requests no room for their reply)."""
    from mapforge.agents.llm import LLM
    from mapforge.bench.mapcoder import PlanCoder
    from mapforge.config import load_config

    task = suites.humaneval().tasks[0]
    config = load_config(None, {"model": {"max_reply_tokens": 768}})
    llm = LLM(config, None, lambda name: None)  # type: ignore[arg-type]  # no request is sent
    coder = PlanCoder(llm, 1)
    plan = "1. Step. " * 400  # ~3600 characters, past the plan parser's own cap
    msgs = coder._messages(task, plan)
    assert llm.prompt_estimate(msgs) + 768 <= coder.tokens_needed(task)
    assert "[plan cut]" in msgs[-1]["content"]
    short = coder._messages(task, "1. Sort.\n2. Compare neighbours.")[-1]["content"]
    assert "1. Sort.\n2. Compare neighbours." in short and "has_close_elements" in short


def test_the_memory_recalls_only_alike_problems_as_problem_and_plan() -> None:
    """Words every problem of the suite has (HumanEval's "Complete the function ... docstring") weigh nothing:
    an unrelated solved task is not recalled (the 0.5B, shown has_close_elements for truncate_number, planned
    to sort a list of one number), a variant is, and what is shown is its problem and plan, never its code."""
    from mapforge.bench.mapcoder import Memory, Relevance, Solved, problem_text

    he = {t.name: t for t in suites.humaneval().tasks}
    rel = Relevance(problem_text(t) for t in he.values())
    fib4, fibfib, close, trunc = (he[f"HumanEval-{i}"] for i in (46, 63, 0, 2))
    assert rel.similarity(problem_text(fib4), problem_text(fibfib)) > 0.5
    assert rel.similarity(problem_text(close), problem_text(trunc)) < 0.2
    assert rel.similarity(problem_text(close), problem_text(close)) == pytest.approx(1.0)
    memory = Memory((Solved(close.name, problem_text(close), "1. Sort.\n2. Compare neighbours."),
                     Solved(fibfib.name, problem_text(fibfib), "1. Iterate, keeping the last three values.")), rel)
    assert memory.recall(trunc, 1, 0.5) == []
    got = memory.recall(fib4, 2, 0.5)
    assert [e.source for e in got] == [f"memory:{fibfib.name}"]
    assert "keeping the last three values" in got[0].text and "fibfib" in got[0].text
    assert memory.recall(fibfib, 1, 0.5) == []  # a task never recalls itself
    assert Memory((), None).recall(fib4, 1, 0.0) == []


def test_recalled_problems_reach_the_planner_without_their_code() -> None:
    from mapforge.bench.mapcoder import parse_recalled, without_code

    reply = ("### Problem\nFind the second largest number in a list of integers.\n### Solution\nSort the unique "
             "values and take the one before last.\n```python\ndef second(xs):\n    return sorted(set(xs))[-2]\n```\n")
    text = without_code(parse_recalled(reply, 2)[0])
    assert "Sort the unique values" in text and "def second" not in text and "```" not in text
