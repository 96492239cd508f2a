/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, stencils/seidel-2d/seidel-2d.c), kernel_seidel_2d.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * n + j]); the arrays it does not write are const. */
void seidel_2d(int tsteps, int n, float *restrict A)
{
    int t, i, j;

    for (t = 0; t <= tsteps - 1; t++)
      for (i = 1; i<= n - 2; i++)
        for (j = 1; j <= n - 2; j++)
          A[i * n + j] = (A[(i-1) * n + j-1] + A[(i-1) * n + j] + A[(i-1) * n + j+1]
                     + A[i * n + j-1] + A[i * n + j] + A[i * n + j+1]
                     + A[(i+1) * n + j-1] + A[(i+1) * n + j] + A[(i+1) * n + j+1])/9.0f;
}
