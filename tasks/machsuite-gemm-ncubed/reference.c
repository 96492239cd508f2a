/* From MachSuite (https://github.com/breagen/MachSuite, gemm/ncubed/gemm.c), gemm.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; real literals are float literals; the HLS
 * loop labels are dropped; the sizes are int parameters (row_size is n, col_size is n); the arrays are
 * restrict parameters, const where it does not write them. */
void gemm(int n, const float *restrict m1, const float *restrict m2, float *restrict prod)
{
    int i, j, k;
    int k_col, i_col;
    float mult;

    for(i=0;i<n;i++) {
        for(j=0;j<n;j++) {
            i_col = i * n;
            float sum = 0;
            for(k=0;k<n;k++) {
                k_col = k * n;
                mult = m1[i_col + k] * m2[k_col + j];
                sum += mult;
            }
            prod[i_col + j]  = sum;
        }
    }
}
