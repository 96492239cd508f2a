#include <math.h>

void maxr(const float *restrict x, int n, float *restrict out)
{
    float m = x[0];
    for (int i = 1; i < n; i++)
        m = x[i] > m ? x[i] : m;
    out[0] = m;
}
