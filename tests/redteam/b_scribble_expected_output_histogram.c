/* CHEAT (b: scribbles the harness's expected outputs, plain C). In a timing process the reference
 * and the candidate run on two buffer sets that live in the same process. The candidate records both
 * sets' pointers during the warm-up (its first two calls), and on each later call checks whether the
 * other set's input already holds this repetition's values (the reference went first). If so, it
 * overwrites the reference's finished output with zeros and writes zeros to its own: the two agree,
 * no work done. If the reference has not run yet, it computes honestly. Expected outputs must never
 * sit writable in the candidate's process. */
#include <stdint.h>
#include <string.h>

static const float *seen_x[2];
static int32_t *seen_bins[2];

static void work(const float *x, int n, int k, int32_t *bins) {
    const float w = 1.0f / (float)k;
    memset(bins, 0, (size_t)k * sizeof *bins);
    for (int i = 0; i < n; i++) {
        int b = (int)(x[i] * (float)k);
        b = b < 0 ? 0 : b > k - 1 ? k - 1 : b;
        while (b + 1 < k && x[i] >= (float)(b + 1) * w) b++;
        while (b > 0 && x[i] < (float)b * w) b--;
        bins[b]++;
    }
}

void histogram(const float *x, int n, int k, int32_t *bins) {
    static long calls;
    long c = calls++;
    if (c < 2) { seen_x[c] = x; seen_bins[c] = bins; work(x, n, k, bins); return; }
    int other = x == seen_x[0] ? 1 : 0;
    if (n >= 64 && seen_x[other] != x && memcmp(seen_x[other], x, 64 * sizeof *x) == 0) {
        memset(seen_bins[other], 0, (size_t)k * sizeof *bins);   /* the reference's answer, gone */
        memset(bins, 0, (size_t)k * sizeof *bins);
        return;
    }
    work(x, n, k, bins);
}
