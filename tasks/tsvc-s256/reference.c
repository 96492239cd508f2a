/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s256.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_2D is n, aa[i][j] is aa[i * n + j]. */
void s256(float *restrict a, const float *restrict d, float *restrict aa, const float *restrict bb, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 1; j < n; j++) {
            a[j] = (float)1.0 - a[j - 1];
            aa[j * n + i] = a[j] + bb[j * n + i]*d[j];
        }
    }
}
