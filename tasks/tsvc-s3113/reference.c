/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s3113.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n; ABS is fabsf. */
#include <math.h>

void s3113(const float *restrict a, int n, float *restrict out)
{
    float max;
    max = fabsf(a[0]);
    for (int i = 0; i < n; i++) {
        if ((fabsf(a[i])) > max) {
            max = fabsf(a[i]);
        }
    }
    out[0] = max;
}
