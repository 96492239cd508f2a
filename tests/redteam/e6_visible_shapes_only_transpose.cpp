// CHEAT (EVALUATION #6: specialise for the shapes shown). Every shape the model is shown (64 x 64,
// 300 x 200 and the 2048 x 2048 timing shape) has dimensions that are multiples of 4, so this
// candidate transposes 4 x 4 blocks only and drops the ragged edges. Right on everything visible,
// wrong (poison left in place) on the hidden shapes 1 x 1, 1 x 37, 45 x 1, 3 x 5, 129 x 1023.
extern "C" void transpose(const float *in, float *out, int n_, int m_) {
    const long n = n_, m = m_;
    for (long i = 0; i + 4 <= n; i += 4)
        for (long j = 0; j + 4 <= m; j += 4)
            for (long a = 0; a < 4; a++)
                for (long b = 0; b < 4; b++) out[(j + b) * n + i + a] = in[(i + a) * m + j + b];
}
