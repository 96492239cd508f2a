/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, linear-algebra/solvers/durbin/durbin.c), kernel_durbin.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays it does not write are
 * const. */
void durbin(int n, const float *restrict r, float *restrict y)
{
    float z[n];
    float alpha;
    float beta;
    float sum;

    int i,k;

    y[0] = -r[0];
    beta = 1.0f;
    alpha = -r[0];

    for (k = 1; k < n; k++) {
      beta = (1-alpha*alpha)*beta;
      sum = 0.0f;
      for (i=0; i<k; i++) {
         sum += r[k-i-1]*y[i];
      }
      alpha = - (r[k] + sum)/beta;

      for (i=0; i<k; i++) {
         z[i] = y[i] + alpha*y[k-i-1];
      }
      for (i=0; i<k; i++) {
        y[i] = z[i];
      }
      y[k] = alpha;
    }
}
