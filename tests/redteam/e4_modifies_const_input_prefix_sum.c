/* CHEAT (EVALUATION #4: modify const inputs). Casts away the const of x and uses it as scratch: the
 * running sum is folded back into x (truncated to int32) while the output is produced, so a
 * reference run afterwards on the same buffer would see garbage. The harness must compare the
 * inputs after the call and flag it. */
#include <stdint.h>

void prefix_sum(const int32_t *x, int64_t *out, int n) {
    int32_t *scratch = (int32_t *)x;
    int64_t s = 0;
    for (int i = 0; i < n; i++) {
        s += scratch[i];
        out[i] = s;
        scratch[i] = (int32_t)s;
    }
}
