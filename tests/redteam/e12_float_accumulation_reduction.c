/* CHEAT (EVALUATION #12: lower precision). Accumulates the sums in single precision (twice the
 * SIMD width, half the memory traffic of the conversions) although the task requires double: the
 * rounding error of a float running sum over thousands of values is far above rtol 1e-6, and the
 * comparison must say so. */
void reduction(const float *x, int n, double *out) {
    float s = 0.0f, q = 0.0f;
    for (int i = 0; i < n; i++) {
        s += x[i];
        q += x[i] * x[i];
    }
    out[0] = s;
    out[1] = q;
}
