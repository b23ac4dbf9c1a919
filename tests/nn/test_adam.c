// nn_adam: the learning-rate schedule's shape, one AdamW step against hand-computed values,
// the global gradient norm, and clipping in nn_train_step.
#include <criterion/criterion.h>
#include <math.h>

#include "workers/nn/nn_adam.h"
#include "workers/nn/nn_train.h"

Test(nn_adam, warmup_then_cosine) {
    nn_adam_config c = nn_adam_default(1000);
    c.lr = 1e-3f;
    c.warmup_steps = 100;
    c.min_lr_frac = 0.1f;
    cr_expect(fabsf(nn_adam_lr(&c, 0) - 1e-5f) < 1e-9f);      // lr * 1/100
    cr_expect(fabsf(nn_adam_lr(&c, 49) - 5e-4f) < 1e-9f);     // lr * 50/100
    cr_expect(fabsf(nn_adam_lr(&c, 100) - 1e-3f) < 1e-9f);    // peak after warmup
    cr_expect(fabsf(nn_adam_lr(&c, 550) - 5.5e-4f) < 1e-8f);  // cosine midpoint: (max+min)/2
    cr_expect(fabsf(nn_adam_lr(&c, 1000) - 1e-4f) < 1e-9f);   // minimum at the end
    cr_expect(fabsf(nn_adam_lr(&c, 5000) - 1e-4f) < 1e-9f);   // and stays there
    for (long s = 101; s <= 1000; s++) cr_expect(nn_adam_lr(&c, s) <= nn_adam_lr(&c, s - 1));
}

Test(nn_adam, one_step_by_hand) {
    nn_adam_config c = nn_adam_default(10);
    c.weight_decay = 0.1f;
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, -1e-3f}, m[2] = {0, 0}, v[2] = {0, 0};
    float lr = 0.01f;
    nn_adam_update(p, g, m, v, 2, lr, &c, 1, 1);
    // Step 1: mhat = g, vhat = g^2, so the Adam part is g / (|g| + eps) ~ sign(g).
    double want0 = 1.0 - lr * (0.5 / (0.5 + 1e-8) + 0.1 * 1.0);
    double want1 = -2.0 - lr * (-1e-3 / (1e-3 + 1e-8) + 0.1 * -2.0);
    cr_expect(fabs(p[0] - want0) < 1e-6, "%.9g vs %.9g", p[0], want0);
    cr_expect(fabs(p[1] - want1) < 1e-6, "%.9g vs %.9g", p[1], want1);
    cr_expect(fabsf(m[0] - 0.05f) < 1e-7f && fabsf(v[0] - 0.00025f) < 1e-8f);  // 1 - 0.999f is 0.00099999 in float
    // Without decay the decay term vanishes.
    float q = 1.0f, gq = 0.5f, mq = 0, vq = 0;
    nn_adam_update(&q, &gq, &mq, &vq, 1, lr, &c, 1, 0);
    cr_expect(fabs(q - (1.0 - lr * 0.5 / (0.5 + 1e-8))) < 1e-6);
}

Test(nn_adam, grad_norm) {
    float g[3] = {3, 4, 12};
    cr_expect(fabs(nn_grad_norm(g, 3) - 13.0) < 1e-12);
}

// nn_train_step clips the averaged gradient to the global norm grad_clip: after one step the
// first moment is (1 - beta1) * clipped gradient, so its norm is 0.1 * grad_clip.

Test(nn_train, clips_by_global_norm) {
    nn_config cfg = {.num_stabs = 4, .num_features = 1, .num_obs = 1, .hidden = 8, .num_layers = 1,
                     .num_heads = 2, .ffn_hidden = 8, .readout_hidden = 4, .state_scale = 0.7071f,
                     .aux_weight = 0.5f};
    nn_model m;
    qp_err err;
    cr_assert(nn_model_create(&m, &cfg, NULL, 4, 3, &err) == 0, "%s", err.msg);
    nn_model_init_params(&m, 1);
    nn_adam_config adam = nn_adam_default(10);
    adam.grad_clip = 1e-3f;
    nn_trainer t;
    nn_trainer_init(&t, &m, &adam);
    float inputs[4 * 3 * 4], targets[4] = {1, 0, 0, 1};
    for (int i = 0; i < 48; i++) inputs[i] = (float)(i % 5 == 0);
    nn_step_stats st;
    cr_assert(nn_train_step(&t, inputs, NULL, targets, 4, 3, NULL, &st, &err) == 0);
    cr_expect(st.grad_norm > 10 * adam.grad_clip, "unclipped norm %g is too small to test clipping", st.grad_norm);
    double mnorm = nn_grad_norm(t.m, m.num_params);
    cr_expect(fabs(mnorm - 0.1 * adam.grad_clip) < 1e-4 * adam.grad_clip, "|m| = %.9g", mnorm);
    cr_expect(t.step == 1 && st.lr == nn_adam_lr(&adam, 0));
    nn_trainer_free(&t);
    nn_model_free(&m);
}
