/* One 5-point Jacobi step. `in` is an (n+2) x (m+2) row-major grid with a one-cell halo;
 * `out` is the n x m interior, row-major. Naive: walks the grid column by column, so consecutive
 * iterations touch addresses (m+2) floats apart in `in` and m floats apart in `out`. */
void stencil2d(const float *in, float *out, int n, int m) {
    int w = m + 2;
    for (int j = 0; j < m; j++)
        for (int i = 0; i < n; i++) {
            const float *c = in + (long)(i + 1) * w + (j + 1);
            out[(long)i * m + j] = 0.25f * ((c[-w] + c[w]) + (c[-1] + c[1]));
        }
}
