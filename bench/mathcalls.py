"""The inline math functions of mapforge.agents.mathcalls against glibc's, in a loop over an array.

For each function: ``y[i] = f(x[i])`` over 65536 elements, the loop as the rule rewrites it (calling the inline
version, or in blocks of 8 for the functions of ``BLOCKS``) and the loop calling glibc's compiled side by side in
one C program (``gcc -O3 -march=native``), alternated 200 times; the best time of each, and their ratio. Prints a
table, then a one-line summary.

    python bench/mathcalls.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mapforge.agents.mathcalls import BLOCKS, DEFINITIONS, RANGED, define, inline_calls  # noqa: E402

#: Each function's inputs: where its results are finite and not trivially 0, 1 or -1 (the rounding functions,
#: fmax and fmin: across zero).
RANGES = {"expf": (-10.0, 10.0), "exp": (-10.0, 10.0), "tanhf": (-3.0, 3.0), "logf": (0.001, 370.0),
          "erff": (-3.0, 3.0), "exp2f": (-10.0, 10.0), "log2f": (0.001, 370.0), "log10f": (0.001, 370.0),
          "log1pf": (-0.5, 370.0), "expm1f": (-10.0, 10.0), "sqrtf": (0.0, 100.0), "sqrt": (0.0, 100.0),
          "sinf": (-10.0, 10.0), "cosf": (-10.0, 10.0)}
#: The second argument of the functions of two: half the elements below it (pow: a constant exponent, x^3).
SECOND = {"powf": ", 3.0f", "pow": ", 3.0"}

PROGRAM = """#include <math.h>
#include <stdio.h>
#include <time.h>
#define N 65536
@MINE@
static void libm(@T@ *restrict y, const @T@ *restrict x, int n) { for (int i = 0; i < n; i++) y[i] = @FUNCTION@(x[i]@MORE@); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(void) {
    static @T@ x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = (@T@)(@LO@ + (@HI@ - @LO@) * (i % 1000) / 1000.0);
    double a = 1e9, b = 1e9;
    for (int rep = 0; rep < 200; rep++) {
        double t0 = now(); mine(y, x, N); double t1 = now(); libm(y, x, N); double t2 = now();
        if (t1 - t0 < a) a = t1 - t0;
        if (t2 - t1 < b) b = t2 - t1;
    }
    printf("%.4f %.4f\\n", a * 1e3, b * 1e3);
    return 0;
}
"""


def measure(function: str, folder: Path) -> tuple[float, float]:
    """(inline ms, glibc ms): the best of 200 alternated runs."""
    known = {**DEFINITIONS, **BLOCKS, **RANGED}[function]
    kind = "double" if "inline double" in known.text or "(double *s)" in known.text else "float"
    lo, hi = RANGES.get(function, (-1.0, 1.0) if function.rstrip("f") in ("fmax", "fmin") else (-100.0, 100.0))
    binary = "," in known.text.split("{name}(", 1)[1].split(")", 1)[0]
    more = SECOND.get(function, f", ({kind})0.25" if binary else "")
    loop = (f"static void mine({kind} *restrict y, const {kind} *restrict x, int n)\n{{\n"
            f"    for (int i = 0; i < n; i++) y[i] = {function}(x[i]{more});\n}}\n")
    got = inline_calls(loop, 3)
    assert got is not None, function
    mine = define(loop.split("\n    for")[0] + "\n" + got.code + got.after, got.names)
    source = PROGRAM.replace("@MORE@", more)
    for key, value in {"MINE": mine, "FUNCTION": function, "T": kind, "LO": repr(lo), "HI": repr(hi)}.items():
        source = source.replace(f"@{key}@", value)
    (folder / f"{function}.c").write_text(source)
    exe = folder / function
    subprocess.run(["gcc", "-O3", "-march=native", "-o", str(exe), str(folder / f"{function}.c"), "-lm"], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    print("| function | inline ms | glibc ms | glibc / inline |\n|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for function in [*DEFINITIONS, *BLOCKS, *RANGED]:
            mine, libm = measure(function, Path(tmp))
            ratios.append(libm / mine)
            print(f"| {function} | {mine:.3f} | {libm:.3f} | {libm / mine:.2f}x |", flush=True)
    print(f"summary: {len(ratios)} functions, the rewritten loop {min(ratios):.2f}x-{max(ratios):.2f}x as fast as "
          "glibc's calls (best of 200 alternated runs, 65536 elements)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
