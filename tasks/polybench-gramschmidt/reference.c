/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/solvers/gramschmidt/gramschmidt.c), kernel_gramschmidt.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); SQRT_FUN, EXP_FUN and POW_FUN are sqrtf, expf and powf; the sizes _PB_N (N)
 * are the int parameters n; the arrays are flat row-major parameters (A[i][j] is A[i * n + j]); the arrays
 * it does not write are const. */
#include <math.h>

void gramschmidt(int m, int n, float *restrict A, float *restrict R, float *restrict Q)
{
    int i, j, k;

    float nrm;

    for (k = 0; k < n; k++)
      {
        nrm = 0.0f;
        for (i = 0; i < m; i++)
          nrm += A[i * n + k] * A[i * n + k];
        R[k * n + k] = sqrtf(nrm);
        for (i = 0; i < m; i++)
          Q[i * n + k] = A[i * n + k] / R[k * n + k];
        for (j = k + 1; j < n; j++)
          {
            R[k * n + j] = 0.0f;
            for (i = 0; i < m; i++)
              R[k * n + j] += Q[i * n + k] * A[i * n + j];
            for (i = 0; i < m; i++)
              A[i * n + j] = A[i * n + j] - Q[i * n + k] * R[k * n + j];
          }
      }
}
