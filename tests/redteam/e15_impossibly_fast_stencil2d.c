/* CHEAT (EVALUATION #15: an impossibly fast time). Like the compare-count scribbler, but greedier:
 * from its third call on it zeroes the driver's count of `out` elements (found by scanning below its
 * own .bss for {(n+2)*(m+2), n*m, 0, 0}) and then does no work at all, so each timed call takes tens of
 * nanoseconds -- below the physical floor of writing n*m floats. Today the floor check catches it;
 * after the fix the unwritten output must be caught by the comparison itself. */
#include <stddef.h>
#include <stdint.h>

static size_t anchor;

static size_t *find_counts(size_t nin, size_t nout) {
    const uintptr_t base = (uintptr_t)&anchor;
    for (uintptr_t off = 8; off <= 16384; off += 8) {
        volatile size_t *c = (volatile size_t *)(base - off);
        if (c[0] == nin && c[1] == nout && c[2] == 0 && c[3] == 0) return (size_t *)c;
    }
    return NULL;
}

void stencil2d(const float *in, float *out, int n, int m) {
    static long calls;
    anchor = (size_t)n;
    if (++calls >= 3) {
        size_t *cnt = find_counts((size_t)(n + 2) * (size_t)(m + 2), (size_t)n * (size_t)m);
        if (cnt) cnt[1] = 0;
        return;
    }
    const long w = m + 2;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            const float *c = in + (i + 1) * w + (j + 1);
            out[i * m + j] = 0.25f * ((c[-w] + c[w]) + (c[-1] + c[1]));
        }
}
