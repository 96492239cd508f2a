/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s122.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n; n1, n3, which TSVC's main() passes, are parameters too. */
void s122(float *restrict a, const float *restrict b, int n1, int n3, int n)
{
    int j, k;
    j = 1;
    k = 0;
    for (int i = n1-1; i < n; i += n3) {
        k += j;
        a[i] += b[n - k];
    }
}
