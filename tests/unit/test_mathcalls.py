"""Inline math functions: which loops are rewritten, that gcc vectorises them, and how close each inline function
is to glibc's, over a sample of every float's bit pattern (special values included)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mapforge.agents.mathcalls import DEFINITIONS, inline_calls

SOURCE = """#include <math.h>

/* e^x of every element */
void f(float *restrict y, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++) {
        y[i] = expf(x[i]) * 2.0f;
    }
}
"""
gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")


def _whole(source: str, line: int) -> str:
    got = inline_calls(source, line)
    assert got is not None
    lines = source.splitlines()
    indent = lines[line - 1][:len(lines[line - 1]) - len(lines[line - 1].lstrip())]
    spliced = "\n".join([*lines[:line - 1], *(indent + t for t in got.code.splitlines()), *lines[got.lines[1]:]])
    return got.whole(spliced + "\n")


def test_a_loops_calls_are_renamed_and_the_definition_goes_after_the_includes() -> None:
    got = inline_calls(SOURCE, 6)
    assert got is not None and got.functions == ("expf",) and got.lines == (6, 8) and got.after.startswith("\n}")
    assert got.code == "for (int i = 0; i < n; i++) {\n    y[i] = mf_expf(x[i]) * 2.0f;\n}"  # relative to the for
    whole = _whole(SOURCE, 6)
    assert whole.startswith("#include <math.h>\n\nstatic inline float mf_expf(float x)\n{")
    assert "}\n\n\n/* e^x of every element */\nvoid f(" in whole and "        y[i] = mf_expf(x[i]) * 2.0f;\n" in whole
    # an unbraced loop; a name already taken gets another
    got = inline_calls("float mf_expf;\nvoid g(float *y, int n) {\n    for (int i = 0; i < n; i++) y[i] = expf(y[i]);\n}\n", 3)
    assert got is not None and got.code == "for (int i = 0; i < n; i++) y[i] = mf_expf_(y[i]);"
    # no call of a function it has: no rewrite (a longer name, a member, another function)
    for body in ("y[i] = my_expf(x[i]);", "y[i] = s.expf(x[i]);", "y[i] = logf(x[i]);"):
        assert inline_calls(SOURCE.replace("y[i] = expf(x[i]) * 2.0f;", body), 6) is None, body
    assert inline_calls(SOURCE, 5) is None  # no loop there


@gcc
def test_the_rewritten_loop_vectorises_where_the_call_did_not(tmp_path: Path) -> None:
    for name, source in (("before", SOURCE), ("after", _whole(SOURCE, 6))):
        (tmp_path / f"{name}.c").write_text(source)
        report = subprocess.run(["gcc", "-O3", "-march=native", "-c", f"{name}.c", "-fopt-info-vec-all"],
                                cwd=tmp_path, capture_output=True, text=True, check=True).stderr
        vectorised = "loop vectorized" in report
        assert vectorised == (name == "after"), report


@gcc
@pytest.mark.parametrize("function", sorted(DEFINITIONS))
def test_the_inline_function_is_within_two_ulp_of_glibcs_with_the_same_special_values(
        tmp_path: Path, function: str) -> None:
    """One in 997 of all 2^32 bit patterns, and the special values: the same NaNs, infinities and zeros, and finite
    results at most 2 units in the last place apart (counted on the bit patterns, subnormals included)."""
    program = tmp_path / "check.c"
    program.write_text("#include <math.h>\n#include <stdio.h>\n#include <string.h>\n"
                       + DEFINITIONS[function].format(name="mine") + """
static long apart(float a, float b) {
    int x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    if ((x < 0) != (y < 0)) return a == b ? 0 : 1L << 40;
    return labs((long)x - (long)y);
}
int main(void) {
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.72f, 88.73f, -87.33f, -103.97f,
                                    -104.0f, 1e-30f, -1e-30f, 1.0f, -1.0f};
    long bad = 0, worst = 0;
    for (unsigned long long b = 0; b < (1ull << 32) + 14; b += b < (1ull << 32) - 997 ? 997 : 1) {
        float x;
        if (b < (1ull << 32)) { unsigned u = (unsigned)b; memcpy(&x, &u, 4); }
        else x = special[b - (1ull << 32)];
        float want = FUNCTION(x), got = mine(x);
        long d = (isnan(want) || isnan(got)) ? (isnan(want) && isnan(got) ? 0 : 1L << 40) : apart(want, got);
        if (d > worst) worst = d;
        if (d > 2) { if (bad++ < 5) printf("x=%.9g want %.9g got %.9g\\n", x, want, got); }
    }
    printf("worst %ld ulp\\n", worst);
    return bad != 0;
}
""".replace("FUNCTION", function))
    subprocess.run(["gcc", "-O2", "-o", str(tmp_path / "check"), str(program), "-lm"], check=True,
                   capture_output=True)
    run = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
