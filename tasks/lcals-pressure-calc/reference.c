/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetARawLoops/RawSubsetAbenchmarks.cxx), PRESSURE_CALC, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
#include <math.h>

void pressure_calc(int n, const float *restrict compression, float *restrict bvc, float *restrict p_new, const float *restrict e_old, const float *restrict vnewc, float cls, float p_cut, float pmin, float eosvmax)
{
    for (int i=0 ; i<n ; i++ ) {
       bvc[i] = cls * (compression[i] + 1.0f);
    }

    for (int i=0 ; i<n ; i++ ) {
       p_new[i] = bvc[i] * e_old[i] ;

       if ( fabsf(p_new[i]) <  p_cut ) p_new[i] = 0.0f ;

       if ( vnewc[i] >= eosvmax ) p_new[i] = 0.0f ;

       if ( p_new[i]  <  pmin ) p_new[i]   = pmin ;
    }
}
