/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/blas/trmm/trmm.c), kernel_trmm.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j] is A[i * m + j]); the arrays it does not write are const. */
void trmm(int m, int n, float alpha, const float *restrict A, float *restrict B)
{
    int i, j, k;

    //BLAS parameters
    //SIDE   = 'L'
    //UPLO   = 'L'
    //TRANSA = 'T'
    //DIAG   = 'U'
    // => Form  B := alpha*A**T*B.
    // A is MxM
    // B is MxN
    for (i = 0; i < m; i++)
       for (j = 0; j < n; j++) {
          for (k = i+1; k < m; k++)
             B[i * n + j] += A[k * m + i] * B[k * n + j];
          B[i * n + j] = alpha * B[i * n + j];
       }
}
