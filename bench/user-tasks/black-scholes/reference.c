#include <math.h>

static double norm_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

void black_scholes(const double *spot, const double *strike, const double *expiry,
                   const double *vol, double *call, double *put, double rate, int n)
{
    for (int i = 0; i < n; i++) {
        double S = spot[i], K = strike[i], T = expiry[i], sig = vol[i];
        double sqrtT = sqrt(T);
        double d1 = (log(S / K) + (rate + 0.5 * sig * sig) * T) / (sig * sqrtT);
        double d2 = d1 - sig * sqrtT;
        double disc = K * exp(-rate * T);
        call[i] = S * norm_cdf(d1) - disc * norm_cdf(d2);
        put[i] = disc * norm_cdf(-d2) - S * norm_cdf(-d1);
    }
}
