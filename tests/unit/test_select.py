"""If-conversion by masks: which loop bodies are understood, checked by hand, and, for random bodies (chains, nested
branches, several statements and temporaries per branch, statements around them), compiled beside the original and
run on the same data (tests/helpers.py)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.select import if_convert, masked_loop
from tests.helpers import rewrites_that_differ

HEADER = "for (int i = 0; i < n; i++)"
SIGNATURE = "void f(float *a, const float *b, const float *c, const float *d, float s, int n, int *k)"


def test_a_chain_assigning_one_element_keeps_each_branch_value_by_its_mask() -> None:
    body = ("if (d[i] < 0.0f) {\n a[i] += b[i] * c[i];\n} else if (d[i] == 0.0f) {\n a[i] += b[i] * b[i];\n}"
            " else {\n a[i] = c[i];\n}")
    got = if_convert(HEADER, body, SIGNATURE)
    assert got is not None and got.targets == ("a[i]",) and got.branches == 3
    lines = got.body.splitlines()
    assert lines[:3] == ["unsigned int mf_c1 = -(unsigned int)((d[i] < 0.0f) != 0);",
                         "float mf_v2 = a[i] + (b[i] * c[i]);", "unsigned int mf_u3, mf_o4;"]
    assert "mf_o4 = (mf_u3 & mf_c1) | (mf_o4 & ~mf_c1);" in lines
    # the second branch: its condition and not the first's; the else: neither
    assert "unsigned int mf_m6 = ~mf_c1 & mf_c5;" in lines and "unsigned int mf_m10 = ~mf_c1 & ~mf_c5;" in lines
    assert lines[-1] == "__builtin_memcpy(&a[i], &mf_o13, sizeof mf_o13);"
    # no else: the element keeps its value; a double target takes 64-bit masks
    got = if_convert(HEADER, "if (b[i] > s) a[i] = b[i];", SIGNATURE.replace("float *a", "double *a"))
    assert got is not None and got.body.startswith("unsigned long long mf_c1 = -(unsigned long long)((b[i] > s) != 0);")


def test_branches_with_several_statements_temporaries_and_nesting() -> None:
    source = ("/* the loop's temporary, s, is TSVC's */\n"
              "void f(float *restrict a, const float *restrict b, float *restrict c, int n) {\n    float s;\n    LOOP\n}")
    body = "if (a[i] > b[i]) {\n s = a[i] - b[i];\n c[i] += s;\n if (s > 1.0f) a[i] = s * s;\n}"
    got = if_convert(HEADER, body, source.replace("LOOP", f"{HEADER} {{{body}}}"))
    assert got is not None and got.targets == ("c[i]", "a[i]") and got.branches == 2
    lines = got.body.splitlines()
    # the temporary is a new local computed in every iteration; the nested mask is under the outer one
    assert "float mf_t2 = a[i] - b[i];" in lines and "float mf_v3 = c[i] + (mf_t2);" in lines
    assert "unsigned int mf_c6 = -(unsigned int)((mf_t2 > 1.0f) != 0);" in lines
    assert "unsigned int mf_m7 = mf_c1 & mf_c6;" in lines and not any(" s " in t or "(s" in t for t in lines)
    # statements outside the branches stay as they are, in their place
    got = if_convert(HEADER, "c[i] = b[i] * 2; if (c[i] > 0) a[i] = c[i]; c[i] += 1;", source)
    assert got is not None and got.body.startswith("c[i] = b[i] * 2;\n") and got.body.endswith("\nc[i] += 1;")


def test_no_rewrite_of_a_body_that_is_not_safe_to_run_whole() -> None:
    source = SIGNATURE + " {\n    float t, u;\n    LOOP\n    k[0] = u;\n}"
    for body in ("if (d[i] < 0) a[i] = b[i + 1];",  # another element, maybe past the end
                 "if (d[i] != 0) a[i] = b[i] / d[i];",  # a division
                 "if (d[i] < 0) a[i] = sqrtf(b[i]);",  # a call
                 "if (d[i] < 0) a[i] = b[i]; else k[i] = 1;",  # an int target: no float masks
                 "if (d[i] < 0) a[i]++;", "if (d[i] < (s = 1)) a[i] = 0;",  # side effects
                 "if (d[i] < 0) t = b[i]; a[i] = t;",  # a temporary read where its branch may not have run
                 "a[i] = t; if (d[i] < 0) t = b[i];",  # ... read before its branch: carried from the last iteration
                 "if (d[i] < 0) { t += b[i]; a[i] = t; }",  # ... read before the branch assigns it
                 "if (d[i] < 0) { u = b[i]; a[i] = u; }",  # ... read after the loop
                 "if (d[i] < 0) { t = b[i]; if (c[i] > 0) t = c[i]; a[i] = t; }",  # ... updated in a nested branch
                 "if (d[i] < 0) { a[i] = b[i]; break; }",  # control flow
                 "a[i] = b[i];"):  # no branch
        got = if_convert(HEADER, body, source.replace("LOOP", f"{HEADER} {{{body}}}"))
        assert got is None, body
    mixed = SIGNATURE.replace("const float *c", "double *c")
    assert if_convert(HEADER, "if (d[i] < 0) { a[i] = b[i]; c[i] = 0; }", mixed) is None  # masks of two widths


def test_the_loop_is_found_in_a_source_and_replaced_whole() -> None:
    source = (f"{SIGNATURE}\n{{\n    {HEADER} {{\n        // clamp\n        if (a[i] > s)\n            a[i] = s;\n"
              "    }\n    k[0] = 1;\n}\n")
    got = masked_loop(source, 3)
    assert got is not None and got.lines == (3, 7) and got.after.startswith("\n    k[0] = 1;")
    assert got.code.startswith(HEADER + " {\n    unsigned int mf_c1") and got.code.endswith(";\n}")
    assert masked_loop(source, 2) is None and masked_loop(source.replace("a[i] = s", "a[i] = s / 2"), 3) is None


def _random_body(rng: random.Random) -> str:
    """Statements around one chain of one to three arms (an else or not); each arm one to three items, the last an assignment to an element: assignments
    (=, +=, -=, *=) to a[i] or e[i], temporaries declared in the arm or the function's own (u), assigned and updated, and now and then a
    nested chain. Values are sums, differences and products of small integers, so every order is exact."""
    def value(scope: list[str]) -> str:
        pick = ["a[i]", "e[i]", "b[i]", "c[i]", "d[i]", "s", *scope]
        return f"{rng.choice(pick)} {rng.choice(['+', '*', '-'])} {rng.choice([*pick, '2.0f', '2.f', '.5f'])}"

    def cond(scope: list[str]) -> str:
        one = (f"{rng.choice(['a[i]', 'e[i]', 'b[i]', 'd[i]', *scope])} {rng.choice(['<', '>', '==', '!=', '<=', '>='])}"
               f" {rng.choice(['c[i]', '0.0f', 's', *scope])}")
        return one if rng.random() < 0.7 else f"{one} {rng.choice(['&&', '||'])} d[i] > b[i]"

    def element(scope: list[str]) -> str:
        return f"{rng.choice(['a[i]', 'e[i]'])} {rng.choice(['=', '+=', '-=', '*='])} {value(scope)};"

    def arm(depth: int, scope: list[str]) -> str:
        scope, own, items = list(scope), [], []  # own: the temporaries this arm assigns, which it may update
        for _ in range(rng.randint(0, 2)):
            roll = rng.random()
            if roll < 0.2 and depth < 2:
                items.append(chain(depth + 1, scope))
            elif roll < 0.35:
                t = f"t{rng.randrange(10**6)}"
                items.append(f"float {t} = {value(scope)};")
                scope.append(t)
                own.append(t)
            elif roll < 0.45 and "u" not in scope:
                items.append(f"u = {value(scope)};")
                scope.append("u")
                own.append("u")
            elif roll < 0.55 and own:
                items.append(f"{rng.choice(own)} {rng.choice(['+=', '-=', '*='])} {value(scope)};")
            else:
                items.append(element(scope))
        return "{ " + " ".join([*items, element(scope)]) + " }"

    def chain(depth: int, scope: list[str]) -> str:
        text = " else ".join(f"if ({cond(scope)}) {arm(depth, scope)}" for _ in range(rng.randint(1, 3)))
        return text + (f" else {arm(depth, scope)}" if rng.random() < 0.5 else "")

    around = ["e[i] = b[i] + c[i];", "a[i] *= d[i];", ""]
    return f"{rng.choice(around)} {chain(0, [])} {rng.choice(around)}".strip()


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_bodies_kept_by_masks_compute_exactly_what_the_branches_compute(tmp_path: Path) -> None:
    """300 random bodies, each compiled beside its rewrite and run on the same integer-valued data (ties in the
    comparisons included): the same arrays, bit for bit."""
    rng = random.Random(3)
    signature = "void f(float *a, float *e, const float *b, const float *c, const float *d, float s, int n)"
    functions = []
    for k in range(300):
        body = _random_body(rng)
        source = f"{signature}\n{{\n    float u;\n    {HEADER} {{\n        {body}\n    }}\n}}\n"
        got = if_convert(HEADER, body, source)
        assert got is not None, body
        new = source.replace(body, "\n        ".join(got.body.splitlines()))
        functions.append(f"static {source.replace('void f', f'void orig{k}')}static {new.replace('void f', f'void new{k}')}")
    same = """#define N 60
