"""Turning model replies into typed outputs, and asking again (bounded) when a reply is unusable."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from mapforge.agents.llm import LLM

T = TypeVar("T")

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_LANG_ALIASES = {
    "c": {"c", "h"},
    "cpp": {"cpp", "c++", "cxx", "cc", "hpp"},
    "python": {"python", "py", "python3"},
}


class ParseError(ValueError):
    """A reply that holds no usable output; the message is quoted back to the model."""


class Plan(BaseModel):
    title: str = Field(min_length=1)
    bottleneck: str = Field(min_length=1)
    """What limits the current code, per the profile and the code."""
    approach: str = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)
    parent: str | None = None
    """The code the plan was written for (``reference`` or a candidate id): the analyst's plans read one
    code's profile. None, as for every planner's plan, lets the population choose the parent."""
    temperature: float | None = None
    """The coder's temperature for this plan (None: the coder's own). The analyst's plans prescribe a code
    shape, which is followed, not explored."""
    code: str | None = None
    """The whole code, where the analyst wrote it out (the parent's source with one loop or nest rewritten).
    With ``agents.analyst_writes`` it is evaluated as it is, with no coder call."""


class CodeReply(BaseModel):
    language: str
    code: str
    repaired: list[str] = Field(default_factory=list)
    """Format repairs made to the reply's code (e.g. a test ``main`` dropped), for the format-failure count."""


_MAIN = re.compile(r"^[ \t]*(?:static\s+)?(?:int|void)\s+main\s*\([^)]*\)\s*\{", re.M)


def _outside_literals(code: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of the C/C++ source's characters from ``start`` that lie outside comments, strings
    and character literals."""
    i, n = start, len(code)
    while i < n:
        ch = code[i]
        if code.startswith("//", i):
            i = code.find("\n", i)
            i = n if i < 0 else i
            continue
        if code.startswith("/*", i):
            j = code.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if ch in "\"'":
            j = i + 1
            while j < n and code[j] != ch:
                j += 2 if code[j] == "\\" else 1
            i = j + 1
            continue
        yield i, ch
        i += 1


def drop_main(code: str) -> str | None:
    """The C/C++ source without its top-level ``main`` definition (a small model's test driver), or None
    when there is none. Braces are matched outside strings, characters and comments."""
    m = _MAIN.search(code)
    if m is None:
        return None
    depth = 0
    for i, ch in _outside_literals(code, m.end() - 1):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return (code[:m.start()] + code[i + 1:]).strip() + "\n"
    return None


def unfinished(reply: CodeReply, function: str | None) -> str | None:
    """Why a reply's code is not whole (a brace left open, a Python statement cut in two, the asked-for
    function never written), or None. Asked only of a reply the model did not end itself (``CUT_OFF``): a
    reply that ended of its own accord and lacks the function is judged, and its verdict says so."""
    if reply.language == "python":
        try:
            ast.parse(reply.code)
        except SyntaxError:
            return "its code stops mid-statement"
    else:
        depth = sum({"{": 1, "}": -1}.get(ch, 0) for _, ch in _outside_literals(reply.code))
        if depth > 0:
            return f"its code stops with {depth} brace{'s' if depth > 1 else ''} still open"
    if function and not re.search(rf"\b{re.escape(function)}\s*\(", reply.code):
        return f"it never wrote {function}()"
    return None


def extract_code(text: str, language: str, must_contain: str | None = None) -> CodeReply:
    """The code in a reply: the longest fenced block in ``language`` (or untagged), else bare code."""
    ok_tags = _LANG_ALIASES.get(language, {language}) | {""}
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(text)]
    usable = [body for tag, body in blocks if tag in ok_tags]
    if must_contain:
        with_fn = [b for b in usable if re.search(rf"\b{re.escape(must_contain)}\s*\(", b)]
        usable = with_fn or usable
    if usable:
        code = max(usable, key=len).strip()
        if code:
            return _tidy(CodeReply(language=language, code=code + "\n"), must_contain)
    if blocks:
        raise ParseError(
            f"the reply's code blocks are tagged {sorted({t or 'untagged' for t, _ in blocks})}, "
            f"expected one ```{language} block"
        )
    stripped = text.strip()
    looks_like_code = bool(re.search(r"[;{}]\s*$", stripped, re.M)) if language != "python" else "def " in stripped
    if looks_like_code and (must_contain is None or must_contain in stripped):
        return _tidy(CodeReply(language=language, code=stripped + "\n"), must_contain)
    raise ParseError(f"the reply holds no code: put the whole program in one ```{language} fenced block")


_C_HEAD = (r"^(?!static\b|extern\b|typedef\b|struct\b|union\b|enum\b|return\b|else\b|if\b)"
           r"((?:const\s+|unsigned\s+|signed\s+|inline\s+)*[A-Za-z_]\w*[\s*]+)([A-Za-z_]\w*)(\s*\([^;{)]*\)\s*")
#: A C function definition starting at column 0: return type (no storage class), name, parameters, brace.
_C_DEF = re.compile(_C_HEAD + r"\{)", re.M)
#: ... and a declaration (prototype) of one.
_C_DECL = re.compile(_C_HEAD + r";)", re.M)


#: Headers a small model includes in C that do not exist there: C++'s names of C's headers, and a made-up one
#: for libm (10 of 62 compile errors in the held-out runs of bench/RESULTS.md, seventeenth session).
_C_HEADERS = {**{f"c{name}": f"{name}.h" for name in ("math", "stdlib", "string", "stdio", "float", "limits",
                                                        "stdint", "stddef", "assert", "stdbool")},
              "libm.h": "math.h"}
_INCLUDE = re.compile(r"^([ \t]*#[ \t]*include[ \t]*<)([\w.]+)(>)", re.M)
_INTRINSICS = re.compile(r"\b(?:_mm(?:256|512)?_\w+\s*\(|__m(?:128|256|512)[di]?\b)")
_INTRINSICS_HEADER = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<\w*intrin\.h>", re.M)


def _tidy(reply: CodeReply, function: str | None) -> CodeReply:
    """Format repairs that never change what the asked-for function computes, for a C/C++ reply that was
    asked for one function (not a program): the test ``main`` small models add is dropped, ``static`` is removed
    from the asked-for function's definition, and (C) helper functions defined with external linkage are made
    ``static``, headers that do not exist in C are included by their C names, and code that uses x86 vector
intrinsics without their header gets ``<immintrin.h>``."""
    if reply.language not in ("c", "cpp") or not function or function == "main":
        return reply
    code, repaired = reply.code, []
    without = drop_main(code)
    if without is not None and re.search(rf"\b{re.escape(function)}\s*\(", without):
        code, repaired = without, ["dropped a test main()"]
    # the asked-for function declared or defined static (static inline too: a C99 inline definition alone
    # emits no symbol either): nothing could call it
    made_static = re.compile(rf"^static\s+(?:inline\s+)?([^;{{}}()]*?\b{re.escape(function)}\s*\([^;{{]*\)\s*[{{;])", re.M)
    if made_static.search(code):
        code = made_static.sub(lambda m: m.group(1), code)
        repaired.append(f"removed static from {function}()")
    if reply.language == "c":
        wrong = sorted({m.group(2) for m in _INCLUDE.finditer(code) if m.group(2) in _C_HEADERS})
        if wrong:
            code = _INCLUDE.sub(lambda m: m.group(1) + _C_HEADERS.get(m.group(2), m.group(2)) + m.group(3), code)
            repaired.append("included " + ", ".join(f"<{_C_HEADERS[h]}> for <{h}>" for h in wrong))
        if _INTRINSICS.search(code) and not _INTRINSICS_HEADER.search(code):
            code = "#include <immintrin.h>\n" + code
            repaired.append("included <immintrin.h> for the intrinsics")
        helpers = [m.group(2) for m in _C_DEF.finditer(code) if m.group(2) not in (function, "main")]
        if helpers:  # their prototypes too: static after a non-static declaration does not compile
            for pattern in (_C_DEF, _C_DECL):
                code = pattern.sub(lambda m: "static " + m.group(0) if m.group(2) in helpers else m.group(0), code)
            repaired.append(f"made helper(s) {', '.join(helpers[:4])} static")
    return CodeReply(language=reply.language, code=code, repaired=repaired) if repaired else reply


class Score(BaseModel):
    """A confidence in [0, 1] from a verification reply."""

    value: float = Field(ge=0, le=1)
    repaired: list[str] = Field(default_factory=list)


_CONF_LINE = re.compile(r"^[\W_]*confidence\b[^:=\n]{0,20}[:=]\W*(\d{1,3}(?:\.\d+)?)\s*(%?)", re.I | re.M)
_CONF = re.compile(r"confidence[^0-9\n]{0,20}(\d{1,3}(?:\.\d+)?)\s*(%?)", re.I)
_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s*(%?)(?![\w.])")
_PLACEHOLDER = re.compile(r"^[\W_]*confidence\W*[:=]\W*[A-Za-z]\W*$", re.I | re.M)  # `Confidence: N`, copied
_NO = re.compile(r"\b(?:incorrect|not|isn't|wrong|won't|cannot|can't|doesn't|never|fails?|unlikely|no speedup|"
                 r"slower)\b", re.I)
_YES = re.compile(r"\b(?:correct(?:ly)?|will work|works|solves?|ensures?|likely|faster|speeds? up)\b", re.I)


def parse_confidence(text: str) -> Score:
    """A confidence from a line 'Confidence: 80' (or '80%', '0.8'; the last such line), else from 'confidence'
    followed by a number anywhere, else from a bare number ending the reply. A reply that states no number but
    a verdict in words (small models often end with "The plan is correct ...", or copy the prompt's
    `Confidence: N` and say why in words) is read from its last sentence that gives one, as 0.75 or 0.25 (a
    negation wins), marked repaired; anything else is a ParseError."""
    last_line = text.strip().splitlines()[-1].strip(" *.`") if text.strip() else ""
    found = (_CONF_LINE.findall(text) or _CONF.findall(text)
             or (_NUM.findall(last_line) if len(last_line) <= 8 else []))
    if found:
        value, pct = found[-1]
        x = float(value)
        if x <= 1.0 and not pct and "." in value:
            x *= 100
        if not 0 <= x <= 100:
            raise ParseError(f"confidence {value} is not between 0 and 100")
        return Score(value=x / 100)
    prose = _PLACEHOLDER.sub("", text).strip()
    for sentence in reversed([t for t in re.split(r"(?<=[.!?])\s+", prose) if t.strip()]):
        if _NO.search(sentence):
            return Score(value=0.25, repaired=["confidence read from words (negative)"])
        if _YES.search(sentence):
            return Score(value=0.75, repaired=["confidence read from words (positive)"])
    if _PLACEHOLDER.search(text):
        raise ParseError("your reply says `Confidence: N` with the letter N: write a number from 0 (surely wrong) "
                         "to 100 (surely right) in its place, e.g. `Confidence: 35`")
    raise ParseError("no confidence found: end with one line `Confidence: ` and a number from 0 (surely wrong) to "
                     "100 (surely right)")


def _json_candidates(text: str) -> list[str]:
    out = [body for tag, body in _FENCE.findall(text) if tag.lower() in ("json", "")]
    m = re.search(r"(\[.*\]|\{.*\})", text, re.S)
    if m:
        out.append(m.group(1))
    return out


def parse_plans(text: str, limit: int) -> list[Plan]:
    """Plans from a JSON list (fenced or bare) of objects with title, bottleneck, approach, confidence."""
    errors = []
    for blob in _json_candidates(text):
        try:
            data = json.loads(blob)
        except json.JSONDecodeError as e:
            errors.append(f"invalid JSON: {e}")
            continue
        if isinstance(data, dict):
            data = data.get("plans", [data])
        if not isinstance(data, list) or not data:
            errors.append("expected a JSON list of plans")
            continue
        try:
            # a model's plan names no parent or temperature, whatever its JSON says: the analyst's plans do
            plans = [Plan.model_validate(p).model_copy(update={"parent": None, "temperature": None}) for p in data]
        except ValidationError as e:
            first = e.errors()[0]
            errors.append(f"plan field {'.'.join(map(str, first['loc']))}: {first['msg']}")
            continue
        return plans[:limit]
    raise ParseError(errors[0] if errors else "no JSON list of plans found in the reply")


#: Finish reasons of a reply the model did not end itself: the reply limit reached (``length``), or a local
#: model's loop guard cut it off (``repetition``, ``models/local.py``).
CUT_OFF = {"length": "at the reply limit", "repetition": "repeating itself"}


def ask_parsed(
    llm: LLM, role: str, messages: list[dict[str, str]], parse: Callable[[str], T], repairs: int,
    temperature: float | None = None, unfinished: Callable[[T], str | None] | None = None,
) -> tuple[T | None, str]:
    """Ask, parse; on ParseError ask again (at most ``repairs`` times) quoting the error.

    A reply the model did not end itself (``CUT_OFF``) is unusable when it does not parse or ``unfinished``
    says why its output is not whole (the 1.5B model at temperature 0 wrote ``s1244_loop1`` ... ``_loop7``,
    identical, and never ``s1244``: judged, it was a rejection the debugger then paid to "repair"). Quoting such
    a reply back costs its tokens and invites the same loop, so it is asked again afresh, at
    ``model.retry_temperature``. Returns (parsed or None, last reply text). A final failure is counted as a
    format failure.
    """
    convo, temp = list(messages), temperature
    text = ""
    for attempt in range(repairs + 1):
        completion = llm.ask(role, convo, temp)
        text = completion.text
        cut = CUT_OFF.get(str(completion.extra.get("finish_reason")))
        try:
            got = parse(text)
            why = unfinished(got) if cut and unfinished is not None else None
            if why:
                raise ParseError(f"the reply was cut off {cut}: {why}")
            if getattr(got, "repaired", None):  # usable, but only after a local repair
                llm.usage.roles[role].local_repairs += 1
            return got, text
        except ParseError as e:
            if attempt == repairs:
                llm.usage.roles[role].format_failures += 1
                return None, text
            llm.usage.roles[role].format_repairs += 1
            if cut:
                convo, temp = list(messages), llm.config.model.retry_temperature
            else:
                convo = [*convo, {"role": "assistant", "content": text},
                         {"role": "user", "content": f"Your reply could not be used: {e}. Reply again, in the required format."}]
    return None, text


def ask_code(llm: LLM, role: str, messages: list[dict[str, str]], language: str, function: str | None,
             repairs: int, temperature: float | None = None) -> str | None:
    """The code of a coder's or debugger's reply (:func:`ask_parsed` with :func:`extract_code`), or None."""
    def parse(text: str) -> CodeReply:
        return extract_code(text, language, function)

    def whole(reply: CodeReply) -> str | None:
        return unfinished(reply, function)

    got: CodeReply | None = ask_parsed(llm, role, messages, parse, repairs, temperature, whole)[0]
    return got.code if got else None
