#include <math.h>

/* One bin of a discrete Fourier transform: the real and imaginary parts at frequency k. */
void dft_bin(const float *restrict x, int n, int k, float *restrict out)
{
    float re = 0.0f, im = 0.0f;
    float w = -6.2831853f * (float)k / (float)n;
    for (int j = 0; j < n; j++) {
        float a = w * (float)j;
        re += x[j] * cosf(a);
        im += x[j] * sinf(a);
    }
    out[0] = re;
    out[1] = im;
}
