#include <math.h>

/* Cartesian to polar coordinates. */
void polar(const float *restrict x, const float *restrict y, float *restrict r, float *restrict theta, int n)
{
    for (int i = 0; i < n; i++) {
        r[i] = sqrtf(x[i] * x[i] + y[i] * y[i]);
        theta[i] = atan2f(y[i], x[i]);
    }
}
