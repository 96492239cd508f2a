"""Math functions gcc can vectorise: a loop that gcc keeps scalar because it calls a libm function this module has
(``expf``, ``exp``, ``exp2f``, ``expm1f``, ``tanhf``, ``erff``, ``logf``, ``log2f``, ``log10f``, ``log1pf``,
``atanf``, ``atan2f``; ``floor``, ``ceil``, ``trunc``, ``round``, ``fmax``, ``fmin`` and ``pow`` to the constant 2, 3,
4 or -1, and their ``float`` versions; ``sinf`` and ``cosf`` where every argument is at most ``2^17`` in size)
rewritten to call an inline version written in arithmetic and bit operations alone; square roots taken a block at
a time; nothing for the rest.

Without ``-ffast-math``, gcc 12 vectorises no call of these functions. ``expf`` and the like may set ``errno``, so
the call "clobbers memory". ``floorf`` and the like have no ``errno``, but gcc expands them only as scalar
instructions (it would need ``-fno-trapping-math`` for the vector ones), and ``fmaxf`` stays a call for its NaN
and signed-zero rules. Either way the whole loop stays scalar. The inline versions have no call, no branch and
no ``errno``:

- ``expf`` and ``exp`` reduce ``x`` to ``k ln 2 + r`` (``k`` rounded to nearest by adding and subtracting
  ``1.5 * 2^23``, or ``2^52``; ``ln 2`` in two parts, as Cephes does), approximate ``e^r`` as Cephes does (a
  degree-7 polynomial for ``float``, a rational function for ``double``), and scale by ``2^k`` in two steps, so
  subnormal results come out too; overflow (``inf``), underflow (``0``) and NaN are chosen by bit masks;
- ``tanhf`` is Cephes' odd polynomial below ``|x| = 0.625``, and ``1 - 2 / (e^(2|x|) + 1)`` (the inline ``expf``)
  with the sign of ``x`` above, chosen by a mask;
- ``exp2f`` rounds ``x`` to an integer ``k`` the same way, takes ``e^r`` for ``r = (x - k) ln 2`` from the same
  polynomial (``x - k`` is exact) and scales by ``2^k``;
- ``expm1f`` takes ``e^r - 1 = r + r^2 p(r)`` from the same reduction and polynomial, then ``2^k (e^r - 1) +
  (2^k - 1)`` while ``2^k - 1`` is exact, ``e^r 2^k - 1`` above;
- ``log2f`` and ``log10f`` are the inline ``logf`` times ``log2 e`` or ``log10 e``; ``log1pf`` is ``log u`` for
  ``u = 1 + x``, times ``x / (u - 1)``, which puts back what the rounding of ``1 + x`` lost (``x`` where ``u`` is 1);
- ``erff`` is Cephes' ``x T(x^2)`` below ``|x| = 1`` and ``1 - e^(-x^2) / |x| P(1/x^2)`` from 1 (``R`` from 2;
  the inline ``expf``) with the sign of ``x``, chosen by masks;
- ``logf`` splits ``x`` into ``m 2^e`` from its bits (subnormals scaled first), ``m`` in ``[sqrt(1/2), sqrt(2))``,
  and adds Cephes' polynomial in ``m - 1`` to ``e ln 2`` (in two parts); zero, infinity, NaN and negative ``x``
  by masks;
- ``floor`` rounds ``x`` to an integer with ``rint`` (which gcc does vectorise; in any rounding mode the integer
  is within 1), subtracts 1 where it came out above ``x`` (a 1 or 0 chosen by a mask: gcc if-converts no
  arithmetic that may trap), and gives the result ``x``'s sign. ``ceil x = -floor(-x)``, ``trunc x`` is ``floor |x|`` with ``x``'s sign, and ``round`` adds 1 to it where the
  rest (exact) is at least 1/2;
- ``atanf`` and ``atan2f`` work in ``double``: the argument (for ``atan2f``, the smaller of ``|y|`` and ``|x|`` over
  the larger) reduced below tan pi/8 by ``(a - 1) / (a + 1)`` (adding pi/4) or ``-1 / a`` (adding pi/2), an odd
  polynomial fitted to atan, then the quadrant (pi/2 minus it, pi minus it) and the sign by masks, zeros and
  infinities as glibc's; within 1 ulp;
- ``pow(x, 3)`` and the like (the exponent a constant in the call) are products of ``x`` and ``x * x`` (``1 / x``
  for -1);
- ``sinf`` and ``cosf`` reduce ``x`` by the nearest multiple of pi/2 and approximate in ``double`` (:data:`RANGED`);
  a first pass over the arguments picks the loop as written where one is beyond ``2^17`` (or infinite, or NaN);
- ``fmax`` and ``fmin`` compare and select, the number when the other is NaN, ``y`` when they compare equal (as
  glibc's does for ``+0`` and ``-0``). A signalling NaN, which no arithmetic makes, counts as NaN: glibc's gives
  NaN for it.

A loop whose one statement assigns a choice with a call in an arm (``y[i] = x[i] > 0 ? x[i] : expm1f(x[i]);``, an
ELU, or the same written with ``if`` and ``else``) would still not vectorise: gcc moves the call's computation back into its arm, where it might trap. There both
arms are computed and the condition's picked by a bit mask (:func:`_hoisted`), when the arms read only elements the
condition or the assignment reads too.

A loop may call a static helper function of the code's own that calls functions of this module (a normal CDF with
an ``expf``, in Black-Scholes): the helper gets the inline versions too, its ``return c ? a : b;`` picks by a mask,
and it is made ``always_inline`` (:func:`_helpers`), or gcc may find it too large to inline and keep the loop
scalar.

``sqrtf`` and ``sqrt`` have no inline formula faster than the instruction, and gcc vectorises neither (errno). A
loop calling them (of one type), and otherwise only functions of this module, with a body that runs straight
through, is cut into blocks of :data:`BLOCK` iterations (:func:`_blocks`): the block's root arguments are computed
first, rooted all at once by the vector instruction (the same bits), and the block's iterations then read them;
a sum the iterations add into is kept in one lane per iteration of the block and added up after the blocks (so the
block's iterations carry nothing and vectorise); the leftover iterations run as before. Only where the arguments
read no array the body writes and no scalar it assigns.

Checked against glibc (tests/unit/test_mathcalls.py): within 2 ulp on every value sampled, with the same
infinities, zeros and NaNs; the rounding functions, ``fmax`` and ``fmin`` bit for bit (the rounding functions in
all four rounding modes).

Measured by ``python bench/mathcalls.py`` on the dev VM (Zen 1, 16-byte vectors; a loop over 65536 elements, the
inline and glibc's side by side, best of 200 alternated runs): ``expf`` 1.45x, ``exp`` 1.25x, ``tanhf`` 5.60x and
``logf`` 1.54x as fast as glibc's calls. A loop gcc still cannot vectorise (a ``double`` reduction of ``float``
loads) runs slower than with glibc's tuned scalar code; the harness judges each rewrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    ACCESS,
    IDENT,
    Bounds,
    any_loop_at,
    body_of,
    braced_body,
    declared_type,
    fresh,
    loop_bounds,
    parens,
    split_header,
)


@dataclass(frozen=True)
class Inline:
    """An inline definition: its C text, where ``{name}`` is its own name and ``{f}`` the name of each inline
    function ``f`` it calls (those it ``needs``, defined before it)."""

    text: str
    needs: tuple[str, ...] = ()


def _float_and_double(name: str, text: str, needs: tuple[str, ...] = ()) -> dict[str, Inline]:
    """A function in ``float`` (``name`` + ``f``) and in ``double`` (``name``) from one C text, in which ``@T@`` is
    the type, ``@U@`` the unsigned integer of its width, ``@F@`` the builtins' suffix (``f`` or nothing) and
    ``@need@`` the inline function ``need`` of the same type."""
    out = {}
    for suffix, kind, bits in (("f", "float", "unsigned"), ("", "double", "unsigned long long")):
        typed = text.replace("@T@", kind).replace("@U@", bits).replace("@F@", suffix)
        for need in needs:
            typed = typed.replace(f"@{need}@", "{" + need + suffix + "}")
        out[name + suffix] = Inline(typed, tuple(need + suffix for need in needs))
    return out


#: The float exponential's polynomial, Cephes': e^r = 1 + r + r^2 p(r) for |r| <= ln 2 / 2 (expf, expm1f, exp2f); and
#: its reduction, shared by expf and expm1f: from c, k = c / ln 2 rounded (adding and subtracting 1.5 * 2^23) and
#: r = c - k ln 2 (ln 2 in two parts).
_EXPF_POLYNOMIAL = """    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
"""
_EXPF_REDUCED = """    float k = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = c - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
""" + _EXPF_POLYNOMIAL


#: p times 2^k, in two steps (so subnormal results come out too), with inf, 0 and NaN chosen by the masks big, small
#: and nan: the end of expf and exp2f.
_TIMES_2K = """    int ki = (int)k;
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
"""


#: The inline definitions, by the libm function each stands in for.
#: atan r for |r| <= tan pi/8 in double, given r and z = r * r: r + r z P(z), P fitted (least squares on Chebyshev
#: points, weighted for atan's relative error) to (atan r / r - 1) / z; relative error below 3e-11.
_ATAN = ("r + r * z * (-0.3333333246849669 + z * (0.1999990178072872 + z * (-0.14281956632116907\n"
         "               + z * (0.11044137123109261 + z * (-0.08473484181127848 + z * 0.04738776808781963)))))")

DEFINITIONS = {
    "expf": Inline("""static inline float {name}(float x)
{{
    /* e^x without a call: x = k ln2 + r, e^r by Cephes' polynomial, times 2^k; inf, 0 and NaN by masks */
    unsigned xb, big = -(unsigned)(x > 88.7228394f), small = -(unsigned)(x < -103.972084f), nan = -(unsigned)(x != x);
    __builtin_memcpy(&xb, &x, sizeof xb);
    unsigned cb = (xb & ~(big | small | nan)) | (0x42b17218u & big) | (0xc2cff1b5u & small);
    float c;
    __builtin_memcpy(&c, &cb, sizeof c);
""" + _EXPF_REDUCED + """    p = p * r * r + r + 1.0f;
""" + _TIMES_2K + """}}
"""),
    "exp": Inline("""static inline double {name}(double x)
{{
    /* e^x without a call: x = k ln2 + r, e^r by Cephes' rational function, times 2^k; inf, 0 and NaN by masks */
    unsigned long long xb, big = -(unsigned long long)(x > 709.782712893383973),
                       small = -(unsigned long long)(x < -745.133219101941108), nan = -(unsigned long long)(x != x);
    __builtin_memcpy(&xb, &x, sizeof xb);
    unsigned long long cb = (xb & ~(big | small | nan)) | (0x40862e42fefa39efull & big)
                            | (0xc0874910d52d3052ull & small);
    double c;
    __builtin_memcpy(&c, &cb, sizeof c);
    double k = (c * 1.4426950408889634073599 + 6755399441055744.0) - 6755399441055744.0;
    double r = c - k * 6.93145751953125e-1;
    r = r - k * 1.42860682030941723212e-6;
    double rr = r * r;
    double p = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 9.99999999999999999910e-1);
    double q = ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr + 2.27265548208155028766e-1) * rr
               + 2.00000000000000000009e0;
    double e = 1.0 + 2.0 * (p / (q - p));
    double h = (k * 0.5 + 6755399441055744.0) - 6755399441055744.0; /* 2^k as 2^h 2^(k-h): subnormals too */
    double h2 = k - h;
    double hm = h + 6755399441055744.0, h2m = h2 + 6755399441055744.0, m = 6755399441055744.0;
    unsigned long long hb, h2b, mb;
    __builtin_memcpy(&hb, &hm, sizeof hb);
    __builtin_memcpy(&h2b, &h2m, sizeof h2b);
    __builtin_memcpy(&mb, &m, sizeof mb);
    unsigned long long s1b = (hb - mb + 1023) << 52, s2b = (h2b - mb + 1023) << 52;
    double s1, s2, y;
    __builtin_memcpy(&s1, &s1b, sizeof s1);
    __builtin_memcpy(&s2, &s2b, sizeof s2);
    y = e * s1 * s2;
    unsigned long long yb;
    __builtin_memcpy(&yb, &y, sizeof yb);
    yb = (yb & ~(big | small | nan)) | (0x7ff0000000000000ull & big) | (xb & nan);
    __builtin_memcpy(&y, &yb, sizeof y);
    return y;
}}
"""),
    "tanhf": Inline("""static inline float {name}(float x)
{{
    /* tanh x: Cephes' odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) with x's sign above; chosen by masks */
    float z = x * x;
    float p = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z
               - 3.33332819422e-1f) * z * x + x;
    unsigned xb, sign, big;
    __builtin_memcpy(&xb, &x, sizeof xb);
    sign = xb & 0x80000000u;
    big = -(unsigned)((xb & 0x7fffffffu) > 0x3f200000u); /* |x| > 0.625, NaN too */
    float ax, e, t;
    unsigned ab = xb & 0x7fffffffu;
    __builtin_memcpy(&ax, &ab, sizeof ax);
    e = {expf}(ax + ax);
    t = 1.0f - 2.0f / (e + 1.0f);
    unsigned tb, pb;
    __builtin_memcpy(&tb, &t, sizeof tb);
    __builtin_memcpy(&pb, &p, sizeof pb);
    pb = (pb & ~big) | ((tb | sign) & big);
    float y;
    __builtin_memcpy(&y, &pb, sizeof y);
    return y;
}}
""", needs=("expf",)),
    "atanf": Inline("""static inline float {name}(float x)
{{
    /* atan x in double: |x| reduced to r = |x|, (|x| - 1) / (|x| + 1) (above tan pi/8, adding pi/4) or -1 / |x|
       (above tan 3pi/8, adding pi/2), an odd polynomial in r fitted to atan (relative error below 3e-11), x's sign;
       the reduction chosen by masks */
    double a = __builtin_fabs((double)x), mid = (a - 1.0) / (a + 1.0), far = -1.0 / a, r, off;
    unsigned long long ab, mb, fb, m1 = -(unsigned long long)(a > 0x1.a827999fcef32p-2),
                       m2 = -(unsigned long long)(a > 0x1.3504f333f9de6p+1), ob;
    __builtin_memcpy(&ab, &a, sizeof ab);
    __builtin_memcpy(&mb, &mid, sizeof mb);
    __builtin_memcpy(&fb, &far, sizeof fb);
    ab = (ab & ~m1) | (((mb & ~m2) | (fb & m2)) & m1);
    __builtin_memcpy(&r, &ab, sizeof r);
    ob = (0x3fe921fb54442d18ull & m1 & ~m2) | (0x3ff921fb54442d18ull & m2); /* pi/4, pi/2 */
    __builtin_memcpy(&off, &ob, sizeof off);
    double z = r * r;
    return __builtin_copysignf((float)(off + @ATAN@), x);
}}
""".replace("@ATAN@", _ATAN)),
    "atan2f": Inline("""static inline float {name}(float y, float x)
{{
    /* atan2(y, x) in double: atan t of t, the smaller of |y| and |x| over the larger (reduced as in atanf), from
       pi/2 when |y| is the larger, from pi when x's sign is set, y's sign; both zero: 0 or pi; both infinite: pi/4
       or 3pi/4; chosen by masks */
    double ax = __builtin_fabs((double)x), ay = __builtin_fabs((double)y), num, den, r, off, a, b, c;
    unsigned long long xb, nb, db, swap = -(unsigned long long)(ay > ax);
    unsigned long long zero = -(unsigned long long)((ax == 0.0) & (ay == 0.0));
    unsigned long long inf = -(unsigned long long)((ax == __builtin_inf()) & (ay == __builtin_inf()));
    __builtin_memcpy(&nb, &ay, sizeof nb);
    __builtin_memcpy(&db, &ax, sizeof db);
    xb = (nb & ~swap) | (db & swap);
    db = (db & ~swap) | (nb & swap);
    __builtin_memcpy(&num, &xb, sizeof num);
    __builtin_memcpy(&den, &db, sizeof den);
    double t = num / den, mid = (t - 1.0) / (t + 1.0);
    unsigned long long m1 = -(unsigned long long)(t > 0x1.a827999fcef32p-2), tb, mb;
    __builtin_memcpy(&tb, &t, sizeof tb);
    __builtin_memcpy(&mb, &mid, sizeof mb);
    tb = (tb & ~m1) | (mb & m1);
    __builtin_memcpy(&r, &tb, sizeof r);
    tb = 0x3fe921fb54442d18ull & m1; /* pi/4 */
    __builtin_memcpy(&off, &tb, sizeof off);
    double z = r * r;
    a = off + @ATAN@;
    b = 0x1.921fb54442d18p+0 - a;
    unsigned long long ab, bb, cb;
    __builtin_memcpy(&ab, &a, sizeof ab);
    __builtin_memcpy(&bb, &b, sizeof bb);
    ab = (((ab & ~swap) | (bb & swap)) & ~zero & ~inf) | (0x3fe921fb54442d18ull & inf); /* 0; pi/4 */
    __builtin_memcpy(&a, &ab, sizeof a);
    c = 0x1.921fb54442d18p+1 - a;
    __builtin_memcpy(&cb, &c, sizeof cb);
    unsigned neg;
    __builtin_memcpy(&neg, &x, sizeof neg);
    unsigned long long n = -(unsigned long long)(neg >> 31);
    ab = (ab & ~n) | (cb & n);
    __builtin_memcpy(&a, &ab, sizeof a);
    return __builtin_copysignf((float)a, y);
}}
""".replace("@ATAN@", _ATAN)),
    "erff": Inline("""static inline float {name}(float x)
{{
    /* erf x: Cephes' x T(x^2) below |x| = 1; from 1, 1 - e^(-x^2) / |x| P(1/x^2) (R from 2; the inline expf)
       with x's sign; chosen by masks. NaN stays NaN; the infinities give 1 and -1. */
    float z = x * x;
    float t = 7.853861353153693e-05f;
    t = t * z - 0.0008010193625184903f;
    t = t * z + 0.005188327685732524f;
    t = t * z - 0.02685381193529856f;
    t = t * z + 0.1128358514861418f;
    t = t * z - 0.37612625824233f;
    t = t * z + 1.12837916572671f;
    t = t * x;
    unsigned xb, ab, big, far;
    __builtin_memcpy(&xb, &x, sizeof xb);
    ab = xb & 0x7fffffffu;
    big = -(unsigned)(ab >= 0x3f800000u); /* |x| >= 1, NaN too */
    far = -(unsigned)(ab >= 0x40000000u); /* |x| >= 2 */
    unsigned cb = (ab & big) | (0x3f800000u & ~big); /* |x|, and 1 below 1: no division by zero */
    float a;
    __builtin_memcpy(&a, &cb, sizeof a);
    float q = 1.0f / a, w = q * q;
    float p = 0.02326819970068386f;
    p = p * w - 0.1387039388740657f;
    p = p * w + 0.3687424674597105f;
    p = p * w - 0.5824733027278666f;
    p = p * w + 0.6210004621745983f;
    p = p * w - 0.4944515323274145f;
    p = p * w + 0.3404879937665872f;
    p = p * w - 0.2741127028184656f;
    p = p * w + 0.5638259427386472f;
    float r = -10.47766399936249f;
    r = r * w + 12.97719955372516f;
    r = r * w - 7.495518717768503f;
    r = r * w + 2.921019019210786f;
    r = r * w - 1.0152652792027f;
    r = r * w + 0.4218463358204948f;
    r = r * w - 0.2820767439740514f;
    r = r * w + 0.5641895067754075f;
    unsigned pb, rb;
    __builtin_memcpy(&pb, &p, sizeof pb);
    __builtin_memcpy(&rb, &r, sizeof rb);
    pb = (pb & ~far) | (rb & far);
    __builtin_memcpy(&p, &pb, sizeof p);
    float y = 1.0f - {expf}(-a * a) * q * p;
    unsigned yb, tb;
    __builtin_memcpy(&yb, &y, sizeof yb);
    __builtin_memcpy(&tb, &t, sizeof tb);
    tb = (tb & ~big) | ((yb | (xb & 0x80000000u)) & big);
    __builtin_memcpy(&y, &tb, sizeof y);
    return y;
}}
""", needs=("expf",)),
    "logf": Inline("""static inline float {name}(float x)
{{
    /* log x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), Cephes' polynomial in m - 1; 0, inf, NaN and x < 0 by masks */
    unsigned xb, tiny = -(unsigned)(x < 1.17549435e-38f);
    float xs = x * 8388608.0f; /* subnormals times 2^23 */
    unsigned sb;
    __builtin_memcpy(&xb, &x, sizeof xb);
    __builtin_memcpy(&sb, &xs, sizeof sb);
    unsigned ab = (xb & ~tiny) | (sb & tiny);
    int e = (int)((ab >> 23) & 0xffu) - 126 - (int)(tiny & 23u);
    unsigned mb = (ab & 0x007fffffu) | 0x3f000000u; /* m in [0.5, 1) */
    float m;
    __builtin_memcpy(&m, &mb, sizeof m);
    unsigned low = -(unsigned)(m < 0.707106781186547524f);
    e -= (int)(low & 1u);
    float m1 = m - 1.0f, m2 = m + m - 1.0f;
    unsigned m1b, m2b;
    __builtin_memcpy(&m1b, &m1, sizeof m1b);
    __builtin_memcpy(&m2b, &m2, sizeof m2b);
    m1b = (m1b & ~low) | (m2b & low);
    float r, fe = (float)e;
    __builtin_memcpy(&r, &m1b, sizeof r);
    float z = r * r;
    float y = 7.0376836292e-2f;
    y = y * r - 1.1514610310e-1f;
    y = y * r + 1.1676998740e-1f;
    y = y * r - 1.2420140846e-1f;
    y = y * r + 1.4249322787e-1f;
    y = y * r - 1.6668057665e-1f;
    y = y * r + 2.0000714765e-1f;
    y = y * r - 2.4999993993e-1f;
    y = y * r + 3.3333331174e-1f;
    y = y * r * z;
    y += -2.12194440e-4f * fe;
    y += -0.5f * z;
    y = r + y;
    y += 0.693359375f * fe;
    unsigned yb, zero = -(unsigned)(x == 0.0f), bad = -(unsigned)(x < 0.0f), inf = -(unsigned)(x == __builtin_inff()),
             nan = -(unsigned)(x != x);
    __builtin_memcpy(&yb, &y, sizeof yb);
    yb = (yb & ~(zero | bad | inf | nan)) | (0xff800000u & zero) | (0x7fc00000u & bad) | (0x7f800000u & inf)
         | (xb & nan);
    __builtin_memcpy(&y, &yb, sizeof y);
    return y;
}}
"""),
    "expm1f": Inline("""static inline float {name}(float x)
{{
    /* e^x - 1 without the cancellation: x = k ln2 + r as in expf, e^r - 1 = r + r^2 p(r) (Cephes' polynomial),
       then 2^k (e^r - 1) + (2^k - 1) for k up to 24 (2^k - 1 exact) and e^r 2^k - 1 (2^k in two steps) above;
       inf above 88.72, -1 below -17.33, zeros and NaN themselves; chosen by masks */
    unsigned xb, big = -(unsigned)(x > 88.7228394f), small = -(unsigned)(x < -17.3286795f),
             same = -(unsigned)(x != x || x == 0.0f);
    __builtin_memcpy(&xb, &x, sizeof xb);
    unsigned cb = xb & ~(big | small | same);
    float c;
    __builtin_memcpy(&c, &cb, sizeof c);
""" + _EXPF_REDUCED + """    float em = p * r * r + r;
    int ki = (int)k;
    unsigned sb = (unsigned)(ki + 127) << 23, s1b = (unsigned)(ki / 2 + 127) << 23,
             s2b = (unsigned)(ki - ki / 2 + 127) << 23;
    float s, s1, s2;
    __builtin_memcpy(&s, &sb, sizeof s);
    __builtin_memcpy(&s1, &s1b, sizeof s1);
    __builtin_memcpy(&s2, &s2b, sizeof s2);
    float near = em * s + (s - 1.0f), far = (em + 1.0f) * s1 * s2 - 1.0f, y;
    unsigned nb, fb, high = -(unsigned)(ki > 24);
    __builtin_memcpy(&nb, &near, sizeof nb);
    __builtin_memcpy(&fb, &far, sizeof fb);
    nb = (nb & ~high) | (fb & high);
    nb = (nb & ~(big | small | same)) | (0x7f800000u & big) | (0xbf800000u & small) | (xb & same);
    __builtin_memcpy(&y, &nb, sizeof y);
    return y;
}}
"""),
    "log2f": Inline("""static inline float {name}(float x)
{{
    /* log2 x = log x * log2(e), with the inline logf: its zeros, infinities and NaNs carry over */
    return {logf}(x) * 1.44269504088896341f;
}}
""", needs=("logf",)),
    "log10f": Inline("""static inline float {name}(float x)
{{
    /* log10 x = log x * log10(e), with the inline logf: its zeros, infinities and NaNs carry over */
    return {logf}(x) * 0.434294481903251828f;
}}
""", needs=("logf",)),
    "log1pf": Inline("""static inline float {name}(float x)
{{
    /* log(1 + x) without the rounding of 1 + x: u = 1 + x, log u (the inline logf) times x / (u - 1), which puts
       back what the rounding lost; x itself where u is 1 (|x| below half an ulp of 1), and infinity for infinity;
       chosen by masks. x = -1 gives -inf and x < -1 NaN, from the inline logf. */
    float u = 1.0f + x, d = u - 1.0f;
    unsigned db, one = -(unsigned)(d == 0.0f), inf = -(unsigned)(x == __builtin_inff());
    __builtin_memcpy(&db, &d, sizeof db);
    db = (db & ~one) | (0x3f800000u & one); /* no division by zero */
    __builtin_memcpy(&d, &db, sizeof d);
    float y = {logf}(u) * (x / d);
    unsigned xb, yb;
    __builtin_memcpy(&xb, &x, sizeof xb);
    __builtin_memcpy(&yb, &y, sizeof yb);
    yb = (yb & ~(one | inf)) | (xb & (one | inf));
    __builtin_memcpy(&y, &yb, sizeof y);
    return y;
}}
""", needs=("logf",)),
    "exp2f": Inline("""static inline float {name}(float x)
{{
    /* 2^x: k = x rounded (adding and subtracting 1.5 * 2^23), 2^(x - k) = e^r for r = (x - k) ln 2 (x - k is
       exact) by expf's polynomial, times 2^k in two steps, so subnormal results come out too; inf from 128 on, 0
       below -151, NaN by masks */
    unsigned xb, big = -(unsigned)(x >= 128.0f), small = -(unsigned)(x < -151.0f), nan = -(unsigned)(x != x);
    __builtin_memcpy(&xb, &x, sizeof xb);
    unsigned cb = xb & ~(big | small | nan);
    float c;
    __builtin_memcpy(&c, &cb, sizeof c);
    float k = (c + 12582912.0f) - 12582912.0f, r = (c - k) * 0.693147180559945309f;
""" + _EXPF_POLYNOMIAL + """    p = p * r * r + r + 1.0f;
""" + _TIMES_2K + """}}
"""),
    # the rounding functions, fmax and fmin, in float and double
    **_float_and_double("floor", """static inline @T@ {name}(@T@ x)
{{
    /* floor x without a call: x rounded to an integer by rint, which gcc vectorises (in any rounding mode it is
       within 1, and infinities and NaN stay), minus 1 where it came out above x (a 1 or a 0 chosen by a bit mask:
       gcc if-converts no arithmetic that may trap), with x's sign (floor(-0) is -0, and 1 - 1 is -0 rounding
       down) */
    @T@ t = __builtin_rint@F@(x), one = 1;
    @U@ above = -(@U@)(t > x), ob;
    __builtin_memcpy(&ob, &one, sizeof ob);
    ob &= above;
    __builtin_memcpy(&one, &ob, sizeof one);
    return __builtin_copysign@F@(t - one, x);
}}
"""),
    **_float_and_double("ceil", """static inline @T@ {name}(@T@ x)
{{
    /* ceil x = -floor(-x), with the inline floor */
    return -@floor@(-x);
}}
""", ("floor",)),
    **_float_and_double("trunc", """static inline @T@ {name}(@T@ x)
{{
    /* trunc x = floor |x| with x's sign, with the inline floor */
    return __builtin_copysign@F@(@floor@(__builtin_fabs@F@(x)), x);
}}
""", ("floor",)),
    **_float_and_double("round", """static inline @T@ {name}(@T@ x)
{{
    /* round x, halves away from zero: floor |x| (the inline floor), plus 1 where the rest (exact) is at least 1/2,
       with x's sign; infinities and NaN stay. The 1 is selected by a bit mask, as in floor. */
    @T@ a = __builtin_fabs@F@(x), f = @floor@(a), one = 1;
    @U@ up = -(@U@)(a - f >= (@T@)0.5), ob;
    __builtin_memcpy(&ob, &one, sizeof ob);
    ob &= up;
    __builtin_memcpy(&one, &ob, sizeof one);
    return __builtin_copysign@F@(f + one, x);
}}
""", ("floor",)),
    **_float_and_double("fmax", """static inline @T@ {name}(@T@ x, @T@ y)
{{
    /* the larger of x and y, or the one that is not NaN; y when they compare equal (+0 and -0), as glibc's does */
    return y != y ? x : (x > y ? x : y);
}}
"""),
    **_float_and_double("fmin", """static inline @T@ {name}(@T@ x, @T@ y)
{{
    /* the smaller of x and y, or the one that is not NaN; y when they compare equal (+0 and -0), as glibc's does */
    return y != y ? x : (x < y ? x : y);
}}
"""),
    **_float_and_double("pow", """static inline @T@ {name}(@T@ x, @T@ y)
{{
    /* x^y for y = 2, 3, 4 or -1, a constant (gcc folds the choice): products, or a quotient, of x */
    @T@ x2 = x * x;
    return y == 2 ? x2 : y == 3 ? x2 * x : y == 4 ? x2 * x2 : 1 / x;
}}
"""),
}
#: The exponents the inline ``pow`` takes, written as constants in the call (``powf(x, 3.0f)``): a product of two
#: or three roundings is within 2 ulp of the library's, with its infinities, zeros and NaNs.
_POWERS = re.compile(r"\(*\s*(?:2|3|4|-\s*1)(?:\.0*)?[fF]?\s*\)*")

#: A preprocessor line, and what may open a C file before its first declaration: blank lines and comments.
_DIRECTIVE = re.compile(r"^[ \t]*#[^\n]*\n?", re.M)
_COMMENTS = re.compile(r"(?:\s*(?:/\*.*?\*/|//[^\n]*))*\n?", re.S)


#: What may stand before a parenthesis in a loop the rewrite still vectorises: keywords, and calls gcc vectorises.
NOT_CALLS = frozenset({"for", "if", "while", "switch", "return", "sizeof", "fabsf", "fabs", "copysignf", "copysign",
                        "rintf", "rint", "nearbyintf", "nearbyint"})


def _call(function: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.>]){re.escape(function)}(?=\s*\()")


@dataclass(frozen=True)
class Inlined:
    """A loop whose calls are replaced: the new loop, its first and last lines (1-based), the source after it, the
    inline functions' names, by the libm function each replaces (and those they call), the functions the loop
    (and the helpers it calls) called, and the helpers' new text."""

    code: str
    lines: tuple[int, int]
    after: str
    names: dict[str, str]
    called: tuple[str, ...]
    edits: tuple[tuple[str, str], ...] = ()
    """Functions of the code's own that the loop calls, each (as written, with its calls renamed too)."""


