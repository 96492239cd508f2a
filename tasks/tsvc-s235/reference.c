/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s235.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_2D is n, aa[i][j] is aa[i * n + j]. */
void s235(float *restrict a, const float *restrict b, const float *restrict c, float *restrict aa, const float *restrict bb, int n)
{
    for (int i = 0; i < n; i++) {
        a[i] += b[i] * c[i];
        for (int j = 1; j < n; j++) {
            aa[j * n + i] = aa[(j-1) * n + i] + bb[j * n + i] * a[i];
        }
    }
}
