"""Input files for args that a task's Python generator fills (``init = "generator"``).

Built-in initialisers need nothing here: the harness regenerates them in C on every call. Generated inputs
are produced on the harness side (``tasks/generator.py``) and written into the sandbox before each run, as
``gen-<arg>.bin`` holding the case's input sets; the runner and the checker both load them before any
candidate code runs. A correctness case holds one set; a timing process holds ``generator_pool`` sets (its
own seed), and its calls rotate through them.

Caveat: with a pool of R sets a timed call's inputs repeat every R calls, so a candidate that memoised its
outputs by an input fingerprint could gain; give a task at least one built-in random input (fresh on every
call, as spmv's vector is), or raise ``generator_pool``.
"""

from __future__ import annotations

from typing import Protocol

from mapforge.evaluators.driver import input_file
from mapforge.tasks.spec import OptimizeSpec, Shape, Task


class _Writable(Protocol):
    def write_file(self, path: str, data: bytes | str) -> None: ...


class GeneratedInputs:
    """Stages a task's generated inputs into a sandbox; a no-op for tasks without a generator."""

    def __init__(self, task: Task):
        spec = task.spec
        assert isinstance(spec, OptimizeSpec)
        self.spec = spec
        self._gen = None
        if spec.generator is not None:
            from mapforge.tasks.generator import Generator

            self._gen = Generator(task)

    def stage(self, sb: _Writable, shape: Shape, seed: int, sets: int = 1) -> None:
        """Write the input files of (``shape``, ``seed``) into ``sb``: ``sets`` input sets per generated arg."""
        if self._gen is None:
            return
        files = self._gen.files(shape, seed, sets)
        for a in self.spec.args:
            if a.name in files:
                sb.write_file(input_file(a), files[a.name])
