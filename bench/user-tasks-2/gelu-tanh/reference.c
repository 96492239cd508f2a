#include <math.h>

void gelu_tanh(const float *x, float *y, int n)
{
    const float k0 = 0.7978845608028654f; /* sqrt(2/pi) */
    const float k1 = 0.044715f;
    for (int i = 0; i < n; i++) {
        float v = x[i];
        float inner = k0 * (v + k1 * v * v * v);
        y[i] = 0.5f * v * (1.0f + tanhf(inner));
    }
}
