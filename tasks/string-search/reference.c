/* Count (possibly overlapping) occurrences of pat[0..m-1] in text[0..n-1].
 * Naive: try every start position and compare byte by byte with an early-exit helper. */
#include <stdint.h>

static int match_at(const uint8_t *t, const uint8_t *p, int m) {
    for (int j = 0; j < m; j++)
        if (t[j] != p[j])
            return 0;
    return 1;
}

void count_matches(const uint8_t *text, int n, const uint8_t *pat, int m, int64_t *count) {
    int64_t c = 0;
    for (int i = 0; i + m <= n; i++)
        if (match_at(text + i, pat, m))
            c++;
    *count = c;
}