def _carried(loop: str, calls: set[str]) -> bool:
    """Whether a scalar declared outside the loop and assigned in its body is an argument of one of ``calls``: its
    value passes through the call from one iteration to the next."""
    header = parens(loop[3:].lstrip())
    body = header[1] if header else loop
    assigned = set(re.findall(r"(?<![\w\].])([A-Za-z_]\w*)\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", body))
    assigned -= {name for kind, name in re.findall(r"\b([A-Za-z_]\w*)[\s*]+([A-Za-z_]\w*)\s*=(?!=)", body)
                 if kind not in ("else", "return", "do")}  # declared inside: a new one each iteration
    for call in re.finditer(r"(?<![\w.>])([A-Za-z_]\w*)\s*(?=\()", body):
        args = parens(body[call.end():]) if call.group(1) in calls else None
        if args is not None and assigned & set(IDENT.findall(args[0])):
            return True
    return False


def inline_name(source: str, function: str) -> str:
    """The name of ``function``'s inline version in ``source``: ``mf_expf``, or with underscores added when taken."""
    return fresh(f"mf_{function}", set(IDENT.findall(source)))


def define(source: str, names: dict[str, str]) -> str:
    """``source`` with the inline functions (libm's name to the new one: each function's ``needs`` among them)
    defined after its last preprocessor line before the first brace, or after its opening comments when it has
    none; each after those it needs."""
    brace = source.find("{")
    directives = [d for d in _DIRECTIVE.finditer(source) if brace < 0 or d.start() < brace]
    end = directives[-1].end() if directives else _COMMENTS.match(source).end()  # type: ignore[union-attr]
    known = {**DEFINITIONS, **BLOCKS, **RANGED}
    ordered = sorted(names, key=lambda f: f not in {n for g in names for n in known[g].needs})
    definitions = "\n".join(known[f].text.format(name=names[f], **names) for f in ordered)
    return source[:end] + ("\n" if end else "") + definitions + "\n" + source[end:]


