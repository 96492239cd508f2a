"""``Task.visible_view()``: the copy of a solve task that a cluster worker judges an agent's own candidates on
(the visible examples only), judged exactly as ``SolveEvaluator(visible_only=True)`` judges the task."""

from __future__ import annotations

import pytest

from mapforge.cluster.evaluator import ClusterEvaluator
from mapforge.cluster.session import ClusterSession
from mapforge.config import Config, SandboxConfig
from mapforge.evaluators.solve import SolveEvaluator
from mapforge.evaluators.verdict import Verdict
from mapforge.sandbox import open_sandbox
from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import Task
from tests.helpers import TASKS

# right on the visible examples, wrong on every other input
EXAMPLES_ONLY = {
    "merge-intervals": ("def merge_intervals(xs):\n"
                        "    return {str([[1, 3], [2, 6], [8, 10], [15, 18]]): [[1, 6], [8, 10], [15, 18]],\n"
                        "            str([[4, 5], [1, 4]]): [[1, 5]]}.get(str(xs), [])\n"),
    "word-frequency": ("import sys\n"
                       "seen = {'2\\nThe cat and the hat. THE END, and that\\'s it!\\n': 'the 3\\nand 2',\n"
                       "        '5\\nb a c b a\\n': 'a 2\\nb 2\\nc 1',\n"
                       "        '3\\nx1y2z x-ray\\nXX yy\\n': 'x 2\\nray 1\\nxx 1'}\n"
                       "print(seen.get(sys.stdin.read(), 'nothing'))\n"),
}


def judge(task: Task, source: str, visible_only: bool = False) -> Verdict:
    return SolveEvaluator(task, lambda: open_sandbox("local"), SandboxConfig(), visible_only=visible_only).evaluate(source)


@pytest.mark.parametrize("name", sorted(EXAMPLES_ONLY))  # a function task and a stdin program
def test_the_view_passes_what_passes_the_examples_only(name: str) -> None:
    task = load_task(TASKS / name)
    view = task.visible_view()
    assert view.visible_only and not view.hidden and view.hidden_code is None
    assert task.hidden or task.hidden_code  # the task itself still has them
    source = EXAMPLES_ONLY[name]
    full = judge(task, source)
    assert full.status == "wrong_answer" and not full.correct
    seen = judge(view, source)  # a plain evaluator of the view: what a worker builds from it
    assert seen.status == "correct" and seen.tests_passed == seen.tests_total
    old = judge(task, source, visible_only=True)
    assert (old.status, old.tests_passed, old.tests_total) == (seen.status, seen.tests_passed, seen.tests_total)


def test_the_view_travels_to_the_workers_itself() -> None:
    """A worker loads a folder task from its folder (with the hidden tests): the view must go as it is."""
    task = load_task(TASKS / "merge-intervals")
    session = ClusterSession(executor=None, config=Config(), run_id="t", backend="local",  # type: ignore[arg-type]
                             identities={})
    assert ClusterEvaluator(task, Config(), session).job.task is None  # loaded again (and hashed) there
    assert ClusterEvaluator(task.visible_view(), Config(), session).job.task == task.visible_view()
    suite_task = task.model_copy(update={"root": TASKS / "merge-intervals" / "check.py"})  # humaneval's: a data file
    assert ClusterEvaluator(suite_task, Config(), session).job.task == suite_task
    with pytest.raises(TypeError):
        load_task(TASKS / "matmul").visible_view()
