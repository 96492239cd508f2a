/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s242.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n; s1, s2, which TSVC's main() passes, are parameters too. */
void s242(float *restrict a, const float *restrict b, const float *restrict c, const float *restrict d, float s1, float s2, int n)
{
    for (int i = 1; i < n; ++i) {
        a[i] = a[i - 1] + s1 + s2 + b[i] + c[i] + d[i];
    }
}
