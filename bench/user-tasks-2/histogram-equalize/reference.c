#include <stdint.h>

void histogram_equalize(const uint8_t *src, uint8_t *dst, int n)
{
    int64_t hist[256] = {0};
    int64_t cdf[256];
    for (int i = 0; i < n; i++)
        hist[src[i]]++;

    int64_t run = 0;
    for (int v = 0; v < 256; v++) {
        run += hist[v];
        cdf[v] = run;
    }

    int64_t cdf_min = 0;
    for (int v = 0; v < 256; v++) {
        if (cdf[v] != 0) {
            cdf_min = cdf[v];
            break;
        }
    }

    int64_t denom = (int64_t)n - cdf_min;
    uint8_t lut[256];
    for (int v = 0; v < 256; v++) {
        if (denom <= 0)
            lut[v] = (uint8_t)v;
        else if (cdf[v] <= cdf_min)
            lut[v] = 0;
        else
            lut[v] = (uint8_t)(((cdf[v] - cdf_min) * 255) / denom);
    }

    for (int i = 0; i < n; i++)
        dst[i] = lut[src[i]];
}
