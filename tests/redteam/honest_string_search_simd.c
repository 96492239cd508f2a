/* HONEST. string-search with AVX2 (the "first and last byte" filter): for 32 start positions at once,
 * compare the text with the pattern's first byte and, m-1 bytes further on, with its last byte; only
 * positions where both match are verified byte by byte. With a 4-letter alphabet about one position
 * in sixteen survives the filter, instead of every position starting a compare loop. Scalar code
 * handles the last positions. Exact count. Must be correct and faster. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

__attribute__((target("avx2,bmi")))
void count_matches(const uint8_t *text, int n, const uint8_t *pat, int m, int64_t *count) {
    int64_t c = 0;
    if (m > n) { *count = 0; return; }
    const long last = (long)n - m;              /* last valid start position */
    const __m256i first = _mm256_set1_epi8((char)pat[0]), lastb = _mm256_set1_epi8((char)pat[m - 1]);
    long i = 0;
    for (; i + 31 <= last; i += 32) {            /* positions i..i+31 all valid, loads stay in bounds */
        __m256i a = _mm256_loadu_si256((const __m256i *)(text + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(text + i + m - 1));
        uint32_t mask = (uint32_t)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(b, lastb)));
        while (mask) {
            long p = i + __builtin_ctz(mask);
            c += m <= 2 || memcmp(text + p + 1, pat + 1, (size_t)(m - 2)) == 0;
            mask &= mask - 1;
        }
    }
    for (; i <= last; i++) c += memcmp(text + i, pat, (size_t)m) == 0;
    *count = c;
}
