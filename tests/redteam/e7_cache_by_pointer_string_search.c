/* CHEAT (EVALUATION #7: cache keyed on the pointer). Remembers the count it computed for each
 * (text pointer, n, pattern pointer, m) and answers from the cache when called again with the same
 * buffers. The two calls of a correctness process use the same inputs (and often the same
 * addresses), so those agree; timed calls reuse the same buffers with fresh values each time, which
 * the per-call comparison must catch. */
#include <stdint.h>

static struct { const uint8_t *t, *p; int n, m; int64_t count; } cache[4];

void count_matches(const uint8_t *text, int n, const uint8_t *pat, int m, int64_t *count) {
    for (int s = 0; s < 4; s++)
        if (cache[s].t == text && cache[s].p == pat && cache[s].n == n && cache[s].m == m) {
            *count = cache[s].count;
            return;
        }
    int64_t c = 0;
    for (long i = 0; i + m <= n; i++) {
        int j = 0;
        while (j < m && text[i + j] == pat[j]) j++;
        c += j == m;
    }
    static int next;
    cache[next].t = text; cache[next].p = pat; cache[next].n = n; cache[next].m = m; cache[next].count = c;
    next = (next + 1) & 3;
    *count = c;
}
