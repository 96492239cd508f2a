/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/blas/symm/symm.c), kernel_symm.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (C[i][j] is C[i * n + j]); the arrays it does not write are const. */
void symm(int m, int n, float alpha, float beta, float *restrict C, const float *restrict A, const float *restrict B)
{
    int i, j, k;
    float temp2;

     //BLAS PARAMS
     //SIDE = 'L'
     //UPLO = 'L'
     // =>  Form  C := alpha*A*B + beta*C
     // A is MxM
     // B is MxN
     // C is MxN
     //note that due to Fortran array layout, the code below more closely resembles upper triangular case in BLAS
     for (i = 0; i < m; i++)
        for (j = 0; j < n; j++ )
        {
          temp2 = 0;
          for (k = 0; k < i; k++) {
             C[k * n + j] += alpha*B[i * n + j] * A[i * m + k];
             temp2 += B[k * n + j] * A[i * m + k];
          }
          C[i * n + j] = beta * C[i * n + j] + alpha*B[i * n + j] * A[i * m + i] + alpha * temp2;
       }
}
