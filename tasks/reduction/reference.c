/* Sum and sum of squares of n floats, accumulated in double precision.
 * Naive: one pass with a single accumulator each, so every addition waits for the previous one. */
void reduction(const float *x, int n, double *out) {
    double s = 0.0, q = 0.0;
    for (int i = 0; i < n; i++) {
        double v = x[i];
        s += v;
        q += v * v;
    }
    out[0] = s;
    out[1] = q;
}
