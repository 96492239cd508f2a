/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetCRawLoops/RawSubsetCbenchmarks.cxx), GEN_LIN_RECUR, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
void gen_lin_recur(int n, float *restrict b5, const float *restrict sa, const float *restrict sb, float stb5)
{
    int kb5i = 0;

    for ( int k=0 ; k< n ; k++ ) {
       b5[k+kb5i] = sa[k] + stb5*sb[k];
       stb5 = b5[k+kb5i] - stb5;
    }

    for (int  i=1 ; i<= n ; i++ ) {
       int k = n - i ;
       b5[k+kb5i] = sa[k] + stb5*sb[k];
       stb5 = b5[k+kb5i] - stb5;
    }
}
