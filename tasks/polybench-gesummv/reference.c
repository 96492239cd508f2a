/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/blas/gesummv/gesummv.c), kernel_gesummv.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * n + j]); the arrays it does not write are const. */
void gesummv(int n, float alpha, float beta, const float *restrict A, const float *restrict B, float *restrict tmp, const float *restrict x, float *restrict y)
{
    int i, j;

    for (i = 0; i < n; i++)
      {
        tmp[i] = 0.0f;
        y[i] = 0.0f;
        for (j = 0; j < n; j++)
          {
            tmp[i] = A[i * n + j] * x[j] + tmp[i];
            y[i] = B[i * n + j] * x[j] + y[i];
          }
        y[i] = alpha * tmp[i] + beta * y[i];
      }
}
