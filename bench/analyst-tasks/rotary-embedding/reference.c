#include <math.h>

/* Rotary position embedding: each pair (x[2i], x[2i+1]) rotated by the angle pos[i] * freq[i]. */
void rope(const float *restrict x, const float *restrict pos, const float *restrict freq, float *restrict y, int n)
{
    for (int i = 0; i < n; i++) {
        float a = pos[i] * freq[i];
        float c = cosf(a);
        float s = sinf(a);
        y[2 * i] = x[2 * i] * c - x[2 * i + 1] * s;
        y[2 * i + 1] = x[2 * i] * s + x[2 * i + 1] * c;
    }
}
