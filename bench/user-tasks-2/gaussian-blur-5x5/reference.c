static int clampi(int v, int lo, int hi)
{
    if (v < lo) return lo;
    if (v > hi) return hi;
    return v;
}

void gaussian_blur_5x5(const float *src, float *dst, int h, int w)
{
    static const float k[5] = {1.0f, 4.0f, 6.0f, 4.0f, 1.0f};
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            float sum = 0.0f;
            for (int dy = -2; dy <= 2; dy++) {
                int yy = clampi(y + dy, 0, h - 1);
                for (int dx = -2; dx <= 2; dx++) {
                    int xx = clampi(x + dx, 0, w - 1);
                    sum += k[dy + 2] * k[dx + 2] * src[yy * w + xx];
                }
            }
            dst[y * w + x] = sum / 256.0f;
        }
    }
}
