/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetBRawLoops/RawSubsetBbenchmarks.cxx), IF_QUAD, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
#include <math.h>

void if_quad(int n, const float *restrict a, const float *restrict b, const float *restrict c, float *restrict x1, float *restrict x2)
{
    for (int i=0 ; i< n; i++ ) {
       float s = b[i]*b[i] - 4.0f*a[i]*c[i];
       if ( s >= 0 ) {
          s = sqrtf(s);
          x2[i] = (-b[i]+s)/(2.0f*a[i]);
          x1[i] = (-b[i]-s)/(2.0f*a[i]);
       } else {
          x2[i] = 0.0f;
          x1[i] = 0.0f;
       }
    }
}
