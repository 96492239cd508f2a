// HONEST. transpose in C++ with AVX intrinsics: 64 x 64 tiles (both the rows read and the rows
// written stay in L1/L2 while a tile is processed), each full 8 x 8 block transposed in registers
// with unpack / shuffle / permute2f128, scalar copies at the ragged edges. Values are moved, never
// computed, so the output is bit-exact. Must be correct and faster.
#include <immintrin.h>

__attribute__((target("avx"))) static inline void block8(const float *in, float *out, long n, long m) {
    __m256 r0 = _mm256_loadu_ps(in), r1 = _mm256_loadu_ps(in + m), r2 = _mm256_loadu_ps(in + 2 * m),
           r3 = _mm256_loadu_ps(in + 3 * m), r4 = _mm256_loadu_ps(in + 4 * m), r5 = _mm256_loadu_ps(in + 5 * m),
           r6 = _mm256_loadu_ps(in + 6 * m), r7 = _mm256_loadu_ps(in + 7 * m);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(out, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(out + n, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(out + 2 * n, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(out + 3 * n, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(out + 4 * n, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(out + 5 * n, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(out + 6 * n, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(out + 7 * n, _mm256_permute2f128_ps(s3, s7, 0x31));
}

extern "C" __attribute__((target("avx"))) void transpose(const float *in, float *out, int n_, int m_) {
    const long n = n_, m = m_, T = 64;
    for (long ib = 0; ib < n; ib += T) {
        const long ie = ib + T < n ? ib + T : n;
        for (long jb = 0; jb < m; jb += T) {
            const long je = jb + T < m ? jb + T : m;
            long i = ib;
            for (; i + 8 <= ie; i += 8) {
                long j = jb;
                for (; j + 8 <= je; j += 8) block8(in + i * m + j, out + j * n + i, n, m);
                for (; j < je; j++)
                    for (long r = 0; r < 8; r++) out[j * n + i + r] = in[(i + r) * m + j];
            }
            for (; i < ie; i++)
                for (long j = jb; j < je; j++) out[j * n + i] = in[i * m + j];
        }
    }
}
