#include <math.h>

/* Black-Scholes call and put prices of n options (the normal CDF by Abramowitz-Stegun's polynomial). */
static float cnd(float d)
{
    float k = 1.0f / (1.0f + 0.2316419f * fabsf(d));
    float w = k * (0.31938153f + k * (-0.356563782f + k * (1.781477937f + k * (-1.821255978f + k * 1.330274429f))));
    float c = 0.3989422804f * expf(-0.5f * d * d) * w;
    return d > 0 ? 1.0f - c : c;
}

void bs(const float *restrict s, const float *restrict x, const float *restrict t, float r, float v,
        float *restrict call, float *restrict put, int n)
{
    for (int i = 0; i < n; i++) {
        float sqrt_t = sqrtf(t[i]);
        float d1 = (logf(s[i] / x[i]) + (r + 0.5f * v * v) * t[i]) / (v * sqrt_t);
        float d2 = d1 - v * sqrt_t;
        float e = x[i] * expf(-r * t[i]);
        call[i] = s[i] * cnd(d1) - e * cnd(d2);
        put[i] = e * cnd(-d2) - s[i] * cnd(-d1);
    }
}
