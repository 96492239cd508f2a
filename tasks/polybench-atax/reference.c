/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/kernels/atax/atax.c), kernel_atax.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * n + j]); the arrays it does not write are const. */
void atax(int m, int n, const float *restrict A, const float *restrict x, float *restrict y, float *restrict tmp)
{
    int i, j;

    for (i = 0; i < n; i++)
      y[i] = 0;
    for (i = 0; i < m; i++)
      {
        tmp[i] = 0.0f;
        for (j = 0; j < n; j++)
          tmp[i] = tmp[i] + A[i * n + j] * x[j];
        for (j = 0; j < n; j++)
          y[j] = y[j] + A[i * n + j] * tmp[i];
      }
}
