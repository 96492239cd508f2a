/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s4114.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n; ip, n1, which TSVC's main() passes, are parameters too. */
void s4114(float *restrict a, const float *restrict b, const float *restrict c, const float *restrict d, const int *restrict ip, int n1, int n)
{
    int k;
    for (int i = n1-1; i < n; i++) {
        k = ip[i];
        a[i] = b[i] + c[n-k+1-2] * d[i];
        k += 5;
    }
}
