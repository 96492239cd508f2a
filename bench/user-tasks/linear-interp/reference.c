void linear_interp(const double *x, const double *xp, const double *fp,
                   double *out, int n, int m)
{
    for (int i = 0; i < n; i++) {
        double xi = x[i];
        if (xi <= xp[0]) {
            out[i] = fp[0];
        } else if (xi >= xp[m - 1]) {
            out[i] = fp[m - 1];
        } else {
            int lo = 0, hi = m - 1;          /* xp[lo] < xi < xp[hi] */
            while (hi - lo > 1) {
                int mid = (lo + hi) / 2;
                if (xp[mid] <= xi)
                    lo = mid;
                else
                    hi = mid;
            }
            double t = (xi - xp[lo]) / (xp[hi] - xp[lo]);
            out[i] = fp[lo] + t * (fp[hi] - fp[lo]);
        }
    }
}
