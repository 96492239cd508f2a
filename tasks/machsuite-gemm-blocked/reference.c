/* From MachSuite (https://github.com/breagen/MachSuite, gemm/blocked/gemm.c), bbgemm.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; real literals are float literals; the HLS
 * loop labels are dropped; the sizes are int parameters (row_size is n, col_size is n); the header's
 * constants and types it uses are defined here; the arrays are restrict parameters, const where it does not
 * write them. */
#define block_size 8

/*
Implementation based on algorithm described in:
The cache performance and optimizations of blocked algorithms
M. D. Lam, E. E. Rothberg, and M. E. Wolf
ASPLOS 1991
*/

void bbgemm(int n, const float *restrict m1, const float *restrict m2, float *restrict prod)
{
    int i, k, j, jj, kk;
    int i_row, k_row;
    float temp_x, mul;

    for (jj = 0; jj < n; jj += block_size){
        for (kk = 0; kk < n; kk += block_size){
            for ( i = 0; i < n; ++i){
                for (k = 0; k < block_size; ++k){
                    i_row = i * n;
                    k_row = (k  + kk) * n;
                    temp_x = m1[i_row + k + kk];
                    for (j = 0; j < block_size; ++j){
                        mul = temp_x * m2[k_row + j + jj];
                        prod[i_row + j + jj] += mul;
                    }
                }
            }
        }
    }
}
