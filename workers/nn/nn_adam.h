// AdamW with a warmup + cosine learning-rate schedule and global-norm gradient clipping,
// over flat float arrays (one call per parameter tensor, since weight decay applies to
// matrices only; see nn_param_decay in nn_model.h).
#ifndef QP_NN_ADAM_H
#define QP_NN_ADAM_H

#include <stddef.h>

typedef struct {
    float lr;            // peak learning rate
    float min_lr_frac;   // the cosine decays from lr to lr * min_lr_frac at total_steps
    int warmup_steps;    // linear warmup from lr/warmup_steps to lr
    long total_steps;    // length of the schedule (steps past it stay at the minimum)
    float beta1, beta2, eps;
    float weight_decay;  // decoupled (AdamW): p -= lr * weight_decay * p
    float grad_clip;     // clip the global gradient norm to this (0 = no clipping)
} nn_adam_config;

static inline nn_adam_config nn_adam_default(long total_steps) {
    nn_adam_config c = {2e-3f, 0.1f, 50, total_steps, 0.9f, 0.999f, 1e-8f, 1e-4f, 1.0f};
    return c;
}

// Learning rate for step `step` (0-based).
float nn_adam_lr(const nn_adam_config *c, long step);

// sqrt(sum g^2), accumulated in double.
double nn_grad_norm(const float *grad, size_t n);

// One AdamW update of params (n) from grad, moments m, v (n, updated); t is the 1-based
// step for bias correction; decay selects weight decay for this tensor.
void nn_adam_update(float *params, const float *grad, float *m, float *v, size_t n, float lr,
                    const nn_adam_config *c, long t, int decay);

#endif
