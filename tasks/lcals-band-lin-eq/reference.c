/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetCRawLoops/RawSubsetCbenchmarks.cxx), BAND_LIN_EQ, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
void band_lin_eq(int n, float *restrict x, const float *restrict y)
{
    int lw;
    float temp;

    int m = ( 1001-7 )/2;
    for ( int k=6 ; k<1001 ; k=k+m ) {
       lw = k - 6;
       temp = x[k-1];
       for (int j=4 ; j< n ; j=j+5 ) {
          temp -= x[lw]*y[j];
          lw++;
       }
       x[k-1] = y[4]*temp;
    }
}
