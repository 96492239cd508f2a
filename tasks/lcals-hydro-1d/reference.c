/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetCRawLoops/RawSubsetCbenchmarks.cxx), HYDRO_1D, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
void hydro_1d(int n, float *restrict x, const float *restrict y, const float *restrict z, float q, float r, float t)
{
    for (int k=0 ; k< n ; k++ ) {
       x[k] = q + y[k]*( r*z[k+10] + t*z[k+11] );
    }
}
