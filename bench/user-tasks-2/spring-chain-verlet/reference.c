static void chain_forces(const double *u, double *f, int n, double k, double beta)
{
    for (int i = 0; i < n; i++)
        f[i] = 0.0;
    for (int i = 0; i + 1 < n; i++) {
        double d = u[i + 1] - u[i];
        double t = k * d + beta * d * d * d;
        f[i] += t;
        f[i + 1] -= t;
    }
}

void spring_chain_verlet(double *u, double *v, double *f, int n, int steps,
                         double dt, double k, double beta)
{
    chain_forces(u, f, n, k, beta);
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < n; i++) {
            v[i] += 0.5 * dt * f[i];
            u[i] += dt * v[i];
        }
        chain_forces(u, f, n, k, beta);
        for (int i = 0; i < n; i++)
            v[i] += 0.5 * dt * f[i];
    }
}
