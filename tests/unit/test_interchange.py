"""Loop interchange: which nests may swap their two loops, checked by hand on small nests and, for random nests,
by compiling the original and the swap with gcc and comparing what they compute, bit for bit."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.interchange import interchange, loop_variables, nest_at, subscript
from tests.helpers import rewrites_that_differ

OUTER = "for (int i = 1; i < n - 1; i++)"
INNER = "for (int j = 1; j < n - 1; j++)"


def swap(body: str, around: frozenset[str] = frozenset()) -> str | None:
    got = interchange(OUTER, INNER, body, around)
    return None if got is None else got.nest


def test_subscripts_read_as_polynomials_and_nothing_else() -> None:
    assert subscript("(j - 1) * n + i + 2") == {("j", "n"): 1, ("n",): -1, ("i",): 1, (): 2}
    assert subscript("i * n + j - i * n") == {("j",): 1}
    assert subscript("i / 2") is None and subscript("idx[i]") is None and subscript("i << 1") is None


def test_a_walk_down_a_column_swaps_when_every_dependence_keeps_its_order() -> None:
    got = interchange(OUTER, INNER, "a[j * n + i] = a[(j - 1) * n + i] + b[j * n + i];")
    assert got is not None and got.strided == ("a", "b") and not got.carried
    assert got.nest.splitlines()[:2] == [INNER + " {", "    " + OUTER + " {"]
    # forward in both loops: still forward after the swap
    assert swap("a[j * n + i] = a[(j - 1) * n + i - 1];") is not None


def test_no_swap_that_would_run_a_dependence_backwards() -> None:
    # a[j][i] reads a[j - 1][i + 1]: written one outer iteration later but one inner iteration earlier
    assert swap("a[j * n + i] = a[(j - 1) * n + i + 1];") is None
    # a vector indexed by the inner loop, written in every outer iteration: the order of its writes would flip
    assert swap("x[j] = x[j - 1] + a[j * n + i];") is None
    # a scalar carried from one iteration to the next
    assert swap("s += a[j * n + i];") is None


def test_a_reduction_into_a_vector_keeps_each_elements_order_and_the_swap_says_what_it_carries() -> None:
    got = interchange("for (int j = 0; j < n; j++)", "for (int i = 0; i < n; i++)", "x[j] += a[i * n + j] * y[i];")
    assert got is not None and not got.carried  # the new inner loop, over j, writes a different x[j] each time
    carried = interchange(OUTER, INNER, "a[j * n + i] = a[j * n + i - 1] + b[j * n + i];")
    assert carried is not None and carried.carried  # the recurrence along i is inner once swapped
    overwritten = interchange(OUTER, INNER, "x[j] = a[j * n + i];")
    assert overwritten is not None and overwritten.carried  # x[j] is written again in every iteration over i


def test_no_swap_where_it_gains_nothing_or_the_nest_is_not_understood() -> None:
    assert swap("a[i * n + j] = b[i * n + j];") is None  # already along rows
    assert swap("a[i * n + j] = a[i * n + j] * c[j * n + i];") is None  # one column walk either way
    assert swap("if (a[j * n + i] > 0) a[j * n + i] = 0;") is None
    assert swap("a[j * n + i] = a[(j * n + i) / 2];") is None
    assert interchange(OUTER, "for (int j = 1; j < i * 2; j++)", "a[j * n + i] = 0;") is None  # not triangular
    assert interchange("for (int i = 0; i < n; i++)", "for (int j = 0; j <= i; j += 2)",
                       "a[j * n + i] = 0;") is None  # a step: the bounds are worked out for steps of one
    assert swap("a[j * n + i] = a[j * m + i];") is None  # two row lengths
    # a loop counting down reverses the directions read off the subscripts: not worked out
    assert interchange("for (int i = n - 1; i >= 1; i--)", INNER, "a[j * n + i] = a[(j - 1) * n + i - 1];") is None
    assert interchange("for (int i = 1; i < n; i++)", INNER, "a[j * n + i] = a[(j - 1) * n + i - 1];") is not None
    assert interchange(OUTER, "for (int j = n - 1; j > 0; j--)", "a[j * n + i] = b[j * n + i];") is None


def test_a_triangular_nest_swaps_with_bounds_over_the_same_iterations() -> None:
    got = interchange(OUTER, "for (int j = 0; j < i + 3; j++)", "a[j * n + i] = 0;")  # o from max(1, j - 2)
    assert got is not None and got.nest.startswith(
        "for (int j = 0; j < (n - 1) + 2; j++) {\n    for (int i = (j - 2 > 1 ? j - 2 : 1); i < n - 1; i++) {")
    got = interchange(OUTER, "for (int j = i; j < n; j++)", "a[j * n + i] = 0;")  # o up to min(j, n - 2)
    assert got is not None and got.nest.startswith(
        "for (int j = 1; j < n; j++) {\n    for (int i = 1; i < (j + 1 < n - 1 ? j + 1 : n - 1); i++) {")
    got = interchange("for (int i = 0; i < n; i++)", "for (int j = 0; j <= i; j++)", "c[j * n + i] += a[j * n + i];")
    assert got is not None and got.nest.startswith("for (int j = 0; j < n; j++) {\n    for (int i = j; i < n; i++) {")
    got = interchange("for (i = 0; i < n; i++)", "for (j = i + 1; j < n; j++)", "c[j * n + i] = 0;",
                      after="\n    for (i = 0; i < n; i++) x[i] = 0;\n")
    assert got is not None and got.nest.startswith("for (j = 1; j < n; j++) {\n    for (i = 0; i < j; i++) {")
    # a loop variable declared outside its header and read after the nest: its last value would change
    assert interchange("for (i = 0; i < n; i++)", "for (j = i + 1; j < n; j++)", "c[j * n + i] = 0;",
                       after="\n    x[i] = 0;\n") is None


def test_the_variables_of_loops_around_are_constants_of_the_nest() -> None:
    body = "c[i * n + j] += a[i * n + k] * b[k * n + j];"
    got = interchange("for (int j = 0; j < n; j++)", "for (int k = 0; k < n; k++)", body, frozenset({"i"}))
    assert got is not None and got.strided == ("b",)
    assert interchange("for (int j = 0; j < n; j++)", "for (int k = 0; k < n; k++)", body) is None  # i unknown


def test_nest_at_finds_a_perfect_nest_braced_or_not_and_its_lines() -> None:
    src = ("void f(float *a, int n)\n{\n    for (int i = 0; i < n; i++) {  /* outer */\n"
           "        for (int j = 0; j < n; j++) {\n            a[j * n + i] = 0;\n        }\n    }\n"
           "    for (int i = 0; i < n; i++)\n        for (int j = 0; j < n; j++) { a[j] = 1; }\n"
           "    for (int i = 0; i < n; i++) {\n        a[i] = 2;\n        for (int j = 0; j < n; j++) { a[j] = 3; }\n"
           "    }\n}\n")
    first = nest_at(src, 3)
    assert first is not None and first.lines == (3, 4, 7)  # to the outer loop's closing brace
    assert (first.outer, first.inner, first.body.strip()) == (
        "for (int i = 0; i < n; i++)", "for (int j = 0; j < n; j++)", "a[j * n + i] = 0;")
    second = nest_at(src, 8)
    assert second is not None and second.lines == (8, 9, 9)
    assert nest_at(src, 4) is None  # the inner loop's body is no loop
    bare = "for (i = 0; i < n; i++)\n  for (j = 0; j < n; j++)\n    x[i] = x[i] + a[j * n + i] * y[j];\nx[0] = 1;\n"
    unbraced = nest_at(bare, 1)
    assert unbraced is not None and unbraced.lines == (1, 2, 3)
    assert unbraced.body.strip() == "x[i] = x[i] + a[j * n + i] * y[j];"
    deeper = nest_at("for (i = 0; i < n; i++)\n  for (j = 0; j < n; j++)\n    for (k = 0; k < n; k++) x[k] = 0;\n", 1)
    assert deeper is not None and interchange(deeper.outer, deeper.inner, deeper.body) is None  # a loop as a body
    beside = nest_at(src, 10)  # a statement beside the inner loop: the nest is imperfect
    assert beside is not None and beside.lines == (10, 12, 13) and beside.pre == ("a[i] = 2",) and beside.post == ()
    assert beside.after.strip() == "}"
    assert loop_variables(src) == {"i", "j"}


MATMUL = """void mm(const float *a, const float *b, float *c, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float s = 0.0f;   // the running sum
            for (int k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
}
"""


def test_an_imperfect_nest_is_distributed_then_swapped_and_a_running_sum_becomes_its_element() -> None:
    nest = nest_at(MATMUL, 4)
    assert nest is not None and nest.lines == (4, 6, 9)
    assert nest.pre == ("float s = 0.0f",) and nest.post == ("c[i * n + j] = s",) and nest.after.strip() == "}"
    got = interchange(nest.outer, nest.inner, nest.body, frozenset({"i"}), nest.pre, nest.post, nest.after)
    assert got is not None and got.distributed and got.expanded == "s" and got.strided == ("b",)
    assert got.nest == ("{\n    for (int j = 0; j < n; j++) {\n        c[i * n + j] = 0.0f;\n    }\n"
                        "    for (int k = 0; k < n; k++) {\n        for (int j = 0; j < n; j++) {\n"
                        "            c[i * n + j] += a[i * n + k] * b[k * n + j];\n        }\n    }\n}")
    # in braces: one statement, as the nest was, so an unbraced loop around it still holds all of it
    assert not got.carried  # each j writes its own element: the new inner loop vectorises


def test_no_distribution_that_would_reorder_what_the_parts_touch() -> None:
    def beside(pre: tuple[str, ...], body: str, post: tuple[str, ...] = (), after: str = "") -> bool:
        return interchange(OUTER, INNER, body, frozenset(), pre, post, after) is not None

    body = "a[j * n + i] = a[j * n + i] + x[i];"
    assert beside(("x[i] = y[i] * 2",), body)  # written before the nest reads it, in the same outer iteration
    assert beside(("x[i + 1] = y[i]",), body)  # ... or an earlier one
    assert not beside(("x[i] = y[i]",), "a[j * n + i] = a[j * n + i] + x[i + 1];")  # read before it is overwritten
    assert beside((), body, ("x[i - 1] = 0",))  # overwritten after the nest read it
    assert not beside((), body, ("x[i + 1] = 0",))  # written before the nest reads it, one outer iteration earlier
    assert beside((), body, ("y[i] = x[i] + 1",))
    assert not beside(("t = y[i]",), "a[j * n + i] = a[j * n + i] + t;")  # a scalar shared by two parts
    assert not beside(("x[i] = a[j * n + i]",), body)  # the inner loop's variable outside it
    # a running sum becomes its element only where nothing else touches that element, and nothing reads it later
    summed = ("float s = 0",), "s += a[j * n + i];"
    assert beside(*summed, ("x[i] = s",))
    assert not beside(*summed, ("x[i] = s", "y[i] = s"))
    assert not beside(*summed, ("x[i] = s * 2",))
    assert not beside(("float s = x[i]",), "s += a[j * n + i];", ("x[i] = s",))
    assert not beside(("s = 0",), "s += a[j * n + i];", ("x[i] = s",), after="return s;")
    assert beside(("s = 0",), "s += a[j * n + i];", ("x[i] = s",), after="return 0;")
    # index temporaries stand for their expressions where they hold them: from before the inner loop, all through
    assert beside(("int r = i * n",), "a[j * n + i] = a[j * n + i] + y[r - i * n];", ("x[i] = b[r + 1]",))
    assert beside((), "int r = j * n; a[r + i] = a[r + i] + x[i];")
    assert not beside((), "r = j * n; a[r + i] = a[r + i] + x[i];", ("x[i] = b[r]",))  # after the loop: its last value
    assert not beside(("int r = i * n",), "r = r + 1; a[r + j] = 0;")  # assigned twice


# -- random nests, compiled ----------------------------------------------------------------------------------


def _index(rng: random.Random, two_d: bool) -> str:
    def at(var: str) -> str:
        off = rng.choice([-1, 0, 0, 1])
        return var if off == 0 else f"({var} {'+' if off > 0 else '-'} {abs(off)})"
    if not two_d:
        return at(rng.choice("ij"))
    row, col = ("j", "i") if rng.random() < 0.6 else ("i", "j")
    return f"{at(row)} * n + {at(col)}"


def _random_body(rng: random.Random) -> str:
    statements = []
    for _ in range(rng.randint(1, 3)):
        def term() -> str:
            name = rng.choice("abxy")
            return f"{name}[{_index(rng, name in 'ab')}]"
        target = rng.choice("abxy") if rng.random() < 0.85 else "t"
        rhs = f"{term()} * 0.5f + {'t' if 't' in ''.join(statements) and rng.random() < 0.3 else term()}"
        if target == "t":
            statements.append(f"t = {rhs};")
        else:
            statements.append(f"{target}[{_index(rng, target in 'ab')}] {rng.choice(['=', '+='])} {rhs};")
    return "\n            ".join(statements)


def _function(name: str, nest: str) -> str:
    return (f"static void {name}(float *a, float *b, float *x, float *y, int n)\n{{\n    float t = 0.25f;\n"
            f"    {nest}\n    (void)t;\n}}\n")


def _beside(rng: random.Random) -> str:
    """A statement over the outer loop's elements: vectors at i - 1..i + 1, or one of three columns of a row."""
    def term() -> str:
        name = rng.choice("abxy")
        off = rng.choice(["", " + 1", " - 1", ""])
        return f"{name}[(i{off}) * n + {rng.randint(0, 2)}]" if name in "ab" else f"{name}[i{off}]"
    return f"{term()} {rng.choice(['=', '+='])} {term()} * 0.5f + {term()}"


def _random_imperfect(rng: random.Random) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """Statements before and after the inner loop, and a body that may swap on its own; half of the nests carry a
    running sum through it."""
    body = _random_body(rng)
    while interchange(OUTER, INNER, body) is None:
        body = _random_body(rng)
    pre = [_beside(rng) for _ in range(rng.randint(0, 2))]
    post = [_beside(rng) for _ in range(rng.randint(0, 1))]
    if rng.random() < 0.5:
        pre.append(f"float s = {rng.choice(['0.0f', 'y[i] * 0.5f', 'x[i + 1]'])}")
        body += f"\n            s += {rng.choice('ab')}[j * n + i] * 0.5f;"
        post.insert(rng.randint(0, len(post)), f"{rng.choice('xy')}[i] = s")
    elif not pre and not post:
        pre.append(_beside(rng))
    if rng.random() < 0.3:  # index temporaries, one set beside the inner loop and one in it
        pre.insert(0, "int rowi = i * n")
        body = body.replace("i * n + ", "rowi + ")
        post = [t.replace("i * n + ", "rowi + ") for t in post]
    if rng.random() < 0.3:
        body = "int rowj = j * n;\n            " + body.replace("j * n + ", "rowj + ")
    return tuple(pre), body, tuple(post)


#: Triangular nests, the elements they touch within 0..n - 1: seven whose swapped bounds need no min or max, and
#: five that need one
TRIANGLES = [(OUTER, "for (int j = 1; j < i; j++)"), (OUTER, "for (int j = 1; j <= i; j++)"),
             (OUTER, "for (int j = 1; j < i + 1; j++)"), ("for (int i = 1; i <= n - 2; i++)", "for (int j = 1; j <= i; j++)"),
             (OUTER, "for (int j = i; j < n - 1; j++)"), (OUTER, "for (int j = i + 1; j < n - 1; j++)"),
             ("for (int i = 1; i <= n - 2; i++)", "for (int j = i + 2; j <= n - 2; j++)"),
             ("for (int i = 1; i < n - 2; i++)", "for (int j = 1; j < i + 2; j++)"),
             ("for (int i = 2; i < n - 1; i++)", "for (int j = 1; j <= i; j++)"),
             (OUTER, "for (int j = i; j < n - 2; j++)"), ("for (int i = 2; i < n - 1; i++)", "for (int j = i - 1; j < n - 1; j++)"),
             (OUTER, "for (int j = i + 1; j <= n - 2; j++)")]


#: C that runs two nests (orig and rewrite) on the same 24 x 24 matrices and vectors and compares what they leave
SAME = """#define N 24
typedef void (*fn)(float *, float *, float *, float *, int);
static int same(fn f, fn g) {
    static float m[2][2][N * N], v[2][2][N];
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < N * N; i++) m[s][k][i] = (float)((i * 7 + k * 13) % 17) - 8;
            for (int i = 0; i < N; i++) v[s][k][i] = (float)((i * 5 + k * 3) % 11) - 5;
        }
    }
    f(m[0][0], m[0][1], v[0][0], v[0][1], N);
    g(m[1][0], m[1][1], v[1][0], v[1][1], N);
    return memcmp(m[0], m[1], sizeof m[0]) == 0 && memcmp(v[0], v[1], sizeof v[0]) == 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_nests_swapped_compute_exactly_what_the_original_computes(tmp_path: Path) -> None:
    """Every swap the module proposes for 400 random nests (statements over two n x n matrices and two vectors,
    subscripts at offsets -1..1, a temporary or not), for 800 with statements beside the inner loop (some of
    them a running sum) and for 400 triangular ones, is compiled beside the original and run on the same data: the same arrays, bit for bit.
    Enough nests must swap, or the test checks too little."""
    rng = random.Random(11)
    cases = []
    for k in range(400):
        body = _random_body(rng)
        got = interchange(OUTER, INNER, body)
        if got is not None:
            original = f"{OUTER} {{\n        {INNER} {{\n            {body}\n        }}\n    }}"
            cases.append((k, _function(f"orig{k}", original) + _function(f"swap{k}", got.nest)))
    assert len(cases) >= 40, f"only {len(cases)} of 400 random nests swap"
    distributed = summed = indexed = 0
    for k in range(400, 1200):  # statements beside the inner loop: distribution first, a running sum expanded
        pre, body, post = _random_imperfect(rng)
        got = interchange(OUTER, INNER, body, frozenset(), pre, post, "(void)t;")
        if got is not None:
            assert got.distributed
            summed += got.expanded is not None
            indexed += "rowi" in "".join(pre) or "rowj" in body
            lines = "".join(f"        {t};\n" for t in pre) + f"        {INNER} {{\n            {body}\n        }}\n" + \
                "".join(f"        {t};\n" for t in post)
            original = f"{OUTER} {{\n{lines}    }}"
            cases.append((k, _function(f"orig{k}", original) + _function(f"swap{k}", got.nest)))
            distributed += 1
    assert distributed >= 40 and summed >= 10 and indexed >= 20, \
        f"only {distributed} of 800 imperfect nests swap, {summed} summed, {indexed} with index temporaries"
    triangular = 0
    for k in range(1200, 1600):  # an inner bound the outer variable plus a constant, either side
        body, (outer, inner) = _random_body(rng), rng.choice(TRIANGLES)
        got = interchange(outer, inner, body)
        if got is not None:
            original = f"{outer} {{\n        {inner} {{\n            {body}\n        }}\n    }}"
            cases.append((k, _function(f"orig{k}", original) + _function(f"swap{k}", got.nest)))
            triangular += 1
    assert triangular >= 60, f"only {triangular} of 400 triangular nests swap"
    differ = rewrites_that_differ(tmp_path, "".join(c for _, c in cases), SAME, [k for k, _ in cases], "orig", "swap")
    assert not differ, f"swaps that compute something else (case numbers): {differ}"
