/* From MachSuite (https://github.com/breagen/MachSuite, spmv/crs/spmv.c), spmv.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; real literals are float literals; the HLS
 * loop labels are dropped; the sizes are int parameters (N is n); the arrays are restrict parameters, const
 * where it does not write them. */
#include <stdint.h>

/*
Based on algorithm described here:
http://www.cs.berkeley.edu/~mhoemmen/matrix-seminar/slides/UCB_sparse_tutorial_1.pdf
*/

void spmv(int n, const float *restrict val, const int32_t *restrict cols, const int32_t *restrict rowDelimiters, const float *restrict vec, float *restrict out)
{
    int i, j;
    float sum, Si;

    for(i = 0; i < n; i++){
        sum = 0; Si = 0;
        int tmp_begin = rowDelimiters[i];
        int tmp_end = rowDelimiters[i+1];
        for (j = tmp_begin; j < tmp_end; j++){
            Si = val[j] * vec[cols[j]];
            sum = sum + Si;
        }
        out[i] = sum;
    }
}
