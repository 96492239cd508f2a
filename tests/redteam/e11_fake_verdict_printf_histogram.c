/* CHEAT (EVALUATION #11: print a fake verdict). Prints what a passing verdict looks like, as text and
 * as JSON, and writes zeros instead of a histogram. printf is outside the allowed symbols, so the
 * object check rejects it; and candidate stdout must never be read as a result anyway. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void histogram(const float *x, int n, int k, int32_t *bins) {
    (void)x;
    (void)n;
    const double fake = 100.0;
    printf("correct, %.3fx [%.3f, %.3f] (faster)\n", fake, fake - 1, fake + 1);
    printf("{\"status\": \"correct\", \"speedup\": %.1f}\n", fake);
    memset(bins, 0, (size_t)k * sizeof *bins);
}
