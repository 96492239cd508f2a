#include <math.h>

void ewma_volatility(const double *ret, double *vol, int assets, int days,
                     double lambda, double annualize)
{
    for (int a = 0; a < assets; a++) {
        const double *r = ret + (long)a * days;
        double *v = vol + (long)a * days;
        double var = r[0] * r[0];
        v[0] = sqrt(var * annualize);
        for (int t = 1; t < days; t++) {
            var = lambda * var + (1.0 - lambda) * r[t] * r[t];
            v[t] = sqrt(var * annualize);
        }
    }
}
