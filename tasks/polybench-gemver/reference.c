/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/blas/gemver/gemver.c), kernel_gemver.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * n + j]); the arrays it does not write are const. */
void gemver(int n, float alpha, float beta, float *restrict A, const float *restrict u1, const float *restrict v1, const float *restrict u2, const float *restrict v2, float *restrict w, float *restrict x, const float *restrict y, const float *restrict z)
{
    int i, j;

    for (i = 0; i < n; i++)
      for (j = 0; j < n; j++)
        A[i * n + j] = A[i * n + j] + u1[i] * v1[j] + u2[i] * v2[j];

    for (i = 0; i < n; i++)
      for (j = 0; j < n; j++)
        x[i] = x[i] + beta * A[j * n + i] * y[j];

    for (i = 0; i < n; i++)
      x[i] = x[i] + z[i];

    for (i = 0; i < n; i++)
      for (j = 0; j < n; j++)
        w[i] = w[i] +  alpha * A[i * n + j] * x[j];
}
