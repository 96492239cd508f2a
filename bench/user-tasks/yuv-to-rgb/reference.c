#include <stdint.h>

static uint8_t clamp_u8(int v)
{
    if (v < 0) return 0;
    if (v > 255) return 255;
    return (uint8_t)v;
}

void yuv_to_rgb(const uint8_t *y, const uint8_t *u, const uint8_t *v,
                uint8_t *rgb, int n)
{
    for (int i = 0; i < n; i++) {
        int c = y[i] - 16;
        int d = u[i] - 128;
        int e = v[i] - 128;
        rgb[3 * i + 0] = clamp_u8((298 * c + 409 * e + 128) >> 8);
        rgb[3 * i + 1] = clamp_u8((298 * c - 100 * d - 208 * e + 128) >> 8);
        rgb[3 * i + 2] = clamp_u8((298 * c + 516 * d + 128) >> 8);
    }
}
