/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/kernels/bicg/bicg.c), kernel_bicg.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * m + j]); the arrays it does not write are const. */
void bicg(int m, int n, const float *restrict A, float *restrict s, float *restrict q, const float *restrict p, const float *restrict r)
{
    int i, j;

    for (i = 0; i < m; i++)
      s[i] = 0;
    for (i = 0; i < n; i++)
      {
        q[i] = 0.0f;
        for (j = 0; j < m; j++)
          {
            s[j] = s[j] + r[i] * A[i * m + j];
            q[i] = q[i] + A[i * m + j] * p[j];
          }
      }
}
