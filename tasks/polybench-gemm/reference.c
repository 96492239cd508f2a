/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/blas/gemm/gemm.c), kernel_gemm.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (C[i][j] is C[i * nj + j]); the arrays it does not write are const. */
void gemm(int ni, int nj, int nk, float alpha, float beta, float *restrict C, const float *restrict A, const float *restrict B)
{
    int i, j, k;

    //BLAS PARAMS
    //TRANSA = 'N'
    //TRANSB = 'N'
    // => Form C := alpha*A*B + beta*C,
    //A is NIxNK
    //B is NKxNJ
    //C is NIxNJ
    for (i = 0; i < ni; i++) {
      for (j = 0; j < nj; j++)
          C[i * nj + j] *= beta;
      for (k = 0; k < nk; k++) {
         for (j = 0; j < nj; j++)
            C[i * nj + j] += alpha * A[i * nk + k] * B[k * nj + j];
      }
    }
}
