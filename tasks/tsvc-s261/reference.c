/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s261.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
void s261(float *restrict a, const float *restrict b, float *restrict c, const float *restrict d, int n)
{
    float t;
    for (int i = 1; i < n; ++i) {
        t = a[i] + b[i];
        a[i] = t + c[i-1];
        t = c[i] * d[i];
        c[i] = t;
    }
}
