/* HONEST. histogram by direct indexing: guess the bucket as (int)(x*k) clamped to [0, k-1], then
 * nudge it against the exact float edges e(b) = (float)b * w the task defines, so values on or next
 * to an edge land exactly where the reference's linear edge walk puts them. Counting goes into four
 * sub-histograms (one per lane of a 4-way unrolled loop) so repeated buckets do not serialise on one
 * counter; they are summed at the end. O(1) per value instead of O(k). Must be correct and faster. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int bucket(float v, int k, float kf, float top, float w) {
    float g = v * kf;
    g = g < 0.0f ? 0.0f : g;
    g = g > top ? top : g;
    int b = (int)g;
    while (b + 1 < k && v >= (float)(b + 1) * w) b++;
    while (b > 0 && v < (float)b * w) b--;
    return b;
}

void histogram(const float *x, int n, int k, int32_t *bins) {
    const float w = 1.0f / (float)k, kf = (float)k, top = (float)(k - 1);
    int32_t *h = calloc((size_t)4 * k, sizeof *h);
    if (!h) return;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        h[bucket(x[i], k, kf, top, w)]++;
        h[k + bucket(x[i + 1], k, kf, top, w)]++;
        h[2 * k + bucket(x[i + 2], k, kf, top, w)]++;
        h[3 * k + bucket(x[i + 3], k, kf, top, w)]++;
    }
    for (; i < n; i++) h[bucket(x[i], k, kf, top, w)]++;
    for (int b = 0; b < k; b++) bins[b] = h[b] + h[k + b] + h[2 * k + b] + h[3 * k + b];
    free(h);
}
