#include <stdint.h>

void int8_matvec_dequant(const int8_t *w, const float *scale, const float *x,
                         float *y, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        float acc = 0.0f;
        for (int c = 0; c < cols; c++)
            acc += (float)w[r * cols + c] * x[c];
        y[r] = acc * scale[r];
    }
}
