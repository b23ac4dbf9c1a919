// The float build (the one training uses) computes the same gradient: the directional
// derivative of the loss along random directions v, by central differences of the float
// forward, matches grad . v.
// Tolerance: the float loss carries rounding error ~1e-7 (|loss| ~ 1), so with a step of
// h = 1e-3 along v (|v_i| <= 1, 4,562 parameters, |h v| ~ 0.04) the difference quotient
// is off by ~1e-4 absolute from rounding, and by O(|h v|^2) ~ 1e-3 relative from
// truncation; we require |fd - g.v| <= 1e-2 * |g.v| + 1e-4 (measured: ~1e-4 relative),
// loose enough for float, tight enough that a wrong or missing term fails.
// (The element-wise 1e-4 check of every layer runs the same source in double:
// test_grad_fd.c.)
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/nn/nn_model.h"
#include "workers/util/rng.h"

Test(nn_float, directional_derivatives_match_backward) {
    openblas_set_num_threads(1);
    nn_config cfg = {.num_stabs = 6, .num_features = 1, .num_obs = 1, .hidden = 16, .num_layers = 2,
                     .num_heads = 4, .ffn_hidden = 24, .readout_hidden = 8, .state_scale = 0.7071f,
                     .aux_weight = 0.5f};
    int B = 8, R = 5, S = cfg.num_stabs;
    nn_model m;
    qp_err err;
    cr_assert(nn_model_create(&m, &cfg, NULL, B, R, &err) == 0, "%s", err.msg);
    nn_model_init_params(&m, 3);
    qp_rng rng;
    qp_rng_stream(&rng, 3, 1, 0);
    for (size_t i = 0; i < m.num_params; i++) m.params_memory[i] += 0.2f * (float)(qp_rng_uniform(&rng) - 0.5);
    float *inputs = malloc(sizeof(float) * B * R * S), targets[8];
    for (int i = 0; i < B * R * S; i++) inputs[i] = (float)(qp_rng_uniform(&rng) < 0.2);
    for (int b = 0; b < B; b++) targets[b] = (float)(b % 3 == 0);
    nn_model_forward(&m, inputs, NULL, targets, B, R);
    nn_model_zero_grad(&m);
    nn_model_backward(&m);
    float *theta = malloc(sizeof(float) * m.num_params), *v = malloc(sizeof(float) * m.num_params);
    memcpy(theta, m.params_memory, sizeof(float) * m.num_params);
    const float h = 1e-3f;
    for (int trial = 0; trial < 5; trial++) {
        double gv = 0;
        for (size_t i = 0; i < m.num_params; i++) {
            v[i] = (float)(2 * qp_rng_uniform(&rng) - 1);
            gv += (double)m.grads_memory[i] * v[i];
        }
        for (size_t i = 0; i < m.num_params; i++) m.params_memory[i] = theta[i] + h * v[i];
        double lp = nn_model_forward(&m, inputs, NULL, targets, B, R);
        for (size_t i = 0; i < m.num_params; i++) m.params_memory[i] = theta[i] - h * v[i];
        double lm = nn_model_forward(&m, inputs, NULL, targets, B, R);
        memcpy(m.params_memory, theta, sizeof(float) * m.num_params);
        double fd = (lp - lm) / (2 * h);
        cr_expect(fabs(fd - gv) <= 1e-2 * fabs(gv) + 1e-4, "direction %d: fd %.6g, grad.v %.6g", trial, fd, gv);
        cr_expect(fabs(gv) > 1e-3, "direction %d: grad.v %.3g is too small to test anything", trial, gv);
    }
    // Batches or sequences larger than the activation storage are refused, not overrun.
    cr_expect(isnan(nn_model_forward(&m, inputs, NULL, targets, B + 1, R)));
    cr_expect(isnan(nn_model_forward(&m, inputs, NULL, targets, B, R + 1)));
    free(inputs);
    free(theta);
    free(v);
    nn_model_free(&m);
}

// Streaming inference (state carried, one round of activations) on a model sized for a
// single round gives the logits of the training forward that stored all R rounds.
Test(nn_float, streaming_predict_equals_stored_forward) {
    openblas_set_num_threads(1);
    nn_config cfg = nn_config_default(5, 1, 1);
    cfg.hidden = 16, cfg.ffn_hidden = 16, cfg.readout_hidden = 8;
    int B = 4, R = 7, S = 5;
    nn_model full, stream;
    qp_err err;
    cr_assert(nn_model_create(&full, &cfg, NULL, B, R, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_create(&stream, &cfg, NULL, B, 1, &err) == 0, "%s", err.msg);
    nn_model_init_params(&full, 9);
    nn_model_init_params(&stream, 9);
    float inputs[4 * 7 * 5], probs[4];
    for (int i = 0; i < B * R * S; i++) inputs[i] = (float)(i % 3 == 0);
    nn_model_forward(&full, inputs, NULL, NULL, B, R);
    nn_model_predict(&stream, inputs, B, R, probs);
    for (int b = 0; b < B; b++) {
        float want = 1 / (1 + expf(-full.out.logits[b]));
        cr_expect(fabsf(probs[b] - want) < 1e-6f, "shot %d: %.7g vs %.7g", b, probs[b], want);
    }
    nn_model_free(&full);
    nn_model_free(&stream);
}
