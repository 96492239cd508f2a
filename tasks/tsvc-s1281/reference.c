/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s1281.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
void s1281(float *restrict a, float *restrict b, const float *restrict c, const float *restrict d, const float *restrict e, int n)
{
    float x;
    for (int i = 0; i < n; i++) {
        x = b[i]*c[i] + a[i]*d[i] + e[i];
        a[i] = x-(float)1.0;
        b[i] = x;
    }
}
