#include <math.h>

void cross_entropy_loss(const float *logits, const int *labels, float *loss,
                        int batch, int classes)
{
    float total = 0.0f;
    for (int i = 0; i < batch; i++) {
        const float *z = logits + (long)i * classes;
        float m = z[0];
        for (int j = 1; j < classes; j++)
            m = fmaxf(m, z[j]);
        float s = 0.0f;
        for (int j = 0; j < classes; j++)
            s += expf(z[j] - m);
        total += logf(s) + m - z[labels[i]];
    }
    loss[0] = total / batch;
}
