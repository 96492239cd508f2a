/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s1213.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
void s1213(float *restrict a, float *restrict b, const float *restrict c, const float *restrict d, int n)
{
    for (int i = 1; i < n-1; i++) {
        a[i] = b[i-1]+c[i];
        b[i] = a[i+1]*d[i];
    }
}
