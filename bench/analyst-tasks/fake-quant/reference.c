#include <math.h>

/* Quantise to int8 levels: scale, round half away from zero, clamp to [-128, 127], and scale back. */
void quant(float *restrict y, const float *restrict x, float scale, int n)
{
    float inv = 1.0f / scale;
    for (int i = 0; i < n; i++) {
        float q = roundf(x[i] * inv);
        q = fminf(fmaxf(q, -128.0f), 127.0f);
        y[i] = q * scale;
    }
}
