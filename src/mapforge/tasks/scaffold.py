"""``mapforge task new``: a task folder that validates as written, to edit from."""

from __future__ import annotations

from pathlib import Path

from mapforge.errors import UserError

_OPTIMIZE_TOML = '''schema_version = 1
kind = "optimize"
name = "{name}"
language = "c"
description = """
Scale a float array: y[i] = a * x[i] for i < n. Single-threaded.
"""
reference = "reference.c"
function = "scale"
cflags = ["-O2"]
tags = ["memory-bound"]

[[args]]
name = "x"
type = "const float*"
size = "n"
init = "uniform(-1, 1)"

[[args]]
name = "y"
type = "float*"
size = "n"

[[args]]
name = "a"
type = "float"
value = "3"

[[args]]
name = "n"
type = "int"
value = "n"

[shapes]
visible = [{{ n = 1000 }}]
hidden = [{{ n = 1 }}, {{ n = 4097 }}]
timing = {{ n = 4000000 }}
seeds = 2

[tolerance]
rtol = 1e-6
atol = 1e-7
'''

_OPTIMIZE_REF = """void scale(const float *x, float *y, float a, int n) {
    for (int i = 0; i < n; i++)
        y[i] = a * x[i];
}
"""

_SOLVE_TOML = '''schema_version = 1
kind = "solve"
name = "{name}"
language = "c"
description = """
Read two integers a and b (|a|, |b| <= 10^18) and print a + b.
"""
hidden_tests = "hidden_tests.toml"

[[examples]]
input = "1 2\\n"
output = "3\\n"
'''

_SOLVE_HIDDEN = '''# Hidden tests: never shown to the model or copied into the sandbox.
[[tests]]
input = "-5 5\\n"
output = "0\\n"

[[tests]]
input = "1000000000000000000 -1\\n"
output = "999999999999999999\\n"
'''


def scaffold(folder: Path, name: str, kind: str) -> Path:
    if folder.exists():
        raise UserError(f"{folder} already exists; choose another name or --dir")
    folder.mkdir(parents=True)
    if kind == "optimize":
        (folder / "task.toml").write_text(_OPTIMIZE_TOML.format(name=name))
        (folder / "reference.c").write_text(_OPTIMIZE_REF)
    else:
        (folder / "task.toml").write_text(_SOLVE_TOML.format(name=name))
        (folder / "hidden_tests.toml").write_text(_SOLVE_HIDDEN)
    return folder
