"""Branchless compaction: which loops are understood, checked by hand, and, for random loops (appends in chains,
nested or not, in each of the four forms, beside unconditional appends and statements), compiled beside the
original and run on the same data, over several buffer copies (tests/helpers.py)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.compaction import BLOCK, compact
from tests.helpers import rewrites_that_differ

SIGNATURE = ("void f(float *restrict a, float *restrict e, const float *restrict b, const float *restrict c, "
             "const float *restrict d, int n, int *out)")


def _source(body: str, start: int = -1) -> str:
    return f"{SIGNATURE}\n{{\n    int j = {start};\n    for (int i = 0; i < n; i++) {{\n        {body}\n    }}\n    *out = j;\n}}\n"


def test_a_conditional_append_is_stored_in_a_buffer_at_a_slot_stepped_by_its_condition() -> None:
    source = _source("if (b[i] > 0.0f) {\n            j++;\n            a[j] = b[i];\n        }")
    got = compact(source, 4)
    assert got is not None and (got.counter, got.array, got.conditional) == ("j", "a", 1)
    assert got.lines == (4, 9) and got.after.startswith("\n    *out = j;")
    lines = [t.strip() for t in got.code.splitlines()]
    assert lines[:4] == ["{", f"float kept[{BLOCK}];", "int kept_n = 0;", "for (int i = 0; i < n; i++) {"]
    assert lines[4:8] == ["int kept_c1 = (b[i] > 0.0f) != 0;", "int kept_m2 = kept_c1;", "kept[kept_n] = b[i];",
                          "kept_n += kept_m2;"]
    # the step came first: the kept values go after the counter, which then steps by their number
    copy = "for (int kept_t = 0; kept_t < kept_n; kept_t++) a[j + 1 + kept_t] = kept[kept_t];"
    assert lines[8] == f"if (kept_n > {BLOCK - 1}) {{" and lines[9] == copy and lines[-3:] == [copy, "j += kept_n;", "}"]


def test_each_form_of_an_append_and_unconditional_ones_beside_conditional_ones() -> None:
    for body, base in (("if (b[i] > 0) { a[j] = b[i]; j++; }", "a[j + kept_t]"),
                       ("if (b[i] > 0) a[j++] = b[i];", "a[j + kept_t]"),
                       ("if (b[i] > 0) a[++j] = b[i];", "a[j + 1 + kept_t]"),
                       ("if (b[i] > 0) { j += 1; a[j] = b[i]; }", "a[j + 1 + kept_t]")):
        got = compact(_source(body), 4)
        assert got is not None and f"{base} = kept[kept_t];" in got.code, body
    # one append in every iteration and one where c[i] > 0: two slots per iteration at most
    got = compact(_source("j++; a[j] = b[i] + d[i]; if (c[i] > 0) { j++; a[j] = c[i]; } e[i] = b[i];"), 4)
    assert got is not None and got.conditional == 1 and f"float kept[{2 * BLOCK}];" in got.code
    lines = [t.strip() for t in got.code.splitlines()]
    assert lines[4:6] == ["kept[kept_n] = b[i] + d[i];", "kept_n += 1;"] and "e[i] = b[i];" in lines
    # a loop of one statement, no braces: a filter that returns its count
    source = ("int filter(const float *x, float *out, int n, float t)\n{\n    int k = 0;\n    for (int i = 0; i < n; i++)\n"
              "        if (x[i] > t) out[k++] = x[i];\n    return k;\n}\n")
    got = compact(source, 4)
    assert got is not None and got.lines == (4, 5) and got.after.startswith("\n    return k;")
    assert "out[k + kept_t] = kept[kept_t];" in got.code
    # an if / else that appends in both branches: a mask each, one of them set
    got = compact(_source("if (b[i] > 0) { j++; a[j] = b[i]; } else { j++; a[j] = c[i]; }"), 4)
    assert got is not None and got.conditional == 2 and "int kept_m3 = (kept_c1 ^ 1);" in got.code


def test_no_rewrite_of_a_loop_that_is_not_a_compaction_it_is_sure_about() -> None:
    for body in ("if (b[i] > 0) { j++; a[j] = b[i]; } e[i] = j;",  # the counter read elsewhere
                 "if (b[i] > 0) { j++; a[j] = b[i]; } e[i] = a[i];",  # the array read before the copy
                 "if (b[i] > 0) { j++; a[j] = a[j - 1]; }",  # ... in the value
                 "if (b[i] > 0) j++; a[j] = b[i];",  # a step with no store
                 "if (b[i] > 0) { j++; a[j] = b[i]; } else { a[j] = c[i]; j++; }",  # two forms: a gap
                 "if (b[i] > 0) { j++; a[j] = b[i] / c[i]; }",  # a division where its branch would not run
                 "if (b[i] > 0) { j++; a[j] = b[i + 1]; }",  # another element, maybe past the end
                 "if (b[i] > 0) { j++; a[j] = b[i]; e[i] = c[i]; }",  # a branch that does more than append
                 "if (b[i] > 0) { j++; a[j] = b[i]; j++; e[j] = c[i]; }",  # two arrays
                 "if (b[i] > 0) { j++; a[j] = b[i]; break; }",  # control flow
                 "j++; a[j] = b[i];"):  # no condition: the compiler's own induction variable
        assert compact(_source(body), 4) is None, body
    assert compact(_source("if (b[i] > 0) { j++; a[j] = b[i]; }").replace("int j", "float j"), 4) is None
    integers = compact(_source("if (b[i] > 0) { j++; a[j] = b[i]; }").replace("float *restrict a", "int32_t *a"), 4)
    assert integers is not None and "    int32_t kept[512];\n" in integers.code  # the buffer has the array's type
    assert compact(_source("if (b[i] > 0) { j++; a[j] = b[i]; }").replace("float *restrict a", "item *a"), 4) is None


def _random_body(rng: random.Random) -> tuple[str, int]:
    """A body of appends in one form, in chains of one to three arms (nested now and then), beside unconditional
    appends and statements; and the counter's start. Values are small integers, so every order is exact."""
    form = rng.randrange(4)

    def value() -> str:
        return f"{rng.choice(['b[i]', 'c[i]', 'd[i]'])} {rng.choice(['+', '*', '-'])} {rng.choice(['b[i]', 'c[i]', '2.0f'])}"

    def append() -> str:
        v = value()
        return (f"j++; a[j] = {v};", f"a[j] = {v}; j++;", f"a[++j] = {v};", f"a[j++] = {v};")[form]

    def cond() -> str:
        one = f"{rng.choice(['b[i]', 'c[i]', 'd[i]'])} {rng.choice(['<', '>', '==', '!=', '<=', '>='])} {rng.choice(['c[i]', '0.0f'])}"
        return one if rng.random() < 0.7 else f"{one} {rng.choice(['&&', '||'])} d[i] > b[i]"

    def arm(depth: int) -> str:
        items = [chain(depth + 1) if rng.random() < 0.25 and depth < 2 else append() for _ in range(rng.randint(1, 2))]
        return "{ " + " ".join(items) + " }"

    def chain(depth: int) -> str:
        text = " else ".join(f"if ({cond()}) {arm(depth)}" for _ in range(rng.randint(1, 3)))
        return text + (f" else {arm(depth)}" if rng.random() < 0.5 else "")

    around = [append(), "e[i] = b[i] + c[i];", "e[i] *= d[i];", ""]
    body = " ".join([rng.choice(around), chain(0), rng.choice(around)]).strip()
    return body, rng.choice((-1, 3)) if form in (0, 2) else rng.choice((0, 3))


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_compactions_store_exactly_what_the_branches_stored(tmp_path: Path) -> None:
    """200 random loops, each compiled beside its rewrite and run on the same integer-valued data, once over 3000
    iterations (the buffer copied several times) and once over 5: the same arrays, bit for bit (the elements after
    the last append keep their values), and the same final counter."""
    rng = random.Random(8)
    functions = []
    for k in range(200):
        body, start = _random_body(rng)
        source = _source(body, start)
        got = compact(source, 4)
        assert got is not None, body
        lines = source.splitlines()
        new = "\n".join(lines[:3] + got.code.splitlines() + lines[got.lines[1]:]) + "\n"
        functions.append(f"static {source.replace('void f', f'void orig{k}')}static {new.replace('void f', f'void new{k}')}")
    same = """#define N 3000
typedef void (*fn)(float *, float *, const float *, const float *, const float *, int, int *);
static int same(fn f, fn g) {
    static float x[16 * N], y[16 * N], v[N], w[N], b[N], c[N], d[N];
    unsigned r = 12345;
    for (int i = 0; i < 16 * N; i++) x[i] = y[i] = (float)(i % 13) - 6;
    for (int i = 0; i < N; i++) {
        r = r * 1103515245u + 12345u; b[i] = (float)((r >> 16) % 5) - 2;
        r = r * 1103515245u + 12345u; c[i] = (float)((r >> 16) % 5) - 2;
        r = r * 1103515245u + 12345u; d[i] = (float)((r >> 16) % 3) - 1;
        v[i] = w[i] = (float)(i % 7);
    }
    int jf = 0, jg = 1, ok = 1;
    for (int n = 5; n <= N; n += N - 5) {
        f(x + 8, v, b, c, d, n, &jf);
        g(y + 8, w, b, c, d, n, &jg);
        ok = ok && jf == jg && memcmp(x, y, sizeof x) == 0 && memcmp(v, w, sizeof v) == 0;
    }
    return ok;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, list(range(200)), "orig", "new")
    assert not differ, f"rewrites that store something else (case numbers): {differ}"
