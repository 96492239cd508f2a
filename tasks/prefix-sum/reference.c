/* Inclusive prefix sum of int32 values into int64.
 * Written as the textbook work-efficient (Blelloch) scan, ported from GPU course notes and run
 * serially: copy into a power-of-two scratch buffer, up-sweep, down-sweep (exclusive scan),
 * then add each input back to make the scan inclusive. */
#include <stdint.h>
#include <stdlib.h>

void prefix_sum(const int32_t *x, int64_t *out, int n) {
    long p = 1;
    while (p < n) p <<= 1;
    int64_t *t = malloc((size_t)p * sizeof *t);
    if (!t) return;
    for (long i = 0; i < n; i++) t[i] = x[i];
    for (long i = n; i < p; i++) t[i] = 0;
    /* up-sweep: build partial sums in place */
    for (long d = 1; d < p; d <<= 1)
        for (long i = 0; i < p; i += 2 * d)
            t[i + 2 * d - 1] += t[i + d - 1];
    /* down-sweep: turn the tree of partial sums into an exclusive scan */
    t[p - 1] = 0;
    for (long d = p >> 1; d >= 1; d >>= 1)
        for (long i = 0; i < p; i += 2 * d) {
            int64_t left = t[i + d - 1];
            t[i + d - 1] = t[i + 2 * d - 1];
            t[i + 2 * d - 1] += left;
        }
    for (long i = 0; i < n; i++) out[i] = t[i] + x[i];
    free(t);
}
