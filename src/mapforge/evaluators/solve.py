"""The evaluator for solve tasks: build -> tests (visible, then hidden), scored by pass rate.

Hidden tests stay on the harness side: each input is piped to the program's stdin, and its stdout is
compared here. The sandbox's working directory never holds a test file, and feedback names hidden
failures only by count. Function tasks (``format = "function"``) run their tests through
:mod:`mapforge.evaluators.function` instead.
"""

from __future__ import annotations

from mapforge.config import SandboxConfig
from mapforge.evaluators.base import Baseline
from mapforge.evaluators.cascade import run_cascade
from mapforge.evaluators.common import NewSandbox, exec_failure, tail
from mapforge.evaluators.function import function_tests
from mapforge.evaluators.verdict import StageResult, Status, Verdict
from mapforge.sandbox import Limits, Sandbox
from mapforge.tasks.spec import SolveSpec, Task, TestCase


def _shorten(text: str, n: int = 400) -> str:
    return text if len(text) <= n else text[:n] + f"... [{len(text) - n} more characters]"


def outputs_match(got: str, want: str) -> bool:
    return got.split() == want.split()


class SolveEvaluator:
    def __init__(self, task: Task, new_sandbox: NewSandbox, sandbox: SandboxConfig, visible_only: bool = False) -> None:
        if not isinstance(task.spec, SolveSpec):
            raise TypeError("SolveEvaluator needs a solve task")
        self.task = task.visible_view() if visible_only else task
        self.spec: SolveSpec = task.spec
        self.new_sandbox = new_sandbox
        self.sandbox_cfg = sandbox
        self.visible_only = self.task.visible_only
        """Run the visible examples only (what an agent may check its own candidates against): the task's
        :meth:`~mapforge.tasks.spec.Task.visible_view`, which has no hidden tests to run."""

    def prepare(self) -> Baseline:
        return Baseline()

    @property
    def program(self) -> str:
        return f"main{self.spec.source_suffix}"

    def run_cmd(self) -> list[str]:
        return ["python3", "-I", self.program] if self.spec.language == "python" else ["./prog"]

    def evaluate(self, source: str) -> Verdict:
        with self.new_sandbox() as sb:
            return run_cascade([self._build, self._tests], lambda st: st(sb, source))

    def _build(self, sb: Sandbox, source: str) -> StageResult:
        if not source.strip():
            return StageResult(stage="build", ok=False, status="compile_error", reason="empty program")
        sb.write_file(self.program, source)
        lang = self.spec.language
        if lang == "python":
            cmd = ["python3", "-I", "-c", f"import ast,sys; ast.parse(open({self.program!r}).read())"]
        else:
            cc, std = ("g++", "-std=gnu++17") if lang == "cpp" else ("gcc", "-std=gnu11")
            cmd = [cc, std, *self.spec.cflags, self.program, "-o", "prog", "-lm"]
        r = sb.exec(cmd, limits=Limits(timeout=self.sandbox_cfg.build_timeout, memory_mb=max(self.sandbox_cfg.memory_mb, 1024)))
        log = r.stdout + r.stderr
        if not r.ok:
            return StageResult(stage="build", ok=False, status="compile_error",
                               reason=f"compilation failed ({r.describe()})", feedback=tail(log),
                               artifacts={"build.log": log})
        return StageResult(stage="build", ok=True, artifacts={"build.log": log} if log.strip() else {})

    def _tests(self, sb: Sandbox, source: str) -> StageResult:
        if self.spec.format == "function":
            return function_tests(sb, self.task, self.program, visible_only=self.visible_only)
        limits = Limits(timeout=self.spec.limits.timeout_seconds, memory_mb=self.spec.limits.memory_mb)
        tests: list[tuple[bool, TestCase]] = ([(True, t) for t in self.spec.examples]
                                              + [(False, t) for t in self.task.hidden])
        passed = 0
        first_status: Status | None = None
        first_reason = ""
        feedback: list[str] = []
        hidden_failed = 0
        for i, (visible, test) in enumerate(tests):
            r = sb.exec(self.run_cmd(), limits=limits, stdin=test.input.encode())
            if r.ok and outputs_match(r.stdout, test.output):
                passed += 1
                continue
            status: Status = "wrong_answer" if r.ok else exec_failure(r)
            what = "wrong output" if r.ok else r.describe()
            if first_status is None:
                first_status = status
                first_reason = f"{what} on {'example ' + str(i + 1) if visible else 'a hidden test'}"
            if visible:
                detail = f"Example {i + 1}: {what}\ninput:\n{_shorten(test.input)}\nexpected:\n{_shorten(test.output)}\ngot:\n{_shorten(r.stdout)}"
                if r.stderr.strip():
                    detail += f"\nstderr:\n{_shorten(r.stderr)}"
                feedback.append(detail)
            else:
                hidden_failed += 1
        if hidden_failed:
            feedback.append(f"{hidden_failed} hidden test(s) failed (their contents are not shown).")
        total = len(tests)
        if passed == total:
            return StageResult(stage="tests", ok=True, reason=f"all {total} tests passed",
                               tests_passed=passed, tests_total=total)
        return StageResult(stage="tests", ok=False, status=first_status, reason=f"{first_reason}; {passed}/{total} passed",
                           feedback="\n\n".join(feedback), tests_passed=passed, tests_total=total)
