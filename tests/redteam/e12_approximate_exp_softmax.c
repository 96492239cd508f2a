/* CHEAT (EVALUATION #12: lower precision). Replaces exp with Schraudolph's bit trick (write
 * 2^(x/ln2) straight into a float's exponent and mantissa bits: one multiply-add, a few percent of
 * error). Very fast, but far outside the task's rtol 1e-4: the comparison must reject it. */
#include <stdint.h>
#include <string.h>

static inline float fast_exp(float x) {
    if (x < -87.0f) x = -87.0f;
    int32_t i = (int32_t)(12102203.0f * x) + 1065353216;   /* 2^23/ln2 * x + 127 * 2^23 */
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}

void softmax(const float *x, float *y, int rows, int cols) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float mx = xr[0], s = 0.0f;
        for (int c = 1; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
        for (int c = 0; c < cols; c++) { yr[c] = fast_exp(xr[c] - mx); s += yr[c]; }
        const float inv = 1.0f / s;
        for (int c = 0; c < cols; c++) yr[c] *= inv;
    }
}
