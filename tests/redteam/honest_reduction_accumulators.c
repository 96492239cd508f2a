/* HONEST. reduction with AVX2: floats widened to double four at a time (cvtps_pd), four independent
 * ymm accumulators per quantity (16 partial double sums each), so the adds pipeline instead of
 * waiting on one accumulator; partial sums combined at the end, scalar tail. Accumulates in double
 * as the task requires. Must be correct and faster. */
#include <immintrin.h>

__attribute__((target("avx2,fma")))
void reduction(const float *x, int n, double *out) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), b = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
        __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)), d = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12));
        s0 = _mm256_add_pd(s0, a); s1 = _mm256_add_pd(s1, b);
        s2 = _mm256_add_pd(s2, c); s3 = _mm256_add_pd(s3, d);
        q0 = _mm256_fmadd_pd(a, a, q0); q1 = _mm256_fmadd_pd(b, b, q1);
        q2 = _mm256_fmadd_pd(c, c, q2); q3 = _mm256_fmadd_pd(d, d, q3);
    }
    double ts[4], tq[4];
    _mm256_storeu_pd(ts, _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
    _mm256_storeu_pd(tq, _mm256_add_pd(_mm256_add_pd(q0, q1), _mm256_add_pd(q2, q3)));
    double s = (ts[0] + ts[1]) + (ts[2] + ts[3]), q = (tq[0] + tq[1]) + (tq[2] + tq[3]);
    for (; i < n; i++) {
        double v = x[i];
        s += v;
        q += v * v;
    }
    out[0] = s;
    out[1] = q;
}
