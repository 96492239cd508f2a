"""What a job refuses to evaluate, and how far apart two programs are.

- :func:`normalise`: a source without comments and with whitespace collapsed; two candidates with the
  same normal form are the same candidate (judged once).
- :func:`code_key`: the normal form without its system ``#include`` lines: a candidate that compiled is not
  made new by more includes (the small model's favourite "repair").
- :func:`unchanged_function`: a candidate whose asked-for function is the reference's, token for token (and
  calls none of the candidate's own functions), is the reference again, however much it added around it.
- :class:`JudgedCode` also asks the evaluator, where it can say, what a candidate compiles to: code new in
  its text only (braces added, a variable renamed, an unused helper beside the reference's loop) compiles to
  the same machine code as code already judged, and is that code again.
- :func:`exemplar_copy`: a candidate that is an exemplar's own code (its function, under its own name, or
  the exemplar's code nearly token for token) is caught before evaluation, with a message that says so.
- :func:`similarity`: Jaccard similarity of token 4-grams, for novelty (ShinkaEvolve rejects a child too
  close to what the archive holds; here it also weights parent choice).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d[\w.]*|\S")
_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)
_DEF = re.compile(r"^[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{)]*\)\s*\{", re.M)
_KEYWORDS = frozenset("if for while switch return sizeof".split())
# a system header line, except <tgmath.h> (it turns math calls type-generic, so it can change results)
_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<(?!tgmath\.h>)[^>\n]*>[ \t]*$", re.M)


def normalise(source: str) -> str:
    """Comments removed, runs of whitespace collapsed: formatting and comments do not make code new."""
    text = _COMMENT.sub(" ", source)
    return " ".join(text.split())


def source_key(source: str) -> str:
    return hashlib.sha256(normalise(source).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def code_key(source: str) -> str:
    """:func:`source_key` of the source without its system ``#include`` lines. Only for code that compiled: a
    missing include can be why code does not compile, but more includes do not change what compiled code does."""
    return source_key(_INCLUDE.sub("", source))


def tokens(source: str) -> list[str]:
    return _TOKEN.findall(normalise(source))


@lru_cache(maxsize=512)
def _shingles(source: str, n: int = 4) -> frozenset[tuple[str, ...]]:
    toks = tokens(source)
    return frozenset(tuple(toks[i:i + n]) for i in range(max(len(toks) - n + 1, 1)))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two sources' token 4-grams: 1.0 identical, ~0 unrelated."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def defined_functions(source: str) -> set[str]:
    """Names of the functions a C/C++ source defines (a heuristic good enough for model replies)."""
    return {m.group(1) for m in _DEF.finditer(_COMMENT.sub(" ", source)) if m.group(1) not in _KEYWORDS}


def definition_tokens(source: str, name: str) -> list[str] | None:
    """The tokens of the definition of function ``name`` in a C/C++ source (signature and body, braces
    matched), or None when it is not defined there."""
    text = _COMMENT.sub(" ", source)
    for m in _DEF.finditer(text):
        if m.group(1) != name:
            continue
        depth = 0
        for i in range(m.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                return _TOKEN.findall(text[m.start():i + 1])
        return None
    return None


def unchanged_function(source: str, reference: str, name: str) -> bool:
    """Whether ``source`` defines ``name`` exactly as ``reference`` does (token for token, so formatting,
    comments and added unused code do not count), calling none of the functions ``source`` defines, and with
    no preprocessor line but ``#include`` (a pragma or a macro may change what the same tokens compile to)."""
    ours = definition_tokens(source, name)
    if ours is None or ours != definition_tokens(reference, name):
        return False
    if any(line.strip().startswith("#") and not line.strip().startswith("#include")
           for line in _COMMENT.sub(" ", source).splitlines()):
        return False
    return not (defined_functions(source) - {name}) & set(ours)


def code_blocks(text: str) -> list[str]:
    return [b for b in _FENCE.findall(text) if b.strip()]


