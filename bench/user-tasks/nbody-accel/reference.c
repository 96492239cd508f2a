#include <math.h>

void nbody_accel(const float *x, const float *y, const float *z, const float *mass,
                 float *ax, float *ay, float *az, int n, float eps2)
{
    for (int i = 0; i < n; i++) {
        float sx = 0.0f, sy = 0.0f, sz = 0.0f;
        for (int j = 0; j < n; j++) {
            float dx = x[j] - x[i];
            float dy = y[j] - y[i];
            float dz = z[j] - z[i];
            float r2 = dx * dx + dy * dy + dz * dz + eps2;
            float inv_r = 1.0f / sqrtf(r2);
            float s = mass[j] * inv_r * inv_r * inv_r;
            sx += dx * s;
            sy += dy * s;
            sz += dz * s;
        }
        ax[i] = sx;
        ay[i] = sy;
        az[i] = sz;
    }
}
