/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, datamining/covariance/covariance.c), kernel_covariance.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (data[i][j] is data[i * m + j]); the arrays it does not write are const. */
void covariance(int m, int n, float float_n, float *restrict data, float *restrict cov, float *restrict mean)
{
    int i, j, k;

    for (j = 0; j < m; j++)
      {
        mean[j] = 0.0f;
        for (i = 0; i < n; i++)
          mean[j] += data[i * m + j];
        mean[j] /= float_n;
      }

    for (i = 0; i < n; i++)
      for (j = 0; j < m; j++)
        data[i * m + j] -= mean[j];

    for (i = 0; i < m; i++)
      for (j = i; j < m; j++)
        {
          cov[i * m + j] = 0.0f;
          for (k = 0; k < n; k++)
            cov[i * m + j] += data[k * m + i] * data[k * m + j];
          cov[i * m + j] /= (float_n - 1.0f);
          cov[j * m + i] = cov[i * m + j];
        }
}