typedef void (*fn)(float *, float *, const float *, const float *, const float *, float, int);
static int same(fn f, fn g) {
    float x[N], y[N], v[N], w[N], b[N], c[N], d[N];
    for (int i = 0; i < N; i++) {
        x[i] = y[i] = (float)((i * 7) % 5) - 2; v[i] = w[i] = (float)((i * 11) % 3) - 1;
        b[i] = (float)((i * 3) % 7) - 3; c[i] = (float)((i * 5) % 3) - 1; d[i] = (float)(i % 4) - 1;
    }
    f(x, v, b, c, d, 1.0f, N);
    g(y, w, b, c, d, 1.0f, N);
    return memcmp(x, y, sizeof x) == 0 && memcmp(v, w, sizeof v) == 0;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, list(range(300)), "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


def test_short_circuit_operators_between_comparisons_become_bitwise_and_nothing_else_does() -> None:
    from mapforge.agents.branches import bitwise
    assert bitwise("a[i] > 0 && b[i] < 1") == "a[i] > 0 & b[i] < 1"
    assert bitwise("(a[i] >= lo && a[i] < hi) || !c[i]") == "(a[i] >= lo & a[i] < hi) | !c[i]"
    assert bitwise("(x[i] & 1) == 0 && y[i] > 0") == "(x[i] & 1) == 0 & y[i] > 0"
    for kept in ("a[i] && b[i] > 0",  # a value, not 0 or 1: 2 & 1 is 0
                 "x[i] << 2 && y[i] > 0", "(a[i] > 0) * 2 && b[i] > 1", "!(a[i] && b[i]) && c[i] > 0",
                 "(a[i] && b[i]) == c[i] || d[i] > 0", "a[i] == b[i]"):
        assert bitwise(kept) == kept, kept
