// Out-of-place transpose of an n x m row-major float matrix into an m x n row-major matrix.
// Naive: reads `in` row by row, so every write to `out` is n floats after the previous one.
extern "C" void transpose(const float *in, float *out, int n, int m) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            out[(long)j * n + i] = in[(long)i * m + j];
}
