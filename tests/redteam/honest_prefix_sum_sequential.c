/* HONEST. prefix-sum by a different algorithm: instead of the reference's Blelloch up-sweep /
 * down-sweep over a power-of-two scratch buffer, one sequential pass with a running int64 sum,
 * unrolled by eight (reads 4 bytes and writes 8 bytes per element, no scratch memory). Exact.
 * Must be correct and faster. */
#include <stdint.h>

void prefix_sum(const int32_t *restrict x, int64_t *restrict out, int n) {
    int64_t s = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        int64_t a = s + x[i], b = a + x[i + 1], c = b + x[i + 2], d = c + x[i + 3];
        int64_t e = d + x[i + 4], f = e + x[i + 5], g = f + x[i + 6], h = g + x[i + 7];
        out[i] = a; out[i + 1] = b; out[i + 2] = c; out[i + 3] = d;
        out[i + 4] = e; out[i + 5] = f; out[i + 6] = g; out[i + 7] = h;
        s = h;
    }
    for (; i < n; i++) out[i] = s += x[i];
}
