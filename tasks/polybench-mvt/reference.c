/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/kernels/mvt/mvt.c), kernel_mvt.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * n + j]); the arrays it does not write are const. */
void mvt(int n, float *restrict x1, float *restrict x2, const float *restrict y_1, const float *restrict y_2, const float *restrict A)
{
    int i, j;

    for (i = 0; i < n; i++)
      for (j = 0; j < n; j++)
        x1[i] = x1[i] + A[i * n + j] * y_1[j];
    for (i = 0; i < n; i++)
      for (j = 0; j < n; j++)
        x2[i] = x2[i] + A[j * n + i] * y_2[j];
}
