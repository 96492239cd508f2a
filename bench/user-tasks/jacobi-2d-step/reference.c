void jacobi_2d_step(const double *u, const double *f, double *out, int ny, int nx, double h2)
{
    int w = nx + 2;
    for (int i = 0; i < ny + 2; i++) {
        for (int j = 0; j < w; j++) {
            long k = (long)i * w + j;
            if (i == 0 || j == 0 || i == ny + 1 || j == nx + 1)
                out[k] = u[k];
            else
                out[k] = 0.25 * (u[k - 1] + u[k + 1] + u[k - w] + u[k + w] - h2 * f[k]);
        }
    }
}
