/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetBRawLoops/RawSubsetBbenchmarks.cxx), MULADDSUB, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
void muladdsub(int n, float *restrict out1, float *restrict out2, float *restrict out3, const float *restrict in1, const float *restrict in2)
{
    for (int i=0 ; i< n ; i++ ) {
       out1[i] = in1[i] * in2[i] ;
       out2[i] = in1[i] + in2[i] ;
       out3[i] = in1[i] - in2[i] ;
    }
}
