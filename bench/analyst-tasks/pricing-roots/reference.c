#include <math.h>

void bs(const float *restrict s, const float *restrict x, const float *restrict t, float r, float v,
        float *restrict call, int n)
{
    for (int i = 0; i < n; i++) {
        float sqrt_t = sqrtf(t[i]);
        float d1 = (logf(s[i] / x[i]) + (r + 0.5f * v * v) * t[i]) / (v * sqrt_t);
        float d2 = d1 - v * sqrtf(t[i] + 1.0f);
        call[i] = s[i] * expf(-d1 * d1) - x[i] * expf(-r * t[i]) * d2;
    }
}
