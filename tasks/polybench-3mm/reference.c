/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/kernels/3mm/3mm.c), kernel_3mm.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (E[i][j] is E[i * nj + j]); the arrays it does not write are const; the function is
 * kernel_3mm. */
void kernel_3mm(int ni, int nj, int nk, int nl, int nm, float *restrict E, const float *restrict A, const float *restrict B, float *restrict F, const float *restrict C, const float *restrict D, float *restrict G)
{
    int i, j, k;

    /* E := A*B */
    for (i = 0; i < ni; i++)
      for (j = 0; j < nj; j++)
        {
          E[i * nj + j] = 0.0f;
          for (k = 0; k < nk; ++k)
            E[i * nj + j] += A[i * nk + k] * B[k * nj + j];
        }
    /* F := C*D */
    for (i = 0; i < nj; i++)
      for (j = 0; j < nl; j++)
        {
          F[i * nl + j] = 0.0f;
          for (k = 0; k < nm; ++k)
            F[i * nl + j] += C[i * nm + k] * D[k * nl + j];
        }
    /* G := E*F */
    for (i = 0; i < ni; i++)
      for (j = 0; j < nl; j++)
        {
          G[i * nl + j] = 0.0f;
          for (k = 0; k < nj; ++k)
            G[i * nl + j] += E[i * nj + k] * F[k * nl + j];
        }
}
