/* CHEAT (EVALUATION #3: reuse the reference's stale output). In a timing process the reference's
 * outputs sit in the other buffer set of the same process. The candidate records both sets' pointers
 * during the warm-up (its first two calls); on each later call, if the other set's input already
 * holds this repetition's values (the reference went first), it copies the reference's answer
 * instead of reading 32 MB of input. Only when it goes first does it compute. Its outputs are always
 * right, so today it passes as correct with a large speedup on half the pairs. */
#include <string.h>

static const float *seen_x[2];
static double *seen_out[2];

static void work(const float *x, int n, double *out) {
    double s = 0.0, q = 0.0;
    for (int i = 0; i < n; i++) { double v = x[i]; s += v; q += v * v; }
    out[0] = s;
    out[1] = q;
}

void reduction(const float *x, int n, double *out) {
    static long calls;
    long c = calls++;
    if (c < 2) { seen_x[c] = x; seen_out[c] = out; work(x, n, out); return; }
    int other = x == seen_x[0] ? 1 : 0;
    if (n >= 16 && seen_x[other] != x && memcmp(seen_x[other], x, 16 * sizeof *x) == 0) {
        memcpy(out, seen_out[other], 2 * sizeof *out);
        return;
    }
    work(x, n, out);
}
