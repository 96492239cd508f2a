/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s141.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_2D is n, aa[i][j] is aa[i * n + j]. */
void s141(const float *restrict bb, float *restrict flat_2d_array, int n)
{
    int k;
    for (int i = 0; i < n; i++) {
        k = (i+1) * ((i+1) - 1) / 2 + (i+1)-1;
        for (int j = i; j < n; j++) {
            flat_2d_array[k] += bb[j * n + i];
            k += j+1;
        }
    }
}
