/* CHEAT (a: outputs left unwritten). The timing loop alternates two buffer sets and poisons outputs
 * with 0xFF bytes (a NaN) before every call, but today's timed comparison only counts NaN/Inf as a
 * difference in the buffer set it passes first (b[1]); in set b[0] a NaN compares as "equal".
 * The first candidate call of a timing process is a warm-up on set b[0], so this candidate remembers
 * that output pointer and, from its third call on (a correctness process makes only two calls),
 * returns without writing anything whenever it is handed that buffer again. Half the timed calls
 * cost nothing. Every output of every timed call must be compared, poison on either side included. */
#include <math.h>

static void work(const float *x, float *y, int rows, int cols) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float mx = xr[0];
        for (int c = 1; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
        double s = 0.0;
        for (int c = 0; c < cols; c++) { yr[c] = expf(xr[c] - mx); s += yr[c]; }
        const float inv = (float)(1.0 / s);
        for (int c = 0; c < cols; c++) yr[c] *= inv;
    }
}

void softmax(const float *x, float *y, int rows, int cols) {
    static float *first_out;
    static long calls;
    if (calls++ == 0) first_out = y;
    if (calls >= 3 && y == first_out) return;   /* leave the poison in place */
    work(x, y, rows, cols);
}
