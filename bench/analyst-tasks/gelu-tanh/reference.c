#include <math.h>

/* GELU, tanh approximation (as in GPT-2). */
void k(const float *restrict x, int n, float *restrict out)
{
    for (int i = 0; i < n; i++)
        out[i] = 0.5f * x[i] * (1.0f + tanhf(0.7978845608f * (x[i] + 0.044715f * powf(x[i], 3.0f))));
}
