/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/blas/syr2k/syr2k.c), kernel_syr2k.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (C[i][j] is C[i * n + j]); the arrays it does not write are const. */
void syr2k(int n, int m, float alpha, float beta, float *restrict C, const float *restrict A, const float *restrict B)
{
    int i, j, k;

    //BLAS PARAMS
    //UPLO  = 'L'
    //TRANS = 'N'
    //A is NxM
    //B is NxM
    //C is NxN
    for (i = 0; i < n; i++) {
      for (j = 0; j <= i; j++)
        C[i * n + j] *= beta;
      for (k = 0; k < m; k++)
        for (j = 0; j <= i; j++)
          {
            C[i * n + j] += A[j * m + k]*alpha*B[i * m + k] + B[j * m + k]*alpha*A[i * m + k];
          }
    }
}
