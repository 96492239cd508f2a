/* From MachSuite (https://github.com/breagen/MachSuite, fft/strided/fft.c), fft.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: double is float; real literals are float literals; the HLS loop
 * labels are dropped; the sizes are int parameters (FFT_SIZE is n); the arrays are restrict parameters,
 * const where it does not write them. */
void fft(int n, float *restrict real, float *restrict img, const float *restrict real_twid, const float *restrict img_twid)
{
    int even, odd, span, log, rootindex;
    float temp;
    log = 0;

    for(span=n>>1; span; span>>=1, log++){
        for(odd=span; odd<n; odd++){
            odd |= span;
            even = odd ^ span;

            temp = real[even] + real[odd];
            real[odd] = real[even] - real[odd];
            real[even] = temp;

            temp = img[even] + img[odd];
            img[odd] = img[even] - img[odd];
            img[even] = temp;

            rootindex = (even<<log) & (n - 1);
            if(rootindex){
                temp = real_twid[rootindex] * real[odd] -
                    img_twid[rootindex]  * img[odd];
                img[odd] = real_twid[rootindex]*img[odd] +
                    img_twid[rootindex]*real[odd];
                real[odd] = temp;
            }
        }
    }
}
