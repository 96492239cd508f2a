/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s273.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
void s273(float *restrict a, float *restrict b, float *restrict c, const float *restrict d, const float *restrict e, int n)
{
    for (int i = 0; i < n; i++) {
        a[i] += d[i] * e[i];
        if (a[i] < (float)0.)
            b[i] += d[i] * e[i];
        c[i] += a[i] * d[i];
    }
}
