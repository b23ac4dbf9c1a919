// A short training run learns to decode: d=3, 3-round memory-X surface code, uniform
// circuit noise p=0.005 (Stim shots from ../shared/vectors; falls back to p=0.003 in
// tests/data). Shots 0..15999 train, the last 4,000 are held out.
//
// Asserts:
//  - the training loss falls: the mean over the last 100 steps is below 0.6 x the mean over
//    the first 20 (at p=0.005 the untrained loss is ~0.7 + aux, the trained one ~0.2);
//  - on the held-out shots the decoder beats "always predict no flip", whose mistakes are
//    the k0 shots whose observable flipped, by a clear margin:
//        k_nn <= k0 - 3 sqrt(k0).
//    Under "no better than the trivial decoder", k_nn fluctuates around k0 with a binomial
//    standard deviation below sqrt(k0), so passing is a > 3 sigma improvement.
// The sampler is the reference shot file, not on-the-fly sampling: tests/nn links only
// the nn library (pure compute); on-the-fly sampling belongs to the pipeline's train stage.
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "tests/nn/nn_test_data.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_train.h"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

Test(nn_train, d3_learns_to_decode, .timeout = 300) {
    openblas_set_num_threads(1);  // tiny GEMMs: threads only add overhead on 2 shared cores
    nn_test_case tc;
    const char *name = "surface_x_d3_r3_p0.005";
    if (nn_test_case_load(&tc, name)) {
        cr_assert(!qp_test_vectors_required(), "QECPIPE_REQUIRE_VECTORS=1 but %s is missing", name);
        name = "surface_x_d3_r3_p0.003";
        cr_assert(nn_test_case_load(&tc, name) == 0, "no d3 reference shots");
    }
    const nn_layout *lay = &tc.layout;
    int S = lay->num_stabs, R = lay->num_rounds, B = 64, steps = 1000;
    int train_hi = tc.set.num_shots - 4000;
    nn_config cfg = nn_config_default(S, 1, 1);
    cfg.hidden = 32;
    cfg.num_layers = 1;
    cfg.ffn_hidden = 64;
    cfg.readout_hidden = 32;
    nn_model m;
    qp_err err;
    cr_assert(nn_model_create(&m, &cfg, lay->pool_w, B, R, &err) == 0, "%s", err.msg);
    nn_model_init_params(&m, 7);
    nn_adam_config adam = nn_adam_default(steps);
    nn_trainer t;
    nn_trainer_init(&t, &m, &adam);
    qp_rng rng;
    qp_rng_stream(&rng, 7, 1, 0);
    float *inputs = malloc(sizeof(float) * B * R * S), *targets = malloc(sizeof(float) * B);
    double first = 0, last = 0, t0 = seconds();
    for (int step = 0; step < steps; step++) {
        nn_batch_sample(&tc.set, 0, train_hi, &rng, B, inputs, targets);
        nn_step_stats st;
        cr_assert(nn_train_step(&t, inputs, lay->present, targets, B, R, NULL, &st, &err) == 0);
        if (step < 20) first += st.loss / 20;
        if (step >= steps - 100) last += st.loss / 100;
    }
    double train_s = seconds() - t0;
    // Held-out evaluation (streaming inference).
    int k0 = 0, k_nn = 0;
    float probs[64];
    for (int first_shot = train_hi; first_shot + B <= tc.set.num_shots; first_shot += B) {
        nn_batch_range(&tc.set, first_shot, B, inputs, targets);
        nn_model_predict(&m, inputs, B, R, probs);
        for (int b = 0; b < B; b++) {
            k0 += targets[b] != 0;
            k_nn += (probs[b] > 0.5f) != (targets[b] != 0);
        }
    }
    int held = (tc.set.num_shots - train_hi) / B * B;
    fprintf(stderr, "nn_train %s: %d steps x %d in %.1f s; loss %.4f -> %.4f; held-out %d shots: "
            "no-flip decoder %d mistakes, nn %d (LER %.4f)\n", name, steps, B, train_s, first, last, held, k0,
            k_nn, (double)k_nn / held);
    cr_expect(last < 0.6 * first, "loss %.4f -> %.4f", first, last);
    cr_expect(k_nn <= k0 - 3 * sqrt((double)k0), "nn %d mistakes vs %d for always-no-flip", k_nn, k0);
    free(inputs);
    free(targets);
    nn_trainer_free(&t);
    nn_model_free(&m);
    nn_test_case_free(&tc);
}
