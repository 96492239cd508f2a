#include <math.h>

/* ReLU6 of a bias-added activation, in double: y = min(max(x + b, 0), 6). */
void relu6(double *restrict y, const double *restrict x, const double *restrict b, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = fmin(fmax(x[i] + b[i], 0.0), 6.0);
}
