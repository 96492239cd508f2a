"""Search loops tested a block at a time: which loops are understood, checked by hand; for random search loops,
compiled beside the original and run on data whose first passing element falls anywhere (or nowhere), the same
results; and gcc vectorises the blocks' test, where it left the loop scalar."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mapforge.agents.early_exit import BLOCK, blocked_search
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(const float *a, const int *b, float t, int n, int *out)"


def _code(loop: str, before: str = "int j = -1;") -> str:
    return f"{SIGNATURE}\n{{\n    {before}\n    {loop}\n    out[0] = j;\n}}\n"


def test_a_search_loop_is_tested_a_block_at_a_time_then_searched_by_its_own_loop() -> None:
    src = _code("for (int i = 0; i < n; i++) {\n        if (a[i] > t) {\n            j = i;\n            break;\n"
                "        }\n    }")
    got = blocked_search(src, 4)
    assert got is not None and got.lines == (4, 9) and got.condition == "a[i] > t"
    assert got.code == (
        "{\n    int i = 0;\n    for (; i + 32 <= n; i += 32) {\n        int any = 0;\n"
        "        for (int k = 0; k < 32; k++)\n            any |= (a[(i + k)] > t) != 0;\n"
        "        if (any)\n            break;\n    }\n"
        "    for (; i < n; i++)\n        if (a[i] > t) { j = i; break; }\n}")
    assert got.after.lstrip().startswith("out[0] = j;")


def test_the_forms_understood_and_those_not() -> None:
    outside = blocked_search(_code("for (i = 2; i <= n - 1; i += 3) if (b[i] == 7 || a[i] < -t) break;", "int i, j;"), 4)
    assert outside is not None and outside.code.startswith("{\n    i = 2;\n    for (; i + 93 < (n - 1) + 1; i += 96)")
    assert "any |= (b[(i + 3 * k)] == 7 || a[(i + 3 * k)] < -t) != 0;" in outside.code
    assert "    for (; i <= n - 1; i += 3)\n        if (b[i] == 7 || a[i] < -t) break;\n}" in outside.code
    for loop in ("for (int i = 0; i < n; i++) { j += 1; if (a[i] > t) break; }",  # work before the test
                 "for (int i = 0; i < n; i++) if (a[i] > t) { j = i; } else break;",  # an else
                 "for (int i = 0; i < n; i++) if (a[i] > t) { if (b[i]) continue; break; }",  # may not leave
                 "for (int i = 0; i < n; i++) if (a[i] > t) { for (;;) break; j = i; }",  # not its break last
                 "for (int i = 0; i < n; i++) if (b[i] / b[0] > 1) break;",  # a division
                 "for (int i = 0; i < n; i++) if (a[i] > (t = 1)) break;",  # a side effect
                 "for (int i = 0; i < n; i++) if (g(a[i])) break;",  # a call
                 "for (int i = 0; i < n; i++) if (t > 1) break;",  # a test that does not move
                 "for (int i = n; i > 0; i--) if (a[i] > t) break;"):  # counts down
        assert blocked_search(_code(loop), 4) is None, loop


def _random_search(rng: random.Random) -> tuple[str, str]:
    """(declarations, loop and stores): a float or int test, maybe two joined, the variable declared in the header or
    before, steps of 1 to 3, a bare break or statements before it."""
    def test() -> str:
        return rng.choice(["a[i] > t", "a[i] * a[i] >= t", "b[i] == 3", "b[i] > b[i + 1]", "fabsf(a[i]) < t - 5",
                           "a[i] != a[i]"])
    cond = test() if rng.random() < 0.6 else f"{test()} {rng.choice(['&&', '||'])} {test()}"
    outside = rng.random() < 0.5
    step = rng.choice(["i++", "++i", "i += 2", "i += 3"])
    header = f"for ({'' if outside else 'int '}i = {rng.choice(['0', '1', 'n / 3'])}; i {rng.choice(['<', '<='])} n - 1; {step})"
    branch = rng.choice(["break;", "{ j = i; break; }", "{ x = a[i] + 1; j = i * 2; break; }",
                         "{\n            j = b[i];\n            break;\n        }"])
    body = f"if ({cond}) {branch}"
    loop = f"{header} {{\n        {body}\n    }}" if rng.random() < 0.5 else f"{header}\n        {body}"
    return (f"int j = -1{', i = -9' if outside else ''};\n    float x = 0;",
            loop + f"\n    out[0] = j{' + i * 1000' if outside else ''};\n    out[1] = (int)x;")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_search_loops_tested_by_blocks_find_what_the_loop_finds(tmp_path: Path) -> None:
    """300 random search loops, each compiled beside its rewrite and run with the first passing element put at
    every position of a 150-element array (and nowhere), for every n up to 150: the same results."""
    rng = random.Random(5)
    functions = []
    for k in range(300):
        decls, loop = _random_search(rng)
        src = f"{SIGNATURE}\n{{\n    {decls}\n    {loop}\n}}\n"
        got = blocked_search(src, 5)
        assert got is not None, src
        lines = src.splitlines()
        new = "\n".join(lines[:4] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:])
        functions.append("static " + src.replace("void f", f"void orig{k}") + "static "
                         + new.replace("void f", f"void new{k}") + "\n")
    same = """#include <math.h>
#define N 150
typedef void (*fn)(const float *, const int *, float, int, int *);
static int same(fn f, fn g) {
    float a[N + 1]; int b[N + 1];
    for (int hit = -1; hit < N; hit++) {
        for (int i = 0; i <= N; i++) { a[i] = (float)(i % 5) - 2; b[i] = i % 3; }
        if (hit >= 0) { a[hit] = 100; b[hit] = 3; b[hit + 1] = 4; if (hit % 7 == 0) a[hit] = NAN; }
        for (int n = 0; n <= N; n += 1 + n / 40) {
            int x[2] = {5, 5}, y[2] = {5, 5};
            f(a, b, 50.0f, n, x);
            g(a, b, 50.0f, n, y);
            if (x[0] != y[0] || x[1] != y[1]) return 0;
        }
    }
    return 1;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, list(range(300)), "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_gcc_vectorises_the_blocks_test_where_it_left_the_loop_scalar(tmp_path: Path) -> None:
    src = "#include <math.h>\n" + _code("for (int i = 0; i < n; i++)\n        if (fabsf(a[i]) > t && b[i] != 0) { j = i; break; }")
    got = blocked_search(src, 5)
    assert got is not None
    lines = src.splitlines()
    new = "\n".join(lines[:4] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"

    def report(code: str) -> str:
        (tmp_path / "k.c").write_text(code)
        return subprocess.run(["gcc", "-O3", "-march=x86-64-v3", "-c", "-o", str(tmp_path / "k.o"), "-fopt-info-vec",
                               "-fopt-info-vec-missed", str(tmp_path / "k.c")], capture_output=True, text=True,
                              check=True).stderr
    # gcc names the loop by its exit's line (6), not the for's
    assert "k.c:6:20: missed: not vectorized: control flow in loop." in report(src)
    inner = next(n for n, t in enumerate(new.splitlines(), 1) if f"k < {BLOCK}" in t)
    assert re.search(rf"k\.c:{inner}:\d+: optimized: loop vectorized", report(new))
