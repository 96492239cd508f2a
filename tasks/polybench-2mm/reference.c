/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/kernels/2mm/2mm.c), kernel_2mm.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (tmp[i][j] is tmp[i * nj + j]); the arrays it does not write are const; the function is
 * kernel_2mm. */
void kernel_2mm(int ni, int nj, int nk, int nl, float alpha, float beta, float *restrict tmp, const float *restrict A, const float *restrict B, const float *restrict C, float *restrict D)
{
    int i, j, k;

    /* D := alpha*A*B*C + beta*D */
    for (i = 0; i < ni; i++)
      for (j = 0; j < nj; j++)
        {
          tmp[i * nj + j] = 0.0f;
          for (k = 0; k < nk; ++k)
            tmp[i * nj + j] += alpha * A[i * nk + k] * B[k * nj + j];
        }
    for (i = 0; i < ni; i++)
      for (j = 0; j < nl; j++)
        {
          D[i * nl + j] *= beta;
          for (k = 0; k < nj; ++k)
            D[i * nl + j] += tmp[i * nj + k] * C[k * nl + j];
        }
}
