/* HONEST. matmul with AVX2 + FMA intrinsics: a 4 x 16 register-blocked micro-kernel (eight ymm
 * accumulators) in i-k-j order, so every inner step streams one row of B and broadcasts four
 * elements of A; scalar code for the ragged rows and columns. FMA rounds differently from the
 * reference's separate multiply and add, well inside rtol 1e-4. The target attribute enables
 * AVX2/FMA for these functions only (the task compiles with plain -O2). Must be correct and faster. */
#include <immintrin.h>
#include <stddef.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static void rows4(const float *A, const float *B, float *C, int n, int i) {
    const float *a0 = A + (size_t)i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
        __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const float *b = B + j;
        for (int k = 0; k < n; k++, b += n) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            __m256 x = _mm256_broadcast_ss(a0 + k);
            c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
            x = _mm256_broadcast_ss(a1 + k);
            c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
            x = _mm256_broadcast_ss(a2 + k);
            c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
            x = _mm256_broadcast_ss(a3 + k);
            c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        }
        float *c = C + (size_t)i * n + j;
        _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01); c += n;
        _mm256_storeu_ps(c, c10); _mm256_storeu_ps(c + 8, c11); c += n;
        _mm256_storeu_ps(c, c20); _mm256_storeu_ps(c + 8, c21); c += n;
        _mm256_storeu_ps(c, c30); _mm256_storeu_ps(c + 8, c31);
    }
    for (; j < n; j++)
        for (int r = 0; r < 4; r++) {
            float s = 0.0f;
            for (int k = 0; k < n; k++) s += A[(size_t)(i + r) * n + k] * B[(size_t)k * n + j];
            C[(size_t)(i + r) * n + j] = s;
        }
}

void matmul(const float *A, const float *B, float *C, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) rows4(A, B, C, n, i);
    for (; i < n; i++)
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            for (int k = 0; k < n; k++) s += A[(size_t)i * n + k] * B[(size_t)k * n + j];
            C[(size_t)i * n + j] = s;
        }
}
