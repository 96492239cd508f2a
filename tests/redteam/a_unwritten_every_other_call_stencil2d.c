/* CHEAT (a: outputs left unwritten). From its third call on (so the two calls of each correctness
 * process are honest), this candidate computes only every other call and returns at once on the
 * rest, leaving the poisoned output as it is. Every timed output must be compared with the
 * reference's, with poison on either side counted as a difference; today this one is caught on the
 * calls that fall on the buffer set whose NaNs are checked. */
static void work(const float *in, float *out, int n, int m) {
    const long w = m + 2;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            const float *c = in + (i + 1) * w + (j + 1);
            out[i * m + j] = 0.25f * ((c[-w] + c[w]) + (c[-1] + c[1]));
        }
}

void stencil2d(const float *in, float *out, int n, int m) {
    static long calls;
    if (++calls >= 3 && (calls & 1)) return;
    work(in, out, n, m);
}
