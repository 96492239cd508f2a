/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s2275.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_2D is n, aa[i][j] is aa[i * n + j]. */
void s2275(float *restrict a, const float *restrict b, const float *restrict c, const float *restrict d, float *restrict aa, const float *restrict bb, const float *restrict cc, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            aa[j * n + i] = aa[j * n + i] + bb[j * n + i] * cc[j * n + i];
        }
        a[i] = b[i] + c[i] * d[i];
    }
}
