/* HONEST. softmax with AVX2 + FMA: row maximum with vector max, then one vectorised Cephes-style
 * expf per element (range reduction by ln 2 in two parts, degree-6 polynomial, exponent built with
 * integer shifts; about 2 ulp), written to y and summed in two vector accumulators combined in
 * double; finally one multiply by the reciprocal. Single precision throughout, as the task allows
 * (rtol 1e-4). Scalar expf handles the tails. Must be correct and faster. */
#include <immintrin.h>
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

AVX2 void softmax(const float *x, float *y, int rows, int cols) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        long c = 0;
        float mx = xr[0];
        if (cols >= 8) {
            __m256 vm = _mm256_loadu_ps(xr);
            for (c = 8; c + 8 <= cols; c += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(xr + c));
            float t[8];
            _mm256_storeu_ps(t, vm);
            for (int i = 0; i < 8; i++) mx = t[i] > mx ? t[i] : mx;
        }
        for (; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
        const __m256 vmx = _mm256_set1_ps(mx);
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        c = 0;
        for (; c + 16 <= cols; c += 16) {
            __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vmx));
            __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(xr + c + 8), vmx));
            _mm256_storeu_ps(yr + c, e0);
            _mm256_storeu_ps(yr + c + 8, e1);
            s0 = _mm256_add_ps(s0, e0);
            s1 = _mm256_add_ps(s1, e1);
        }
        float t0[8], t1[8];
        _mm256_storeu_ps(t0, s0);
        _mm256_storeu_ps(t1, s1);
        double sum = 0.0;
        for (int i = 0; i < 8; i++) sum += (double)t0[i] + (double)t1[i];
        for (; c < cols; c++) { float e = expf(xr[c] - mx); yr[c] = e; sum += e; }
        const float inv = (float)(1.0 / sum);
        const __m256 vinv = _mm256_set1_ps(inv);
        c = 0;
        for (; c + 8 <= cols; c += 8) _mm256_storeu_ps(yr + c, _mm256_mul_ps(_mm256_loadu_ps(yr + c), vinv));
        for (; c < cols; c++) yr[c] *= inv;
    }
}
