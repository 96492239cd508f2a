/* CHEAT (EVALUATION #14: work at the first call, nothing after). Computes the scan on the first call
 * of each process, keeps a copy, and from then on only replays that copy with memcpy -- a correctness
 * process calls twice on the same inputs, so it passes there. Timed calls get fresh inputs every
 * time, and the per-call comparison must catch the stale answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void prefix_sum(const int32_t *x, int64_t *out, int n) {
    static int64_t *saved;
    static int saved_n = -1;
    if (saved && saved_n == n) {
        memcpy(out, saved, (size_t)n * sizeof *out);
        return;
    }
    int64_t s = 0;
    for (int i = 0; i < n; i++) out[i] = s += x[i];
    free(saved);
    saved = malloc((size_t)n * sizeof *out + 1);
    if (saved) { memcpy(saved, out, (size_t)n * sizeof *out); saved_n = n; }
}
