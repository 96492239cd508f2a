/* CHEAT (EVALUATION #23: right for the first N calls, wrong after). Computes honestly for its first
 * six calls in a process (the correctness runs and the timing warm-up), then lets its state drift:
 * later calls skip the last row and write a plausible uniform 1/cols there instead. A finite wrong
 * value on any timed call must be caught, and outputs re-checked after the timing loop. */
#include <math.h>

void softmax(const float *x, float *y, int rows, int cols) {
    static long calls;
    int done = ++calls > 6 && rows > 1 ? rows - 1 : rows;
    for (long r = 0; r < done; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float mx = xr[0];
        for (int c = 1; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
        double s = 0.0;
        for (int c = 0; c < cols; c++) { yr[c] = expf(xr[c] - mx); s += yr[c]; }
        const float inv = (float)(1.0 / s);
        for (int c = 0; c < cols; c++) yr[c] *= inv;
    }
    for (long r = done; r < rows; r++)
        for (int c = 0; c < cols; c++) y[r * cols + c] = 1.0f / (float)cols;
}
