// The float build (the one training uses) computes the same gradient: the directional
// derivative of the loss along random directions v, by central differences of the float
// forward, matches grad . v.
// Tolerance: the float loss carries rounding error ~1e-7 (|loss| ~ 1), so with a step of
// h = 1e-3 along v (|v_i| <= 1, 4,562 parameters, |h v| ~ 0.04) the difference quotient
// is off by ~1e-4 absolute from rounding, and by O(|h v|^2) ~ 1e-3 relative from
// truncation; we require |fd - g.v| <= 1e-2 * |g.v| + 1e-4 (measured: ~1e-4 relative),
// loose enough for float, tight enough that a wrong or missing term fails.
// The model with the opt-in layers has 15,234 parameters and gated, convolved paths, so its
// truncation error at h = 1e-3 reaches 2 %; it uses h = 3e-4 (measured: <= 2e-3 relative).
// (The element-wise 1e-4 check of every layer runs the same source in double:
// test_grad_fd.c.)
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/nn/nn_model.h"
#include "workers/util/rng.h"

// A 3x2 patch of 6 stabilizers for the opt-in layers (types alternate, lines are rows).
static const int g_row[6] = {0, 0, 1, 1, 2, 2}, g_col[6] = {0, 1, 0, 1, 0, 1}, g_type[6] = {1, 0, 0, 1, 1, 0};
static const int g_line[6] = {0, 0, 1, 1, 2, 2};
static const nn_geometry g_geo = {g_row, g_col, g_type, g_line, 3};

static nn_config with_layers(nn_config c) {
    c.attn_bias_geometric = 1, c.geom_radius = 2, c.stab_emb_by_type = 1, c.ffn_gated = 1, c.readout_lines = 1;
    c.num_dilations = 2, c.dilations[0] = 1, c.dilations[1] = 2;
    return c;
}

static void directional_check(const nn_config *cfg_in) {
    openblas_set_num_threads(1);
    nn_config cfg = *cfg_in;
    int B = 8, R = 5, S = cfg.num_stabs;
    nn_model m;
    qp_err err;
    cr_assert(nn_model_create(&m, &cfg, NULL, B, R, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_set_geometry(&m, &g_geo, &err) == 0, "%s", err.msg);
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
    const float h = cfg.num_dilations ? 3e-4f : 1e-3f;  // see the top
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

static const nn_config dir_cfg = {.num_stabs = 6, .num_features = 1, .num_obs = 1, .hidden = 16, .num_layers = 2,
                                  .num_heads = 4, .ffn_hidden = 24, .readout_hidden = 8, .state_scale = 0.7071f,
                                  .aux_weight = 0.5f};

Test(nn_float, directional_derivatives_match_backward) { directional_check(&dir_cfg); }

Test(nn_float, directional_derivatives_match_backward_alphaqubit_layers) {
    nn_config c = with_layers(dir_cfg);
    directional_check(&c);
}

// Streaming inference (state carried, one round of activations) on a model sized for a
// single round gives the logits of the training forward that stored all R rounds.
static void streaming_check(int layers) {
    openblas_set_num_threads(1);
    nn_config cfg = nn_config_default(6, 1, 1);
    cfg.hidden = 16, cfg.ffn_hidden = 16, cfg.readout_hidden = 8;
    if (layers) cfg = with_layers(cfg);
    int B = 4, R = 7, S = 6;
    nn_model full, stream;
    qp_err err;
    cr_assert(nn_model_create(&full, &cfg, NULL, B, R, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_create(&stream, &cfg, NULL, B, 1, &err) == 0, "%s", err.msg);
    cr_assert(nn_model_set_geometry(&full, &g_geo, &err) == 0 && nn_model_set_geometry(&stream, &g_geo, &err) == 0);
    nn_model_init_params(&full, 9);
    nn_model_init_params(&stream, 9);
    float inputs[4 * 7 * 6], probs[4];
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

Test(nn_float, streaming_predict_equals_stored_forward) { streaming_check(0); }
Test(nn_float, streaming_predict_equals_stored_forward_alphaqubit_layers) { streaming_check(1); }
