"""Turning model replies into code and plans; unusable replies raise ParseError with a usable message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapforge.agents.parsing import ParseError, extract_code, parse_plans

FN = "void scale(float *x, int n) {\n    for (int i = 0; i < n; i++) x[i] *= 2.0f;\n}"


# -- extract_code --------------------------------------------------------------------------------------------
def test_fenced_c_block_inside_prose() -> None:
    reply = f"Here is the faster version.\n\n```c\n{FN}\n```\n\nIt doubles each element."
    got = extract_code(reply, "c")
    assert got.code == FN + "\n" and got.language == "c"


def test_longest_block_wins() -> None:
    reply = f"First a helper:\n```c\nint x;\n```\nThen the full program:\n```c\n#include <math.h>\n{FN}\n```\n"
    assert extract_code(reply, "c").code == f"#include <math.h>\n{FN}\n"


def test_block_with_required_function_preferred_over_longer_one() -> None:
    helpers = "static int helper_one(int a) { return a + 1; }\n" * 10
    reply = f"```c\n{helpers}```\n```c\n{FN}\n```"
    assert extract_code(reply, "c", must_contain="scale").code == FN + "\n"


def test_untagged_block_accepted() -> None:
    assert extract_code(f"```\n{FN}\n```", "c").code == FN + "\n"


@pytest.mark.parametrize("tag", ["C", "h"])
def test_tag_aliases_for_c(tag: str) -> None:
    assert extract_code(f"```{tag}\n{FN}\n```", "c").code == FN + "\n"


@pytest.mark.parametrize("tag", ["cpp", "c++", "cc", "CXX"])
def test_cpp_aliases(tag: str) -> None:
    assert extract_code(f"```{tag}\n{FN}\n```", "cpp").code == FN + "\n"


def test_unterminated_fence_still_extracted() -> None:
    assert extract_code(f"```c\n{FN}\n", "c").code == FN + "\n"


@pytest.mark.parametrize("tag", ["python", "cpp", "rust"])
def test_wrong_language_tag_is_parse_error(tag: str) -> None:
    with pytest.raises(ParseError) as ei:
        extract_code(f"```{tag}\n{FN}\n```", "c")
    assert tag in str(ei.value) and "```c" in str(ei.value)


def test_prose_without_code_is_parse_error() -> None:
    with pytest.raises(ParseError, match="no code"):
        extract_code("I would block the loops for cache locality and unroll the inner loop by four.", "c")


def test_empty_fenced_block_is_parse_error() -> None:
    with pytest.raises(ParseError):
        extract_code("```c\n\n```", "c")


def test_bare_code_accepted() -> None:
    assert extract_code(FN, "c").code == FN + "\n"


def test_bare_code_without_required_function_rejected() -> None:
    with pytest.raises(ParseError):
        extract_code("int helper(int a) {\n  return a;\n}", "c", must_contain="scale")


def test_python_bare_code() -> None:
    src = "def main():\n    print(input())\n\nmain()"
    assert extract_code(src, "python").code == src + "\n"


# -- parse_plans ------------------------------------------------------------------------------------------
P1 = {"title": "Block", "bottleneck": "cache misses on B", "approach": "tile 64x64", "confidence": 0.7}
P2 = {"title": "Unroll", "bottleneck": "loop overhead", "approach": "unroll by 4", "confidence": 0.3}


def test_plans_from_fenced_json() -> None:
    reply = f"My plans:\n```json\n{json.dumps([P1, P2], indent=2)}\n```\nDone."
    plans = parse_plans(reply, limit=5)
    assert [p.title for p in plans] == ["Block", "Unroll"]
    assert plans[0].confidence == 0.7 and plans[1].approach == "unroll by 4"


def test_plans_from_bare_json() -> None:
    plans = parse_plans(f"Sure! {json.dumps([P1, P2])} Hope this helps.", limit=5)
    assert [p.title for p in plans] == ["Block", "Unroll"]


def test_plans_from_wrapped_object() -> None:
    plans = parse_plans(json.dumps({"plans": [P2, P1]}), limit=5)
    assert [p.title for p in plans] == ["Unroll", "Block"]


def test_single_plan_object() -> None:
    assert [p.title for p in parse_plans(json.dumps(P1), limit=3)] == ["Block"]


def test_limit_truncates() -> None:
    assert len(parse_plans(json.dumps([P1, P2, P1]), limit=2)) == 2


def test_fenced_json_preferred_over_stray_brackets() -> None:
    reply = f"Look at x[i] and {{braces}}.\n```json\n{json.dumps([P1])}\n```"
    assert [p.title for p in parse_plans(reply, limit=3)] == ["Block"]


@pytest.mark.parametrize("bad", [1.5, -0.1, "high"])
def test_invalid_confidence_is_parse_error(bad: object) -> None:
    with pytest.raises(ParseError, match="confidence"):
        parse_plans(json.dumps([P1 | {"confidence": bad}]), limit=3)


@pytest.mark.parametrize("field", ["title", "bottleneck", "approach", "confidence"])
def test_missing_plan_field_is_parse_error(field: str) -> None:
    plan = {k: v for k, v in P1.items() if k != field}
    with pytest.raises(ParseError, match=field):
        parse_plans(json.dumps([plan]), limit=3)


@pytest.mark.parametrize("reply", ["no json here at all", "[]", '{"plans": []}', "```json\n[{\"title\": \n```"])
def test_unusable_plan_replies(reply: str) -> None:
    with pytest.raises(ParseError):
        parse_plans(reply, limit=3)


def test_a_test_main_is_dropped_from_a_function_reply_and_counted_as_repaired() -> None:
    from mapforge.agents.parsing import extract_code

    reply = (
        "```c\n#include <stdio.h>\nvoid f(float *a, int n) { for (int i = 0; i < n; i++) a[i] = 1; }\n"
        "int main(void) {\n    float a[4]; /* } */ char c = '}'; const char *s = \"}{\";\n    f(a, 4);\n"
        "    if (1) { printf(\"%f\\n\", a[0]); }\n    return 0;\n}\nstatic int after(void) { return 1; }\n```"
    )
    r = extract_code(reply, "c", "f")
    assert "main" not in r.code and "static int after(void)" in r.code and "void f(float *a" in r.code
    assert r.repaired == ["dropped a test main()"]
    # a program (no function asked for) keeps its main; so does a reply whose only code is main
    assert "main" in extract_code(reply, "c").code
    only_main = "```c\nint main(void) { return 0; }\n```"
    assert "main" in extract_code(only_main, "c", "f").code


def repaired_c(reply: str, name: str, repairs: list[str]) -> str:
    """The code extracted from a C ``reply`` asked for function ``name``, after checking the repairs it reports."""
    from mapforge.agents.parsing import extract_code

    r = extract_code(reply, "c", name)
    assert r.repaired == repairs
    return r.code


def test_c_helpers_with_external_linkage_become_static() -> None:
    from mapforge.agents.parsing import extract_code

    reply = ("```c\n#include <stdlib.h>\nfloat helper(const float *x, int i) {\n    return x[i] * 2.0f;\n}\n"
             "static int ok(void) { return 1; }\nunsigned int *other(int n) { return 0; }\n"
             "void f(float *a, const float *x, int n) {\n    for (int i = 0; i < n; i++) a[i] = helper(x, i);\n}\n```")
    code = repaired_c(reply, "f", ["made helper(s) helper, other static"])
    assert "static float helper(const float *x" in code and "static unsigned int *other(int n)" in code
    assert "\nvoid f(float *a" in code and "static static" not in code
    assert extract_code(reply.replace("```c\n", "```cpp\n"), "cpp", "f").repaired == []  # C++: left alone


def test_the_asked_for_function_declared_static_is_made_external() -> None:

    reply = ("```c\n#include <math.h>\nstatic inline float sq(float x) { return x * x; }\n"
             "static void s1213(float* a, float* b, const float* c, int n) {\n"
             "    for (int i = 1; i < n; i++) a[i] = sq(b[i - 1]) + c[i];\n}\n```")
    code = repaired_c(reply, "s1213", ["removed static from s1213()"])
    assert "\nvoid s1213(float* a" in code and "static inline float sq" in code
    # a static prototype would keep the definition internal, and a C99 inline definition emits no symbol
    proto = "```c\nstatic void f(int n);\nvoid f(int n) { (void)n; }\n```"
    assert repaired_c(proto, "f", ["removed static from f()"]).startswith("void f(int n);\nvoid f(int n) {")
    inline = "```c\nstatic inline void f(int n) { (void)n; }\n```"
    assert repaired_c(inline, "f", ["removed static from f()"]).startswith("void f(int n) {")


def test_helpers_made_static_keep_compiling_with_their_prototypes(tmp_path: Path) -> None:
    """Every repaired C reply must still compile to an object exporting the asked-for function only."""
    import subprocess

    reply = ("```c\nint helper(int x);\nunsigned twice(unsigned);\nstatic inline int sq(int x) { return x * x; }\n"
             "int f(int n) { return helper(n) + (int)twice(2u) + sq(n); }\n"
             "int helper(int x) { return x + 1; }\nunsigned twice(unsigned u) { return 2u * u; }\n```")
    code = repaired_c(reply, "f", ["made helper(s) helper, twice static"])
    (tmp_path / "c.c").write_text(code)
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Werror", "-c", "c.c", "-o", "c.o"], cwd=tmp_path, check=True)
    syms = subprocess.run(["nm", "--defined-only", "-g", "c.o"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert [line.split()[-1] for line in syms.splitlines()] == ["f"]


# -- replies the model did not end itself --------------------------------------------------------------------

LOOPING = ("```c\nstatic void s1244_loop1(float *a, int n) {\n    for (int i = 0; i < n; i++) a[i] += 1;\n}\n\n"
           "static void s1244_loop2(float *a, int n) {\n    for (int i = 0; i < n; i++) a[i] += 1;\n}\n\n"
           "static void s1244_loop3(float *a, int n) {\n    for (int i")
WHOLE = "```c\nvoid s1244(float *a, int n) {\n    for (int i = 0; i < n; i++) a[i] += 1;\n}\n```"


@pytest.mark.parametrize(("code", "language", "why"), [
    ("void s1244(float *a, int n) {\n    for (int i = 0; i < n; i++) {\n", "c", "2 braces still open"),
    ("static void helper(void) { }\n", "c", "never wrote s1244()"),
    ("def s1244(a):\n    return [x +\n", "python", "mid-statement"),
    ('void s1244(float *a) { const char *s = "{"; /* { */ a[0] = 1; }\n', "c", None),  # literals are not code
    ("def s1244(a):\n    return a\n", "python", None),
])
def test_unfinished_says_why_code_is_not_whole(code: str, language: str, why: str | None) -> None:
    from mapforge.agents.parsing import CodeReply, unfinished

    got = unfinished(CodeReply(language=language, code=code), "s1244")
    assert (got is None) if why is None else (got is not None and why in got)


def _llm(tmp_path: Path, replies: list[object], role: str = "coder"):  # type: ignore[no-untyped-def]
    from mapforge.agents.llm import LLM
    from mapforge.config import load_config
    from mapforge.models.scripted import ScriptedModel
    from tests.helpers import NoCallStore

    script = tmp_path / "s.json"
    script.write_text(json.dumps({"replies": {role: replies}}))
    seen: list[tuple[list[dict[str, str]], float]] = []
    config = load_config(None, {"model": {"retry_temperature": 0.9}})
    llm = LLM(config, NoCallStore(), lambda name: ScriptedModel(script),  # type: ignore[arg-type]
              on_call=lambda req, _c, _cached: seen.append((req.messages, req.temperature)))
    return llm, seen


def test_a_reply_cut_off_before_its_function_is_asked_again_afresh_and_warmer(tmp_path: Path) -> None:
    """The 1.5B model at temperature 0 wrote s1244_loop1 ... _loop7 until its loop guard cut it off, and never
    s1244: that reply is not judged (and not quoted back, which costs its tokens and invites the same loop);
    the same request goes again at model.retry_temperature."""
    from mapforge.agents.parsing import ask_code

    llm, seen = _llm(tmp_path, [{"text": LOOPING, "finish_reason": "repetition"}, WHOLE])
    messages = [{"role": "user", "content": "write s1244"}]
    code = ask_code(llm, "coder", messages, "c", "s1244", repairs=1, temperature=0.0)
    assert code is not None and code.startswith("void s1244(")
    assert [m for m, _ in seen] == [messages, messages]  # afresh: the cut reply is not in the second request
    assert [t for _, t in seen] == [0.0, 0.9]
    assert llm.usage.roles["coder"].format_repairs == 1 and llm.usage.roles["coder"].format_failures == 0


def test_a_cut_off_reply_whose_code_is_whole_is_used_and_an_ended_one_is_left_to_the_harness(tmp_path: Path) -> None:
    """Only a reply the model did not end and whose code is not whole is asked again: a reply that stopped at
    the limit in its closing prose is used, and one the model ended without the function is judged (its
    verdict, 'does not define the required function', is the feedback)."""
    from mapforge.agents.parsing import ask_code

    llm, seen = _llm(tmp_path, [{"text": WHOLE + "\nThis version adds one to", "finish_reason": "length"},
                                {"text": LOOPING + "\n}\n```", "finish_reason": "stop"}])
    messages = [{"role": "user", "content": "write s1244"}]
    assert (ask_code(llm, "coder", messages, "c", "s1244", repairs=1) or "").startswith("void s1244(")
    assert "s1244_loop3" in (ask_code(llm, "coder", messages, "c", "s1244", repairs=1) or "")
    assert len(seen) == 2 and llm.usage.roles["coder"].format_repairs == 0


def test_a_reply_cut_off_twice_is_a_format_failure(tmp_path: Path) -> None:
    from mapforge.agents.parsing import ask_code

    llm, seen = _llm(tmp_path, [{"text": LOOPING, "finish_reason": "repetition"},
                                {"text": LOOPING, "finish_reason": "length"}])
    assert ask_code(llm, "coder", [{"role": "user", "content": "write s1244"}], "c", "s1244", repairs=1) is None
    assert len(seen) == 2 and llm.usage.roles["coder"].format_failures == 1


def test_the_code_generation_bench_asks_a_cut_off_reply_again_too(tmp_path: Path) -> None:
    """The bench's direct arm (and MapCoder's coder, through the same call) does not grade a reply the loop
    guard cut off mid-function: it asks again afresh, and grades the whole answer."""
    from mapforge.bench.arms import Settings, run_arm
    from mapforge.bench.mapcoder import Memory
    from mapforge.tasks.loader import load_task

    task = load_task(Path(__file__).resolve().parents[2] / "tasks" / "balanced-brackets")
    cut = "```python\ndef is_balanced(text: str) -> bool:\n    stack = []\n    for ch in text:\n        if ch in"
    whole = "```python\ndef is_balanced(text: str) -> bool:\n    return text.count('(') == text.count(')')\n```"
    llm, seen = _llm(tmp_path, [{"text": cut, "finish_reason": "repetition"}, whole], role="direct")
    answer = run_arm("direct", task, llm, lambda src: None, Settings(repairs=1), Memory())  # type: ignore[arg-type,return-value]
    assert answer.source is not None and "text.count" in answer.source
    assert len(seen) == 2 and seen[0][0] == seen[1][0]  # afresh: the cut reply is not quoted back
    assert llm.usage.roles["direct"].format_repairs == 1


def test_c_headers_by_their_cpp_names_are_included_by_their_c_names(tmp_path: Path) -> None:
    import subprocess

    reply = ("```c\n#include <cmath>\n#include <libm.h>\n# include <cstdlib>\n#include <string.h>\n"
             "void f(float *a, int n) {\n    for (int i = 0; i < n; i++) a[i] = sqrtf(fabsf(a[i]));\n}\n```")
    code = repaired_c(reply, "f", ["included <math.h> for <cmath>, <stdlib.h> for <cstdlib>, <math.h> for <libm.h>"])
    assert code.startswith("#include <math.h>\n#include <math.h>\n# include <stdlib.h>\n#include <string.h>\n")
    (tmp_path / "c.c").write_text(code)
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Werror", "-c", "c.c"], cwd=tmp_path, check=True)
    from mapforge.agents.parsing import extract_code

    assert extract_code(reply.replace("```c\n", "```cpp\n"), "cpp", "f").repaired == []  # C++ has them


def test_code_using_vector_intrinsics_without_their_header_gets_it(tmp_path: Path) -> None:
    import subprocess

    reply = ("```c\nvoid f(float *a, int n) {\n    int i = 0;\n    for (; i + 8 <= n; i += 8) {\n"
             "        __m256 v = _mm256_loadu_ps(a + i);\n        _mm256_storeu_ps(a + i, _mm256_add_ps(v, v));\n    }\n"
             "    for (; i < n; i++) a[i] += a[i];\n}\n```")
    code = repaired_c(reply, "f", ["included <immintrin.h> for the intrinsics"])
    assert code.startswith("#include <immintrin.h>\nvoid f(")
    (tmp_path / "c.c").write_text(code)
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-mavx", "-Wall", "-Werror", "-c", "c.c"], cwd=tmp_path, check=True)
    with_header = reply.replace("```c\n", "```c\n#include <xmmintrin.h>\n")
    assert repaired_c(with_header, "f", []).startswith("#include <xmmintrin.h>\n")  # its own header kept
    assert repaired_c("```c\nvoid f(int n) { int _mm = n; (void)_mm; }\n```", "f", []) == \
        "void f(int n) { int _mm = n; (void)_mm; }\n"