def exemplar_copy(source: str, exemplars: list[tuple[str, str]], function: str | None,
                  threshold: float = 0.8) -> str | None:
    """Why ``source`` is an exemplar's code rather than a solution of this task, or None.

    ``exemplars`` are (title, text) pairs whose fenced code blocks are compared. A candidate is a copy when
    it defines an exemplar's function without defining ``function``, or when its tokens match one of the
    exemplar's code blocks almost exactly (``threshold`` of 4-gram Jaccard similarity)."""
    ours = defined_functions(source)
    for title, text in exemplars:
        for block in code_blocks(text):
            theirs = defined_functions(block) - ({function} if function else set())
            shared = sorted(ours & theirs)
            if shared and (function is None or function not in ours):
                return (f"this is the code of the exemplar '{title}' (it defines {', '.join(shared)}, the "
                        f"exemplar's own function{'s' if len(shared) > 1 else ''}), not an implementation of "
                        f"{function or 'the task'}: apply the technique to this task's code instead")
            sim = similarity(source, block)
            if sim >= threshold:
                return (f"this is the exemplar '{title}''s code nearly token for token ({sim:.0%} alike), not "
                        f"code written for this task: apply the technique to this task's code instead")
    return None


class JudgedCode:
    """What a job has judged, so that no code is evaluated twice: one place for every rule of "the same code".

    A source is the same as judged code when it has the same normal form (:func:`source_key`); for C and C++
    optimisation tasks also when it differs from judged code that compiled only in its system includes
    (:func:`code_key`), and when its asked-for function is the reference's token for token
    (:func:`unchanged_function`), and when it compiles to the same machine code as judged code that compiled
    (``machine_code``, the evaluator's, e.g. :meth:`OptimizeEvaluator.machine_code`; None where it cannot
    say). Code is claimed when it is accepted for evaluation, so a second copy in the same round is caught
    too, and forgotten when the harness (not the code) failed."""

    def __init__(self, reference: str, function: str | None, compiled_rules: bool,
                 machine_code: Callable[[str], str | None] | None = None) -> None:
        self.reference, self.function, self.compiled_rules = reference, function, compiled_rules
        self._seen: dict[str, str] = {source_key(reference): "the reference"}
        self._built: dict[str, str] = {code_key(reference): "the reference"} if compiled_rules and reference else {}
        self._machine_code = machine_code if compiled_rules and reference else None
        self._compiled: dict[str, str | None] = {}
        """Machine code by source key, each source compiled once."""
        self._machine: dict[str, str] | None = None
        """Judged machine code, and where it was judged (the reference's added when first needed)."""

    def _code(self, source: str) -> str | None:
        key = source_key(source)
        if key not in self._compiled and self._machine_code is not None:
            self._compiled[key] = self._machine_code(source)
        return self._compiled.get(key)

    def _same_machine_code(self, source: str) -> str | None:
        if self._machine_code is None:
            return None
        if self._machine is None:
            ref = self._code(self.reference)
            self._machine = {ref: "the reference"} if ref is not None else {}
        code = self._code(source)
        return None if code is None else self._machine.get(code)

    def where(self, source: str) -> str | None:
        """Where the same code was judged, in words for the model, or None for new code."""
        where = self._seen.get(source_key(source))
        if where is not None or not self.compiled_rules:
            return where
        built = self._built.get(code_key(source))
        if built is not None:
            return f"{built}, the same code but for its #include lines"
        if self.function and self.reference and unchanged_function(source, self.reference, self.function):
            return (f"the reference: its {self.function} is the reference's own, token for token, so the plan was "
                    "not applied")
        same = self._same_machine_code(source)
        if same is not None:
            return (f"{same}: its {self.function or 'code'} compiles to the same machine code, so whatever was "
                    "changed, the compiler emits the same program")
        return None

    def claim(self, source: str, label: str) -> None:
        self._seen[source_key(source)] = label

    def judged(self, source: str, label: str, compiled: bool) -> None:
        self._seen[source_key(source)] = label
        if compiled and self.compiled_rules:
            self._built[code_key(source)] = label
            code = self._compiled.get(source_key(source))
            if code is not None and self._machine is not None:
                self._machine.setdefault(code, label)

    def forget(self, source: str) -> None:
        label = self._seen.pop(source_key(source), None)
        if label is not None and self._built.get(code_key(source)) == label:
            del self._built[code_key(source)]
        code = self._compiled.get(source_key(source))
        if label is not None and code is not None and self._machine and self._machine.get(code) == label:
            del self._machine[code]
