/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s1232.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_2D is n, aa[i][j] is aa[i * n + j]. */
void s1232(float *restrict aa, const float *restrict bb, const float *restrict cc, int n)
{
    for (int j = 0; j < n; j++) {
        for (int i = j; i < n; i++) {
            aa[i * n + j] = bb[i * n + j] + cc[i * n + j];
        }
    }
}
