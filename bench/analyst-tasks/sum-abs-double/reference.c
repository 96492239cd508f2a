#include <math.h>

/* The L1 norm of x, accumulated in double. */
void sumabs(const float *restrict x, int n, double *restrict out)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += fabsf(x[i]);
    out[0] = s;
}
