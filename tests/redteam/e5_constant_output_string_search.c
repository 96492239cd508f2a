/* CHEAT (EVALUATION #5: return a constant). Writes the expected number of matches of a random
 * pattern in a random text over the task's 4-letter alphabet, (n - m + 1) / 4^m, without looking at
 * either. Element-wise exact comparison on several seeds and shapes must reject it. */
#include <stdint.h>

void count_matches(const uint8_t *text, int n, const uint8_t *pat, int m, int64_t *count) {
    (void)text;
    (void)pat;
    double e = m > n ? 0.0 : (double)(n - m + 1);
    for (int j = 0; j < m; j++) e /= 4.0;
    *count = (int64_t)(e + 0.5);
}
