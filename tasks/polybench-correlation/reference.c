/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, datamining/correlation/correlation.c), kernel_correlation.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); SQRT_FUN, EXP_FUN and POW_FUN are sqrtf, expf and powf; the sizes _PB_N (N)
 * are the int parameters n; the arrays are flat row-major parameters (data[i][j] is data[i * m + j]); the
 * arrays it does not write are const. */
#include <math.h>

void correlation(int m, int n, float float_n, float *restrict data, float *restrict corr, float *restrict mean, float *restrict stddev)
{
    int i, j, k;

    float eps = 0.1f;

    for (j = 0; j < m; j++)
      {
        mean[j] = 0.0f;
        for (i = 0; i < n; i++)
          mean[j] += data[i * m + j];
        mean[j] /= float_n;
      }

     for (j = 0; j < m; j++)
      {
        stddev[j] = 0.0f;
        for (i = 0; i < n; i++)
          stddev[j] += (data[i * m + j] - mean[j]) * (data[i * m + j] - mean[j]);
        stddev[j] /= float_n;
        stddev[j] = sqrtf(stddev[j]);
        /* The following in an inelegant but usual way to handle
           near-zero std. dev. values, which below would cause a zero-
           divide. */
        stddev[j] = stddev[j] <= eps ? 1.0f : stddev[j];
      }

    /* Center and reduce the column vectors. */
    for (i = 0; i < n; i++)
      for (j = 0; j < m; j++)
        {
          data[i * m + j] -= mean[j];
          data[i * m + j] /= sqrtf(float_n) * stddev[j];
        }

    /* Calculate the m * m correlation matrix. */
    for (i = 0; i < m-1; i++)
      {
        corr[i * m + i] = 1.0f;
        for (j = i+1; j < m; j++)
          {
            corr[i * m + j] = 0.0f;
            for (k = 0; k < n; k++)
              corr[i * m + j] += (data[k * m + i] * data[k * m + j]);
            corr[j * m + i] = corr[i * m + j];
          }
      }
    corr[(m-1) * m + m-1] = 1.0f;
}
