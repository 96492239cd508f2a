/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop s3110.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_2D is n, aa[i][j] is aa[i * n + j]. */
void s3110(const float *restrict aa, int n, float *restrict out)
{
    int xindex, yindex;
    float max, chksum;
    max = aa[0 * n + 0];
    xindex = 0;
    yindex = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            if (aa[i * n + j] > max) {
                max = aa[i * n + j];
                xindex = i;
                yindex = j;
            }
        }
    }
    chksum = max + (float) xindex + (float) yindex;
    out[0] = chksum;
}
