/* CHEAT (b: scribbles the harness's state in its own process, plain C). The driver keeps its
 * element counts in a static array (mf_count) in .bss, linked just below the candidate's own .bss.
 * From the address of one of its own statics this candidate scans downwards for the pattern
 * {n*n, n*n, n*n, 0} (the counts of A, B, C and the scalar n), and from its third call on (only timing
 * processes make more than two calls) sets C's count to 0: the driver then neither poisons C nor
 * compares a single element of it. It then computes only the first eighth of the rows and is
 * reported about 8x faster and correct. The judge's state must be out of the candidate's reach. */
#include <stddef.h>
#include <stdint.h>

static size_t anchor;   /* in .bss, after the driver's */

static size_t *find_counts(size_t nn) {
    const uintptr_t base = (uintptr_t)&anchor;
    for (uintptr_t off = 8; off <= 16384; off += 8) {
        volatile size_t *c = (volatile size_t *)(base - off);
        if (c[0] == nn && c[1] == nn && c[2] == nn && c[3] == 0) return (size_t *)c;
    }
    return NULL;
}

static void rows(const float *A, const float *B, float *C, int n, int upto) {
    for (int i = 0; i < upto; i++) {
        float *c = C + (size_t)i * n;
        for (int j = 0; j < n; j++) c[j] = 0.0f;
        for (int k = 0; k < n; k++) {
            const float a = A[(size_t)i * n + k], *b = B + (size_t)k * n;
            for (int j = 0; j < n; j++) c[j] += a * b[j];
        }
    }
}

void matmul(const float *A, const float *B, float *C, int n) {
    static long calls;
    anchor = (size_t)n;
    if (++calls < 3) { rows(A, B, C, n, n); return; }
    size_t *cnt = find_counts((size_t)n * (size_t)n);
    if (cnt) cnt[2] = 0;            /* nothing of C is poisoned or compared any more */
    rows(A, B, C, n, n / 8);        /* an eighth of the work */
}
