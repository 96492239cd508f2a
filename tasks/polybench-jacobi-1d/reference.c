/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, stencils/jacobi-1d/jacobi-1d.c), kernel_jacobi_1d.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays it does not write are
 * const. */
void jacobi_1d(int tsteps, int n, float *restrict A, float *restrict B)
{
    int t, i;

    for (t = 0; t < tsteps; t++)
      {
        for (i = 1; i < n - 1; i++)
          B[i] = 0.33333f * (A[i-1] + A[i] + A[i + 1]);
        for (i = 1; i < n - 1; i++)
          A[i] = 0.33333f * (B[i-1] + B[i] + B[i + 1]);
      }
}
