void biquad_filter(const float *x, float *y, int n,
                   float b0, float b1, float b2, float a1, float a2)
{
    float x1 = 0.0f, x2 = 0.0f, y1 = 0.0f, y2 = 0.0f;
    for (int i = 0; i < n; i++) {
        float xi = x[i];
        float yi = b0 * xi + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1;
        x1 = xi;
        y2 = y1;
        y1 = yi;
        y[i] = yi;
    }
}
