#include <math.h>

void layer_norm(const float *x, const float *gamma, const float *beta,
                float *y, int rows, int cols, float eps)
{
    for (int i = 0; i < rows; i++) {
        const float *xr = x + (long)i * cols;
        float *yr = y + (long)i * cols;
        float mean = 0.0f;
        for (int j = 0; j < cols; j++)
            mean += xr[j];
        mean /= cols;
        float var = 0.0f;
        for (int j = 0; j < cols; j++) {
            float d = xr[j] - mean;
            var += d * d;
        }
        var /= cols;
        float rstd = 1.0f / sqrtf(var + eps);
        for (int j = 0; j < cols; j++)
            yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
    }
}
