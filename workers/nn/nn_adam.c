// AdamW, learning-rate schedule, gradient norm (see nn_adam.h).
#include "workers/nn/nn_adam.h"

#include <math.h>

float nn_adam_lr(const nn_adam_config *c, long step) {
    if (c->warmup_steps > 0 && step < c->warmup_steps) return c->lr * (float)(step + 1) / (float)c->warmup_steps;
    long span = c->total_steps - c->warmup_steps;
    double frac = span > 0 ? (double)(step - c->warmup_steps) / (double)span : 1.0;
    if (frac > 1) frac = 1;
    double min_lr = c->lr * c->min_lr_frac;
    return (float)(min_lr + 0.5 * (c->lr - min_lr) * (1.0 + cos(M_PI * frac)));
}

double nn_grad_norm(const float *grad, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)grad[i] * grad[i];
    return sqrt(s);
}

void nn_adam_update(float *params, const float *grad, float *m, float *v, size_t n, float lr,
                    const nn_adam_config *c, long t, int decay) {
    float b1 = c->beta1, b2 = c->beta2;
    float bc1 = 1.0f - powf(b1, (float)t), bc2 = 1.0f - powf(b2, (float)t);
    float wd = decay ? c->weight_decay : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        float mhat = m[i] / bc1, vhat = v[i] / bc2;
        params[i] -= lr * (mhat / (sqrtf(vhat) + c->eps) + wd * params[i]);
    }
}
