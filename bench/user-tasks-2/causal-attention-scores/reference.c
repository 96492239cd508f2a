void causal_attention_scores(const float *q, const float *k, float *s,
                             int n, int d, float scale)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            if (j > i) {
                s[i * n + j] = -1e30f;
                continue;
            }
            float acc = 0.0f;
            for (int t = 0; t < d; t++)
                acc += q[i * d + t] * k[j * d + t];
            s[i * n + j] = acc * scale;
        }
    }
}
