/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetARawLoops/RawSubsetAbenchmarks.cxx), ENERGY_CALC, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
#include <math.h>

void energy_calc(int n, float *restrict e_new, const float *restrict e_old, const float *restrict delvc, const float *restrict p_new, const float *restrict p_old, float *restrict q_new, const float *restrict q_old, const float *restrict work, const float *restrict compHalfStep, const float *restrict pHalfStep, const float *restrict bvc, const float *restrict pbvc, const float *restrict ql_old, const float *restrict qq_old, const float *restrict vnewc, float rho0, float e_cut, float emin, float q_cut)
{
    for (int i=0 ; i< n ; i++ ) {
       e_new[i] = e_old[i] - 0.5f * delvc[i] *
                  (p_old[i] + q_old[i]) + 0.5f * work[i];
    }

    for (int i=0 ; i< n ; i++ ) {
       if ( delvc[i] > 0.0f ) {
                  q_new[i] = 0.0f ;
       }
       else {
          float vhalf = 1.0f / (1.0f + compHalfStep[i]) ;
          float ssc = ( pbvc[i] * e_new[i]
             + vhalf * vhalf * bvc[i] * pHalfStep[i] ) / rho0 ;

          if ( ssc <= 0.1111111e-36f ) {
             ssc = 0.3333333e-18f ;
          } else {
             ssc = sqrtf(ssc) ;
          }

          q_new[i] = (ssc*ql_old[i] + qq_old[i]) ;
       }
    }
    for (int i=0 ; i< n ; i++ ) {
       e_new[i] = e_new[i] + 0.5f * delvc[i]
          * ( 3.0f*(p_old[i] + q_old[i])
             - 4.0f*(pHalfStep[i] + q_new[i])) ;
    }

    for (int i=0 ; i< n ; i++ ) {
       e_new[i] += 0.5f * work[i];

       if ( fabsf(e_new[i]) < e_cut ) { e_new[i] = 0.0f  ; }

          if ( e_new[i]  < emin ) { e_new[i] = emin ; }
    }

    for (int i=0 ; i< n ; i++ ) {
       float q_tilde ;

       if (delvc[i] > 0.0f) {
          q_tilde = 0.f ;
       }
       else {
          float ssc = ( pbvc[i] * e_new[i]
             + vnewc[i] * vnewc[i] * bvc[i] * p_new[i] ) / rho0 ;

          if ( ssc <= 0.1111111e-36f ) {
             ssc = 0.3333333e-18f ;
          } else {
             ssc = sqrtf(ssc) ;
          }

          q_tilde = (ssc*ql_old[i] + qq_old[i]) ;
       }

       e_new[i] = e_new[i] - ( 7.0f*(p_old[i] + q_old[i])
                              - 8.0f*(pHalfStep[i] + q_new[i])
                              + (p_new[i] + q_tilde)) * delvc[i] / 6.0f ;

       if ( fabsf(e_new[i]) < e_cut ) {
          e_new[i] = 0.0f  ;
       }
       if ( e_new[i]  < emin ) {
          e_new[i] = emin ;
       }
    }

    for (int i=0 ; i< n ; i++ ) {
       if ( delvc[i] <= 0.0f ) {
          float ssc = ( pbvc[i] * e_new[i]
             + vnewc[i] * vnewc[i] * bvc[i] * p_new[i] ) / rho0 ;

          if ( ssc <= 0.1111111e-36f ) {
             ssc = 0.3333333e-18f ;
          } else {
             ssc = sqrtf(ssc) ;
          }

          q_new[i] = (ssc*ql_old[i] + qq_old[i]) ;

          if (fabsf(q_new[i]) < q_cut) q_new[i] = 0.0f ;
       }
    }
}
