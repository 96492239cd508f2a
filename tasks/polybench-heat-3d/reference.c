/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, stencils/heat-3d/heat-3d.c), kernel_heat_3d.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (A[i][j][k] is A[(i * n + j) * n + k]); the arrays it does not write are const. */
void heat_3d(int tsteps, int n, float *restrict A, float *restrict B)
{
    int t, i, j, k;

      for (t = 1; t <= tsteps; t++) {
          for (i = 1; i < n-1; i++) {
              for (j = 1; j < n-1; j++) {
                  for (k = 1; k < n-1; k++) {
                      B[(i * n + j) * n + k] =   0.125f * (A[((i+1) * n + j) * n + k] - 2.0f * A[(i * n + j) * n + k] + A[((i-1) * n + j) * n + k])
                                   + 0.125f * (A[(i * n + j+1) * n + k] - 2.0f * A[(i * n + j) * n + k] + A[(i * n + j-1) * n + k])
                                   + 0.125f * (A[(i * n + j) * n + k+1] - 2.0f * A[(i * n + j) * n + k] + A[(i * n + j) * n + k-1])
                                   + A[(i * n + j) * n + k];
                  }
              }
          }
          for (i = 1; i < n-1; i++) {
             for (j = 1; j < n-1; j++) {
                 for (k = 1; k < n-1; k++) {
                     A[(i * n + j) * n + k] =   0.125f * (B[((i+1) * n + j) * n + k] - 2.0f * B[(i * n + j) * n + k] + B[((i-1) * n + j) * n + k])
                                  + 0.125f * (B[(i * n + j+1) * n + k] - 2.0f * B[(i * n + j) * n + k] + B[(i * n + j-1) * n + k])
                                  + 0.125f * (B[(i * n + j) * n + k+1] - 2.0f * B[(i * n + j) * n + k] + B[(i * n + j) * n + k-1])
                                  + B[(i * n + j) * n + k];
                 }
             }
         }
      }
}
