/* Row-wise numerically stable softmax of a rows x cols row-major float matrix.
 * Naive: every exponential is evaluated in double precision with exp(), and it is evaluated
 * twice per element (once for the row sum, once again for the output). */
#include <math.h>

void softmax(const float *x, float *y, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (long)r * cols;
        float *yr = y + (long)r * cols;
        float mx = xr[0];
        for (int c = 1; c < cols; c++)
            if (xr[c] > mx) mx = xr[c];
        double sum = 0.0;
        for (int c = 0; c < cols; c++)
            sum += exp((double)xr[c] - (double)mx);
        for (int c = 0; c < cols; c++)
            yr[c] = (float)(exp((double)xr[c] - (double)mx) / sum);
    }
}
