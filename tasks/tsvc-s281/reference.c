/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s281.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
void s281(float *restrict a, float *restrict b, const float *restrict c, int n)
{
    float x;
    for (int i = 0; i < n; i++) {
        x = a[n-i-1] + b[i] * c[i];
        a[i] = x-(float)1.0;
        b[i] = x;
    }
}
