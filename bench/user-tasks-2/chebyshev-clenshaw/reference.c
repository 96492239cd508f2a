void chebyshev_clenshaw(const double *c, int deg, const double *x, double *y,
                        int n, double a, double b)
{
    for (int i = 0; i < n; i++) {
        double t = (2.0 * x[i] - a - b) / (b - a);
        double b1 = 0.0, b2 = 0.0;
        for (int j = deg - 1; j >= 1; j--) {
            double b0 = 2.0 * t * b1 - b2 + c[j];
            b2 = b1;
            b1 = b0;
        }
        y[i] = t * b1 - b2 + c[0];
    }
}
