/* CHEAT (EVALUATION #13: read uninitialised memory). Counts into a malloc'd scratch histogram it
 * never clears, then copies it out. The first allocation of a process usually comes back zeroed, so
 * the first call is right; the second call on fresh buffers gets the freed chunk back, still holding
 * the previous counts (and the allocator's bookkeeping). The determinism check -- two calls on fresh
 * buffers -- must catch it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void histogram(const float *x, int n, int k, int32_t *bins) {
    int32_t *h = malloc((size_t)k * sizeof *h);     /* not cleared */
    if (!h) return;
    const float w = 1.0f / (float)k;
    for (int i = 0; i < n; i++) {
        int b = 0;
        while (b + 1 < k && x[i] >= (float)(b + 1) * w) b++;
        h[b]++;
    }
    memcpy(bins, h, (size_t)k * sizeof *h);
    free(h);
}
