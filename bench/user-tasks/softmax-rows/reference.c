#include <math.h>

void softmax_rows(const float *x, float *y, int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        const float *xr = x + (long)i * cols;
        float *yr = y + (long)i * cols;
        float m = xr[0];
        for (int j = 1; j < cols; j++)
            if (xr[j] > m)
                m = xr[j];
        float sum = 0.0f;
        for (int j = 0; j < cols; j++) {
            yr[j] = expf(xr[j] - m);
            sum += yr[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < cols; j++)
            yr[j] *= inv;
    }
}
