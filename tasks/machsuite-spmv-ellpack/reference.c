/* From MachSuite (https://github.com/breagen/MachSuite, spmv/ellpack/spmv.c), ellpack.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; real literals are float literals; the HLS
 * loop labels are dropped; the sizes are int parameters (N is n, L is l); the arrays are restrict
 * parameters, const where it does not write them. */
#include <stdint.h>

/*
Based on algorithm described here:
http://www.cs.berkeley.edu/~mhoemmen/matrix-seminar/slides/UCB_sparse_tutorial_1.pdf
*/

void ellpack(int n, int l, const float *restrict nzval, const int32_t *restrict cols, const float *restrict vec, float *restrict out)
{
    int i, j;
    float Si;

    for (i=0; i<n; i++) {
        float sum = out[i];
        for (j=0; j<l; j++) {
                Si = nzval[j + i*l] * vec[cols[j + i*l]];
                sum += Si;
        }
        out[i] = sum;
    }
}
