/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s491.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n; ip, which TSVC's main() passes, is a parameter too. */
void s491(float *restrict a, const float *restrict b, const float *restrict c, const float *restrict d, const int *restrict ip, int n)
{
    for (int i = 0; i < n; i++) {
        a[ip[i]] = b[i] + c[i] * d[i];
    }
}
