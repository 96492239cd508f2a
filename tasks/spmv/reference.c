/* y = alpha * A x, A in CSR form: a plain row-by-row loop. */
void spmv(const int *rowptr, const int *colidx, const float *vals, const float *x, float *y, int n, float alpha) {
    for (int i = 0; i < n; i++) {
        float sum = 0.0f;
        for (int j = rowptr[i]; j < rowptr[i + 1]; j++)
            sum += vals[j] * x[colidx[j]];
        y[i] = alpha * sum;
    }
}
