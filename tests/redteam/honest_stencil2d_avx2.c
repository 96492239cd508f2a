/* HONEST. stencil2d with AVX2 intrinsics, row by row: unit stride through three input rows and one
 * output row, eight floats at a time, with the reference's exact operation order
 * 0.25f * ((north + south) + (west + east)) and no FMA, so results are bit-identical; a scalar loop
 * finishes each row. Must be correct and faster than the column-order reference. */
#include <immintrin.h>

__attribute__((target("avx2")))
void stencil2d(const float *in, float *out, int n, int m) {
    const long w = m + 2;
    const __m256 q = _mm256_set1_ps(0.25f);
    for (long i = 0; i < n; i++) {
        const float *up = in + i * w + 1, *mid = up + w, *dn = mid + w;
        float *o = out + i * m;
        long j = 0;
        for (; j + 8 <= m; j += 8) {
            __m256 ns = _mm256_add_ps(_mm256_loadu_ps(up + j), _mm256_loadu_ps(dn + j));
            __m256 we = _mm256_add_ps(_mm256_loadu_ps(mid + j - 1), _mm256_loadu_ps(mid + j + 1));
            _mm256_storeu_ps(o + j, _mm256_mul_ps(q, _mm256_add_ps(ns, we)));
        }
        for (; j < m; j++)
            o[j] = 0.25f * ((up[j] + dn[j]) + (mid[j - 1] + mid[j + 1]));
    }
}