def inline_calls(source: str, line: int) -> Inlined | None:
    """The ``for`` loop starting on ``line`` (1-based), braced or not, with its calls of the functions in
    :data:`DEFINITIONS` renamed to inline versions (:func:`inline_name`), a choice in its last statement made by
    a mask (:func:`_hoisted`), or its square roots taken a block at a time (:func:`_blocks`), or
    of :data:`RANGED` inline where a first pass finds every argument in their range (:func:`_ranged`), and the static
    helpers it calls rewritten likewise (:func:`_helpers`, as edits); None when it calls none of these functions, or
    calls something else too (``cbrtf``, a function of the code's own that calls one), or carries a scalar through
    a call. The names cover the functions those need too."""
    found = any_loop_at(source, line)
    if found is None:
        return None
    lines, after = source.splitlines(), found[2]
    text = "\n".join(lines[line - 1:]).lstrip()
    loop = text[:len(text) - len(after)]
    called = [f for f in DEFINITIONS if _call(f).search(loop) and _constant_powers(loop, f)]
    indent = lines[line - 1][:len(lines[line - 1]) - len(lines[line - 1].lstrip())]
    code = plain = _one_per_declaration("\n".join(t[len(indent):] if t.startswith(indent) else t
                                                   for t in loop.split("\n")))
    names = {f: inline_name(source, f) for f in called}
    for f in called:
        code = _call(f).sub(names[f], code)
    others = set(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(", code)) - NOT_CALLS - set(names.values())
    helpers = _helpers(source, others - set(BLOCKS) - set(RANGED))
    if helpers is None:
        return None
    for _, _, inside in helpers:
        called += [f for f in inside if f not in called]
    names = {f: inline_name(source, f) for f in called}
    edits = tuple((old, _always_inline(_masked_returns(_renamed(old, inside, names), source)))
                  for old, _, inside in helpers)
    others -= {name for _, name, _ in helpers}
    if not called and not others & (set(BLOCKS) | set(RANGED)):
        return None
    ranged = [f for f in RANGED if f in others]
    if ranged:
        names |= {f: inline_name(source, f) for f in ranged}
        code = _renamed(code, ranged, names)
        if others - set(ranged) or edits or _carried(code, set(names.values())):
            return None
        code = _ranged(code, plain, {names[f]: f for f in ranged}, set(names.values()), source)  # type: ignore[assignment]
        if code is None:
            return None
        for f in called:
            names |= {n: inline_name(source, n) for n in DEFINITIONS[f].needs}
        return Inlined(code, (line, line + loop.count("\n")), after, names, (*called, *ranged), edits)
    blocked = _blocks(code, set(names.values()), source) if others and others <= set(BLOCKS) else None
    if others and blocked is None:
        return None  # another call keeps the loop scalar, and the inline version alone would be slower
    if _carried(code, set(names.values())):
        return None  # m = fmaxf(m, x[i]): a chain through the call, which gcc does not vectorise inline either
    code = blocked[0] if blocked else _hoisted(code, {names[f]: f for f in called}, source)
    for f in blocked[1] if blocked else []:
        names[f] = inline_name(source, f + "_block")
        code = code.replace(f"@{f}@", names[f])
    for f in called:
        names |= {n: inline_name(source, n) for n in DEFINITIONS[f].needs}
    return Inlined(code, (line, line + loop.count("\n")), after, names, tuple(called), edits)


_SEVERAL = re.compile(r"^([ \t]*)((?:const\s+)?(?:float|double|int)\s+)([A-Za-z_]\w*\s*=[^;{}]*,\s*[A-Za-z_]\w*\s*=[^;{}]*);",
                      re.M)


def _one_per_declaration(code: str) -> str:
    """``code`` with each line that declares several scalars with values (``float c = cosf(a), s = sinf(a);``)
    written as one declaration per scalar, in the same order (where every comma at its top level separates two)."""
    def split(m: re.Match[str]) -> str:
        parts = _arguments(m.group(3))
        if not all(re.match(r"[A-Za-z_]\w*\s*=(?!=)", p) for p in parts):
            return m.group(0)
        return "\n".join(f"{m.group(1)}{m.group(2)}{p};" for p in parts)
    return _SEVERAL.sub(split, code)


def _constant_powers(code: str, function: str) -> bool:
    """Whether every call of ``function`` in ``code`` that is ``powf`` or ``pow`` raises to a constant the inline
    version takes (:data:`_POWERS`); true for the other functions."""
    for call in _call(function).finditer(code) if function in ("pow", "powf") else ():
        inner = parens(code[code.index("(", call.end()):])
        args = _arguments(inner[0]) if inner else []
        if len(args) != 2 or not _POWERS.fullmatch(args[1]):
            return False
    return True


def _always_inline(definition: str) -> str:
    """A static helper made ``always_inline``: with the inline functions in it, gcc may find it too large to
    inline, and a loop that calls it stays scalar."""
    return re.sub(r"^(\s*)static\s+(?:inline\s+)?", r"\1static inline __attribute__((always_inline)) ", definition, count=1)


def _renamed(code: str, functions: list[str], names: dict[str, str]) -> str:
    for f in functions:
        code = _call(f).sub(names[f], code)
    return code


def _masked_returns(definition: str, source: str) -> str:
    """A helper's ``return c ? a : b;`` with both values computed first and ``c``'s picked by a bit mask (gcc
    would move their arithmetic back into the choice's arms, which it vectorises in no loop the helper is inlined
    into); only where the values read no memory and have no side effect, and the helper returns a float or a
    double."""
    kind = re.match(r"\s*(?:static\s+)?(?:inline\s+)?(float|double)\b", definition)
    if kind is None:
        return definition
    taken = set(IDENT.findall(source))

    def masked(m: re.Match[str]) -> str:
        arms = _choice(m.group(2))
        if arms is None or any("[" in a or _EFFECT.search(a) or re.search(r"[*&]\s*[A-Za-z_(]\w*\s*$", a)
                               for a in arms[1:]):
            return m.group(0)
        chosen, value = _masked_choice(kind.group(1), arms, taken)
        return "\n".join(m.group(1) + t for t in [*chosen, f"return {value};"])
    return re.sub(r"^([ \t]*)return\s+([^;]*\?[^;]*);", masked, definition, flags=re.M)


def _helpers(source: str, functions: set[str]) -> list[tuple[str, str, list[str]]] | None:
    """For each of ``functions``, a static function the code defines whose body calls nothing but functions of this
    module (which then get their inline versions there too) and those gcc vectorises: (its definition, its name,
    the functions of this module it calls); None when one is not such a function (or not defined in the code),
    which would keep the loop scalar. gcc inlines such a helper into the loop."""
    found = []
    for name in sorted(functions):
        head = re.search(rf"^[ \t]*static\s+(?:inline\s+)?(?:float|double|int)\s+{re.escape(name)}\s*\([^;{{}}()]*\)\s*"
                         r"(?=\{)", source, re.M)
        body = braced_body(source[head.end():]) if head else None
        if head is None or body is None:
            return None
        definition = source[head.start():head.end() + len(body[0]) + 2]
        calls = set(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(", body[0])) - NOT_CALLS
        if calls - set(DEFINITIONS) or any(not _constant_powers(body[0], f) for f in calls & {"pow", "powf"}):
            return None
        found.append((definition, name, [f for f in DEFINITIONS if f in calls]))
    return found


def _hoisted(loop: str, inline: dict[str, str], source: str) -> str:
    """``loop`` with its last statement, an assignment of a choice that calls inline functions in an arm
    (``y[i] = x[i] > 0 ? x[i] : mf_expm1f(x[i]);``, or the same as an ``if`` and ``else``), after nothing but
    declarations of temporaries (``float v = x[i];``), computing both arms first and choosing between their values
    by a bit mask: gcc vectorises neither a choice between computations (they might trap) nor a choice between values
    computed only for it (it moves them back into the arm). The inline functions have no side effect and are
    defined for every value; the arms are computed unconditionally only when they read nothing but scalars and
    elements ``a[v]`` of arrays that the condition or the assigned element reads at ``[v]`` too (so they exist),
    ``v`` the loop variable, and the element assigned is of the functions' type. ``loop`` itself otherwise."""
    header = parens(loop[3:].lstrip())
    var = re.match(r"\s*(?:[A-Za-z_]\w*\s+)?([A-Za-z_]\w*)\s*=", header[0]) if header else None
    if header is None or var is None:
        return loop
    rest = header[1]
    braced = braced_body(rest) if rest.startswith("{") else None
    body = (braced[0] if braced else rest).strip()
    declared = _DECLARATIONS.match(body)
    chosen = _assigned_choice(body[declared.end():].strip()) if declared else None
    if declared is None or chosen is None:
        return loop
    lhs, arms = chosen
    kinds = {"double" if "inline double" in DEFINITIONS[f].text else "float" for f in inline.values()}
    kind = declared_type(source, re.match(r"\w+", lhs).group(0))  # type: ignore[union-attr]
    if len(kinds) != 1 or kind not in kinds or any(name in arms[0] for name in inline):
        return loop
    index = var.group(1)
    anchors = arms[0] + " " + lhs
    for arm in arms[1:]:
        if _EFFECT.search(arm) or "?" in arm:
            return loop
        for array, sub in ACCESS.findall(arm):
            if sub.strip() != index or not re.search(rf"(?<![\w.]){array}\s*\[\s*{index}\s*\]", anchors):
                return loop
    picked, value = _masked_choice(kind, arms, set(IDENT.findall(source)))
    temporaries = [t.strip() + ";" for t in declared.group(0).split(";") if t.strip()]
    inner = "".join(f"    {t}\n" for t in [*temporaries, *picked, f"{lhs} = {value};"])
    return f"for ({header[0]}) {{\n{inner}}}" + (braced[1] if braced else "")


#: What makes an expression more than a value: an increment, an assignment, a member through a pointer.
_EFFECT = re.compile(r"\+\+|--|(?<![=!<>])=(?!=)|->")
#: Declarations of temporaries with their values, one type each (``const float v = x[i];``), at a body's start.
_DECLARATIONS = re.compile(r"(?:\s*(?:const\s+)?[A-Za-z_]\w*\s+[A-Za-z_]\w*\s*=[^;{}?]*;)*")
_ASSIGNED = re.compile(r"([A-Za-z_]\w*(?:\s*\[[^\[\]]*\])?)\s*=(?!=)([^;]*);$", re.S)


def _assigned_choice(statement: str) -> tuple[str, tuple[str, str, str]] | None:
    """(the element or scalar assigned, (condition, first value, second value)) of one statement that assigns one
    of two values: ``t = c ? a : b;``, or ``if (c) t = a; else t = b;`` (each branch one assignment, braced or not,
    to the same ``t``)."""
    if not re.match(r"if\s*\(", statement):
        got = _ASSIGNED.match(statement)
        arms = _choice(got.group(2)) if got else None
        return (got.group(1), arms) if got and arms else None
    cond = parens(statement[2:].lstrip())
    if cond is None:
        return None
    branch = re.match(r"(\{)?\s*([^;{}]*;)\s*(?(1)\})\s*else\s*(\{)?\s*([^;{}]*;)\s*(?(3)\})$", cond[1], re.S)
    first = _ASSIGNED.match(branch.group(2).strip()) if branch else None
    second = _ASSIGNED.match(branch.group(4).strip()) if branch else None
    if first is None or second is None or "".join(first.group(1).split()) != "".join(second.group(1).split()):
        return None
    return first.group(1), (cond[0].strip(), first.group(2).strip(), second.group(2).strip())


def _masked_choice(kind: str, arms: tuple[str, str, str], taken: set[str]) -> tuple[list[str], str]:
    """C lines that compute both values of ``c ? a : b`` (``arms``) as ``kind`` and pick ``c``'s by a bit mask,
    with no branch (their names fresh in ``taken``), and the name that holds the value picked."""
    a, b, m, ab, bb = (fresh(name, taken) for name in ("mf_a", "mf_b", "mf_m", "mf_a_bits", "mf_b_bits"))
    bits = "unsigned long long" if kind == "double" else "unsigned"
    return [f"{kind} {a} = {arms[1]}, {b} = {arms[2]};",
            f"{bits} {m} = -({bits})({arms[0]}), {ab}, {bb};",
            f"__builtin_memcpy(&{ab}, &{a}, sizeof {ab});",
            f"__builtin_memcpy(&{bb}, &{b}, sizeof {bb});",
            f"{ab} = ({ab} & {m}) | ({bb} & ~{m}); /* the condition's value, chosen without a branch */",
            f"__builtin_memcpy(&{a}, &{ab}, sizeof {a});"], a


def _choice(value: str) -> tuple[str, str, str] | None:
    """(condition, first arm, second arm) of ``c ? a : b`` at the top level, with no other choice in it."""
    depth, marks = 0, []
    for i, ch in enumerate(value):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch in "?:" and depth == 0:
            marks.append(i)
        elif ch in "?:":
            return None
    if len(marks) != 2 or value[marks[0]] != "?" or value[marks[1]] != ":":
        return None
    cond, first, second = value[:marks[0]], value[marks[0] + 1:marks[1]], value[marks[1] + 1:]
    return (cond.strip(), first.strip(), second.strip()) if all(t.strip() for t in (cond, first, second)) else None


#: Square roots of a block of values at once (:data:`BLOCK`), by the function each stands in for: gcc vectorises no ``sqrtf``
#: without ``-fno-math-errno`` (the call may set errno), and no formula computes it faster than the scalar
#: instruction. The vector instruction rounds as the call does (IEEE), so the results are the same bits; only errno
#: is not set. Without SSE (not x86), the library's, one by one.
_SQRT = """static inline void {name}(@T@ *s)
{{
    /* s[k] = @f@(s[k]) for k < @n@, @lanes@ at a time by the vector instruction */
#if defined(__SSE2__)
    typedef @T@ v __attribute__((vector_size(16)));
    for (int k = 0; k < @n@; k += @lanes@) {{
        v t;
        __builtin_memcpy(&t, s + k, sizeof t);
        t = @builtin@(t);
        __builtin_memcpy(s + k, &t, sizeof t);
    }}
#else
    for (int k = 0; k < @n@; k++)
        s[k] = @f@(s[k]);
#endif
}}
"""
#: Iterations in a block: enough that gcc vectorises a block's loops as loops (at 8 it unrolled them whole and
#: vectorised a few statements: an n-body loop's sums, in lanes, ran 0.93x; at 32, 3.4x).
BLOCK = 32
BLOCKS = {f: Inline(_SQRT.replace("@T@", kind).replace("@f@", f).replace("@lanes@", str(16 // size)).replace("@n@", str(BLOCK))
                    .replace("@builtin@", builtin))
          for f, kind, size, builtin in (("sqrtf", "float", 4, "__builtin_ia32_sqrtps"),
                                         ("sqrt", "double", 8, "__builtin_ia32_sqrtpd"))}
_BLOCK_KINDS = {"sqrtf": "float", "sqrt": "double"}

#: Functions whose inline version is right only on part of the arguments (``{a}`` in the test): a first pass tests
#: every argument the loop will pass, and the loop runs with the inline versions if all are inside, as written if
#: one is not (:func:`_ranged`).
#:
#: ``sinf`` and ``cosf``: ``x`` is reduced by the nearest multiple ``q`` of pi/2 (pi/2 in three parts, the first two
#: short enough that ``q`` times them is exact while ``|x| <= 2^17``) and the sine and cosine of the rest
#: approximated in ``double`` (Taylor's terms to ``r^9`` and ``r^10`` on ``|r| <= pi/4``), the quadrant's picked and
#: its sign set by bit masks: within 1 ulp of the library's. Beyond ``2^17`` (and infinities, NaNs) the library's.
_SINE = """static inline float {name}(float x)
{{
    /* @f@(x) for |x| <= 2^17: x = q pi/2 + r, |r| <= pi/4, and the sine or cosine of r in double */
    double d = x;
    double t = d * 0x1.45f306dc9c883p-1 + 0x1.8p52; /* 2/pi; q, rounded, in the low bits */
    double q = t - 0x1.8p52;
    unsigned long long n;
    __builtin_memcpy(&n, &t, sizeof n);
    n += @quadrant@;
    double r = ((d - q * 0x1.921fb544p+0) - q * 0x1.0b4611a6p-34) - q * 0x1.3198a2e037073p-69;
    double r2 = r * r;
    double sn = r + r * r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880))));
    double cs = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320 + r2 * (-1.0 / 3628800)))));
    unsigned long long sb, cb, odd = -(n & 1);
    __builtin_memcpy(&sb, &sn, sizeof sb);
    __builtin_memcpy(&cb, &cs, sizeof cb);
    sb = ((sb & ~odd) | (cb & odd)) ^ ((n & 2) << 62); /* quadrants 1 and 3: the cosine; 2 and 3: negated */
    __builtin_memcpy(&d, &sb, sizeof d);
    return (float)d;
}}
"""
RANGED = {f: Inline(_SINE.replace("@f@", f).replace("@quadrant@", quadrant)) for f, quadrant in (("sinf", "0"),
                                                                                               ("cosf", "1"))}
_RANGES = {"sinf": "__builtin_fabsf({a}) <= 131072.0f", "cosf": "__builtin_fabsf({a}) <= 131072.0f"}
#: A temporary declared with its value in a body (``float t = x[i] * 2``, ``long k = i * w + j``, ``const float *p =
#: img + k``): (its name, its value), which a rewrite may write out where it evaluates an argument elsewhere.
_TEMPORARY = re.compile(r"(?:^|(?<=;))\s*(?:const\s+)?(?:float|double|int|long|unsigned|size_t)\b\s*(?:\*\s*)?"
                        r"(?:const\s+|restrict\s+)*([A-Za-z_]\w*)\s*=([^;]*);")
_STRAIGHT = re.compile(r"\b(if|else|for|while|do|switch|goto|return|break|continue)\b|[?{}]")


def _blocks(loop: str, inline: set[str], source: str) -> tuple[str, list[str]] | None:
    """(the loop cut into blocks of :data:`BLOCK` iterations, the calls of the functions of :data:`BLOCKS` computed for the whole
    block first, each by ``@f@`` (all at once; then the block's iterations run with each value read from the block's
    array); the functions) for a loop ``for (int v = lo; v < hi; v++)`` whose body runs straight through (no branch,
    no choice), whose calls besides the inline ones are of functions of :data:`BLOCKS` of one type, whose arguments
    read no array the body writes and no scalar it assigns, but temporaries declared in the body from such values,
    which are written out in their place. The leftover iterations run as the loop did. None for any other loop."""
    got = split_header(loop)
    bounds = loop_bounds(got[0]) if got else None
    body = body_of(got[1]) if got else None
    if (got is None or bounds is None or body is None or body[1].strip() or bounds.kind != "int" or bounds.step != 1
            or not _plain(bounds)):
        return None
    statements, var = body[0].strip(), bounds.var
    functions = [f for f in BLOCKS if _call(f).search(statements)]
    kinds = {_BLOCK_KINDS[f] for f in functions}
    if len(kinds) != 1 or _STRAIGHT.search(statements):
        return None
    written = set(re.findall(r"([A-Za-z_]\w*)\s*\[[^\[\]]*\]\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", statements))
    declared = dict(_TEMPORARY.findall(statements))
    if any(re.search(r",\s*[A-Za-z_]\w*\s*=", value) for value in declared.values()):
        return None  # several declared at once
    assigned = set(re.findall(r"(?<![\w\].])([A-Za-z_]\w*)\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", statements))
    if any(len(re.findall(rf"(?<![\w.]){re.escape(t)}\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", statements)) != 1 for t in declared):
        return None  # a temporary assigned again
    taken = set(IDENT.findall(source))
    block, k, r = fresh("mf_block", taken), fresh("mf_k", taken), fresh("mf_v", taken)
    rows: list[str] = []  # each argument of each call, in order: a row of the block's array
    calls: list[tuple[str, int]] = []  # each call's function and its first row (where its values go)
    rest, at = "", 0
    for call in sorted((m for f in functions for m in _call(f).finditer(statements)), key=lambda m: m.start()):
        if call.start() < at:
            return None  # a call in another's arguments
        opened = statements.index("(", call.end())
        inner = parens(statements[opened:])
        args = _arguments(inner[0]) if inner else []
        if len(args) != 1:
            return None
        calls.append((call.group(0), len(rows)))
        rest += statements[at:call.start()] + f"{r}[{len(rows)}][{k}]"
        rows += [_written_out(a, declared) for a in args]
        at = opened + len(inner[0]) + 2  # type: ignore[index]
    rest += statements[at:]
    for arg in rows:
        names = set(IDENT.findall(arg))
        called = set(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(", arg))
        if names & (written | (assigned - {var})) or called - inline - NOT_CALLS or _EFFECT.search(arg):
            return None
    end = f"({bounds.hi}) + 1" if bounds.op == "<=" else f"({bounds.hi})"
    sums = _lane_sums(rest, set(declared), source, taken)
    for name, (lanes, _) in sums.items():
        rest = re.sub(rf"(?<![\w.]){name}\s*([-+])=", rf"{lanes}[{k}] \1=", rest)

    def each(statements: str, indent: str) -> str:
        return "".join(f"{indent}{t.strip()};\n" for t in statements.split(";") if t.strip())


    lines = ("{\n"
             f"    int {block} = {bounds.lo};\n"
             + "".join(f"    {kind} {lanes}[{BLOCK}] = {{0}};\n" for lanes, kind in sums.values())
             + f"    for (; {block} + {BLOCK} <= {end}; {block} += {BLOCK}) {{\n"
             f"        {kinds.pop()} {r}[{len(rows)}][{BLOCK}];\n"
             f"        for (int {k} = 0; {k} < {BLOCK}; {k}++) {{\n"
             f"            int {var} = {block} + {k};\n"
             + "".join(f"            {r}[{j}][{k}] = {arg};\n" for j, arg in enumerate(rows))
             + "        }\n"
             + "".join(f"        @{f}@({r}[{j}]);\n" for f, j in calls)
             + f"        for (int {k} = 0; {k} < {BLOCK}; {k}++) {{\n"
             f"            int {var} = {block} + {k};\n"
             + each(rest, "            ")
             + "        }\n    }\n"
             + (f"    if ({block} != {bounds.lo}) {{ /* the sums' lanes */\n"
                + "".join(f"        {kind} {total} = 0;\n        for (int {k} = 0; {k} < {BLOCK}; {k}++)\n"
                          f"            {total} += {lanes}[{k}];\n        {name} += {total};\n"
                          for name, (lanes, kind) in sums.items() for total in [fresh(f"mf_{name}_total", taken)])
                + "    }\n" if sums else "")
             + f"    for (int {var} = {block}; {var} {bounds.op} {bounds.hi}; {var}++) {{\n"
             + each(statements, "        ")
             + "    }\n}")
    return lines, functions


def _lane_sums(statements: str, temporaries: set[str], source: str, taken: set[str]) -> dict[str, tuple[str, str]]:
    """The sums a block's iterations add into (``s += e;`` or ``s -= e;``, ``s`` a ``float`` or ``double`` scalar
    declared outside the loop and read nowhere else in it), each with the name of an array of lanes to add into
    instead (the iterations of a block then carry nothing and vectorise; the lanes are added into ``s`` after the
    blocks, which changes the result only by rounding), and its type."""
    found = {}
    for m in re.finditer(r"(?:^|(?<=;))\s*([A-Za-z_]\w*)\s*[-+]=(?!=)[^;]*;", statements):
        name = m.group(1)
        among = re.search(rf"\b(float|double)\s+(?:[A-Za-z_]\w*\s*(?:=[^,;(){{}}]*)?,\s*)*{re.escape(name)}\s*[=;,]",
                          source)  # float sx = 0, sy = 0;
        kind = declared_type(source, name) or (among.group(1) if among else None)
        uses = re.findall(rf"(?<![\w.]){re.escape(name)}\b", statements)
        if name in temporaries or kind is None or len(uses) != 1 or name in found:
            continue
        found[name] = (fresh(f"mf_{name}_lanes", taken), kind)
        taken.add(found[name][0])
    return found


def _plain(bounds: Bounds) -> bool:
    """Whether a loop's bounds call nothing and change nothing, so that a rewrite may evaluate them more or fewer
    times (parentheses and casts allowed)."""
    return not any(re.search(r"\b(?!(?:int|long|unsigned|float|double)\b)[A-Za-z_]\w*\s*\(", e) or _EFFECT.search(e)
                   for e in (bounds.lo, bounds.hi))


def _ranged(loop: str, plain: str, ranged: dict[str, str], inline: set[str], source: str) -> str | None:
    """A first pass that tests whether every argument of the calls of :data:`RANGED` in ``loop`` (renamed to the
    inline names ``ranged`` maps to their functions) is inside the inline version's range, then ``loop`` if all
    are, else ``plain`` (the loop as written). For a counting loop whose body runs straight through (no branch,
    no choice) and whose arguments read no array the body writes and no scalar it assigns, but temporaries it
    declares (once each) from such values, which are written out in the first pass: so the first pass sees the
    arguments the loop will compute. The arguments must call nothing but inline functions. None for any other
    loop."""
    got, was = split_header(loop), split_header(plain)
    bounds = loop_bounds(got[0]) if got else None
    body = body_of(got[1]) if got else None
    if got is None or was is None or bounds is None or body is None or body[1].strip() or _STRAIGHT.search(body[0]):
        return None
    if not _plain(bounds):
        return None  # the first pass evaluates the bounds again
    statements = body[0].strip()
    written = set(re.findall(r"([A-Za-z_]\w*)\s*\[[^\[\]]*\]\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", statements))
    declared = dict(_TEMPORARY.findall(statements))
    assigned = set(re.findall(r"(?<![\w\].])([A-Za-z_]\w*)\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", statements))
    if any(len(re.findall(rf"(?<![\w.]){re.escape(t)}\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)", statements)) != 1
           for t in declared) or any(re.search(r",\s*[A-Za-z_]\w*\s*=", v) for v in declared.values()):
        return None  # a temporary assigned again, or several declared at once
    tests = []
    for name, function in ranged.items():
        for call in _call(name).finditer(statements):
            inner = parens(statements[statements.index("(", call.end()):])
            args = _arguments(inner[0]) if inner else []
            if len(args) != 1:
                return None
            arg = _written_out(args[0], declared)
            called = set(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(", arg))
            if (set(IDENT.findall(arg)) & (written | (assigned - {bounds.var})) or called - inline - NOT_CALLS
                    or _EFFECT.search(arg)):
                return None
            tests.append(f"!({_RANGES[function].format(a=arg)})")
    far = fresh("mf_far", set(IDENT.findall(source)))
    step = "++" if bounds.step == 1 else f" += {bounds.step}"
    indent = "\n".join("    " + line if line.strip() else line for line in loop.split("\n"))
    unchanged = "\n".join("    " + line if line.strip() else line for line in plain.split("\n"))
    return ("{\n"
            f"    int {far} = 0; /* is an argument outside the inline versions' range? then the loop as written */\n"
            f"    for ({bounds.kind or 'long'} {bounds.var} = {bounds.lo}; {bounds.var} {bounds.op} {bounds.hi}; {bounds.var}{step})\n"
            f"        {far} |= {' | '.join(dict.fromkeys(tests))};\n"
            f"    if (!{far})\n    {indent.lstrip()}\n    else\n    {unchanged.lstrip()}\n}}")


def _arguments(text: str) -> list[str]:
    """The arguments of a call, split at its top-level commas."""
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    return [*args, text[start:].strip()] if text.strip() else []


def _written_out(expr: str, temporaries: dict[str, str]) -> str:
    """``expr`` with each temporary it reads replaced by its value, in parentheses, until none is left (a value
    may read earlier temporaries)."""
    for _ in range(len(temporaries) + 1):
        new = re.sub(r"(?<![\w.])([A-Za-z_]\w*)(?!\s*\()",
                     lambda m: f"({temporaries[m.group(1)].strip()})" if m.group(1) in temporaries else m.group(0), expr)
        if new == expr:
            return expr
        expr = new
    return expr
