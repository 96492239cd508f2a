/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, stencils/fdtd-2d/fdtd-2d.c), kernel_fdtd_2d.
 * Copyright (c) 2010-2016, Ohio State University. All rights reserved.
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
 * Adapted by scripts/import-polybench.py: DATA_TYPE is float and real literals are float literals
 * (SCALAR_VAL(0.5) is 0.5f); the sizes _PB_N (N) are the int parameters n; the arrays are flat row-major
 * parameters (ex[i][j] is ex[i * ny + j]); the arrays it does not write are const. */
void fdtd_2d(int tmax, int nx, int ny, float *restrict ex, float *restrict ey, float *restrict hz, const float *restrict _fict_)
{
    int t, i, j;

    for(t = 0; t < tmax; t++)
      {
        for (j = 0; j < ny; j++)
          ey[0 * ny + j] = _fict_[t];
        for (i = 1; i < nx; i++)
          for (j = 0; j < ny; j++)
            ey[i * ny + j] = ey[i * ny + j] - 0.5f*(hz[i * ny + j]-hz[(i-1) * ny + j]);
        for (i = 0; i < nx; i++)
          for (j = 1; j < ny; j++)
            ex[i * ny + j] = ex[i * ny + j] - 0.5f*(hz[i * ny + j]-hz[i * ny + j-1]);
        for (i = 0; i < nx - 1; i++)
          for (j = 0; j < ny - 1; j++)
            hz[i * ny + j] = hz[i * ny + j] - 0.7f*  (ex[i * ny + j+1] - ex[i * ny + j] +
                                         ey[(i+1) * ny + j] - ey[i * ny + j]);
      }
}
