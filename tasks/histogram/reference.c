/* Histogram of n floats into k equal-width buckets over [0, 1).
 * Naive: for every value, walk the bucket edges from the left until the next edge is above it. */
#include <stdint.h>

void histogram(const float *x, int n, int k, int32_t *bins) {
    float w = 1.0f / (float)k;
    for (int b = 0; b < k; b++)
        bins[b] = 0;
    for (int i = 0; i < n; i++) {
        int b = 0;
        while (b + 1 < k && x[i] >= (float)(b + 1) * w)
            b++;
        bins[b]++;
    }
}
