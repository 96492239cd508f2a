"""Math functions gcc can vectorise: a loop that gcc keeps scalar because it calls ``expf`` rewritten to call an
inline version written in arithmetic and bit operations alone; for the functions this module has, and nothing for
the rest.

Without ``-ffast-math`` (``-fno-math-errno``), gcc 12 vectorises no call of libm's ``expf``: the call may set
``errno``, so it "clobbers memory", and the whole loop stays scalar. The inline version has no call, no branch
and no ``errno``: it reduces ``x`` to ``k ln 2 + r`` (``k`` rounded to nearest by adding and subtracting
``1.5 * 2^23``, ``ln 2`` in two parts, as Cephes does), evaluates Cephes' degree-7 polynomial for ``e^r``, and
scales by ``2^k`` in two steps (so subnormal results come out too); overflow (``inf``), underflow (``0``) and
NaN are chosen by bit masks. Every float checked against glibc's ``expf`` (one in 61 of all 2^32 bit patterns)
is within 2 ulp of it, with the same infinities, zeros and NaNs (tests/unit/test_mathcalls.py runs the check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import body_of, split_header

#: The inline definitions, by the libm function each stands in for; ``{name}`` is the new function's name.
DEFINITIONS = {
    "expf": """static inline float {name}(float x)
{{
    /* e^x without a call: x = k ln2 + r, e^r by Cephes' polynomial, times 2^k; inf, 0 and NaN by masks */
    unsigned xb, big = -(unsigned)(x > 88.7228394f), small = -(unsigned)(x < -103.972084f), nan = -(unsigned)(x != x);
    __builtin_memcpy(&xb, &x, sizeof xb);
    unsigned cb = (xb & ~(big | small | nan)) | (0x42b17218u & big) | (0xc2cff1b5u & small);
    float c;
    __builtin_memcpy(&c, &cb, sizeof c);
    float k = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = c - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int ki = (int)k;
    unsigned s1b = (unsigned)(ki / 2 + 127) << 23, s2b = (unsigned)(ki - ki / 2 + 127) << 23;
    float s1, s2, y;
    __builtin_memcpy(&s1, &s1b, sizeof s1);
    __builtin_memcpy(&s2, &s2b, sizeof s2);
    y = p * s1 * s2;
    unsigned yb;
    __builtin_memcpy(&yb, &y, sizeof yb);
    yb = (yb & ~(big | small | nan)) | (0x7f800000u & big) | (xb & nan);
    __builtin_memcpy(&y, &yb, sizeof y);
    return y;
}}
""",
}

#: A preprocessor line, and what may open a C file before its first declaration: blank lines and comments.
_DIRECTIVE = re.compile(r"^[ \t]*#[^\n]*\n?", re.M)
_COMMENTS = re.compile(r"(?:\s*(?:/\*.*?\*/|//[^\n]*))*\n?", re.S)


def _call(function: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.>]){re.escape(function)}(?=\s*\()")


@dataclass(frozen=True)
class Inlined:
    """A loop whose calls are replaced: the new loop, its first and last lines (1-based), the source after it, the
    functions replaced (libm's names), and the definitions to put before the code."""

    code: str
    lines: tuple[int, int]
    after: str
    functions: tuple[str, ...]
    definitions: str

    def whole(self, spliced: str) -> str:
        """``spliced`` (the source with the loop replaced) with the definitions after its last preprocessor line
        before the first brace, or after its opening comments when it has none."""
        brace = spliced.find("{")
        directives = [d for d in _DIRECTIVE.finditer(spliced) if brace < 0 or d.start() < brace]
        end = directives[-1].end() if directives else _COMMENTS.match(spliced).end()  # type: ignore[union-attr]
        return spliced[:end] + ("\n" if end else "") + self.definitions + "\n" + spliced[end:]


def inline_calls(source: str, line: int) -> Inlined | None:
    """The ``for`` loop starting on ``line`` (1-based), braced or not, with its calls of the functions in
    :data:`DEFINITIONS` renamed to inline versions, or None when it calls none of them."""
    lines = source.splitlines()
    if not 0 < line <= len(lines) or not lines[line - 1].lstrip().startswith("for"):
        return None
    text = "\n".join(lines[line - 1:]).lstrip()
    got = split_header(text)
    body = None if got is None else body_of(got[1])
    if got is None or body is None:
        return None
    after = body[1]
    loop = text[:len(text) - len(after)]
    functions = tuple(f for f in DEFINITIONS if _call(f).search(loop))
    if not functions:
        return None
    indent = lines[line - 1][:len(lines[line - 1]) - len(lines[line - 1].lstrip())]
    code = "\n".join(t[len(indent):] if t.startswith(indent) else t for t in loop.split("\n"))
    taken = set(re.findall(r"\b[A-Za-z_]\w*\b", source))
    definitions = []
    for f in functions:
        name = f"mf_{f}"
        while name in taken:
            name += "_"
        definitions.append(DEFINITIONS[f].format(name=name))
        code = _call(f).sub(name, code)
    return Inlined(code, (line, line + loop.count("\n")), after, functions, "\n".join(definitions))
