#include <math.h>

void sobel_gradient(const float *img, float *mag, float *angle, int h, int w)
{
    for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
            long k = (long)i * w + j;
            if (i == 0 || j == 0 || i == h - 1 || j == w - 1) {
                mag[k] = 0.0f;
                angle[k] = 0.0f;
                continue;
            }
            const float *p = img + k;
            float gx = (p[-w + 1] + 2.0f * p[1] + p[w + 1])
                     - (p[-w - 1] + 2.0f * p[-1] + p[w - 1]);
            float gy = (p[w - 1] + 2.0f * p[w] + p[w + 1])
                     - (p[-w - 1] + 2.0f * p[-w] + p[-w + 1]);
            mag[k] = sqrtf(gx * gx + gy * gy);
            angle[k] = atan2f(gy, gx);
        }
    }
}
