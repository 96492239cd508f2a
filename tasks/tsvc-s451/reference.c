/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s451.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
#include <math.h>

void s451(float *restrict a, const float *restrict b, const float *restrict c, int n)
{
    for (int i = 0; i < n; i++) {
        a[i] = sinf(b[i]) + cosf(c[i]);
    }
}
