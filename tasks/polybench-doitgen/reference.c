/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/kernels/doitgen/doitgen.c), kernel_doitgen.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j][k] is A[(i * nq + j) * np + k]); the arrays it does not write are const. */
void doitgen(int nr, int nq, int np, float *restrict A, const float *restrict C4, float *restrict sum)
{
    int r, q, p, s;

    for (r = 0; r < nr; r++)
      for (q = 0; q < nq; q++)  {
        for (p = 0; p < np; p++)  {
          sum[p] = 0.0f;
          for (s = 0; s < np; s++)
            sum[p] += A[(r * nq + q) * np + s] * C4[s * np + p];
        }
        for (p = 0; p < np; p++)
          A[(r * nq + q) * np + p] = sum[p];
      }
}
