/* From LCALS (https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS/SubsetARawLoops/RawSubsetAbenchmarks.cxx), FIR, raw variant.
 * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).
 * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which
 * must go with any redistribution, is LICENSE.txt beside this file.
 * Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the length n, its
 * arrays (restrict, const where it does not write them) and its scalars; Real_type is float, Index_type
 * int, real literals are float literals and libm calls their float versions. */
void fir(int n, float *restrict out, const float *restrict in)
{
    enum { coefflen = 16 };
    float coeff[coefflen] = { 3.0f, -1.0f, -1.0f, -1.0f, -1.0f, 3.0f, -1.0f, -1.0f, -1.0f, -1.0f, 3.0f, -1.0f, -1.0f, -1.0f, -1.0f, 3.0f };
    const int len_minus_coeff = n - coefflen;

    for (int i = 0 ; i < len_minus_coeff ; i++ ) {
       float sum = 0.0f;

       for (int j = 0; j < coefflen; ++j ) {
          sum += coeff[j]*in[i+j];
       }
       out[i] = sum;
    }
}
