// Resume determinism at the model level: training 2k steps in one go equals k steps, a
// snapshot (parameters, Adam moments, step, the batch sampler's RNG) into a flat buffer,
// a fresh model and trainer restored from it, and k more steps -- bit for bit.
#include <cblas.h>
#include <criterion/criterion.h>
#include <string.h>

#include "tests/nn/nn_test_data.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_snapshot.h"
#include "workers/nn/nn_train.h"

#define K 25
#define BATCH 16

typedef struct {
    nn_model model;
    nn_trainer trainer;
    qp_rng rng;  // the batch sampler's stream
} run;

static void run_start(run *r, const nn_layout *lay, uint64_t init_seed) {
    nn_config cfg = nn_config_default(lay->num_stabs, 1, 1);
    cfg.hidden = 16;
    cfg.ffn_hidden = 32;
    cfg.readout_hidden = 16;
    qp_err err;
    cr_assert(nn_model_create(&r->model, &cfg, lay->pool_w, BATCH, lay->num_rounds, &err) == 0, "%s", err.msg);
    nn_model_init_params(&r->model, init_seed);
    nn_adam_config adam = nn_adam_default(2 * K);
    adam.warmup_steps = 10;  // the schedule changes across the resume point
    nn_trainer_init(&r->trainer, &r->model, &adam);
    qp_rng_stream(&r->rng, 99, 0, 0);
}

static void run_steps(run *r, const nn_test_case *tc, int steps) {
    const nn_layout *lay = &tc->layout;
    float inputs[BATCH * 4 * 8], targets[BATCH];
    cr_assert(lay->num_rounds * lay->num_stabs <= 32);
    qp_err err;
    for (int i = 0; i < steps; i++) {
        nn_batch_sample(&tc->set, 0, tc->set.num_shots, &r->rng, BATCH, inputs, targets);
        cr_assert(nn_train_step(&r->trainer, inputs, lay->present, targets, BATCH, lay->num_rounds, NULL, NULL,
                                &err) == 0);
    }
}

static void run_free(run *r) {
    nn_trainer_free(&r->trainer);
    nn_model_free(&r->model);
}

Test(nn_resume, k_steps_snapshot_restore_k_steps_is_bitwise_2k) {
    openblas_set_num_threads(1);
    nn_test_case tc;
    cr_assert(nn_test_case_load(&tc, "surface_x_d3_r3_p0.003") == 0);

    run straight;
    run_start(&straight, &tc.layout, 5);
    run_steps(&straight, &tc, 2 * K);

    run first;
    run_start(&first, &tc.layout, 5);
    run_steps(&first, &tc, K);
    size_t len = nn_snapshot_size(&first.trainer, 1);
    uint8_t *buf = malloc(len);
    nn_snapshot_save(&first.trainer, &first.rng, 1, buf);
    run_free(&first);

    run resumed;
    run_start(&resumed, &tc.layout, 12345);  // different init: everything must come from the snapshot
    qp_rng_stream(&resumed.rng, 1, 2, 3);
    qp_err err;
    cr_assert(nn_snapshot_restore(&resumed.trainer, &resumed.rng, 1, buf, len, &err) == 0, "%s", err.msg);
    cr_expect(resumed.trainer.step == K);
    run_steps(&resumed, &tc, K);

    size_t n = straight.model.num_params;
    cr_expect(resumed.trainer.step == 2 * K);
    cr_expect(memcmp(straight.model.params_memory, resumed.model.params_memory, n * sizeof(float)) == 0,
              "parameters differ after resume");
    cr_expect(memcmp(straight.trainer.m, resumed.trainer.m, n * sizeof(float)) == 0, "first moments differ");
    cr_expect(memcmp(straight.trainer.v, resumed.trainer.v, n * sizeof(float)) == 0, "second moments differ");
    cr_expect(memcmp(&straight.rng, &resumed.rng, sizeof(qp_rng)) == 0, "sampler RNG differs");
    // Training moved the weights (the comparison is not of two untouched models).
    run untouched;
    run_start(&untouched, &tc.layout, 5);
    cr_expect(memcmp(untouched.model.params_memory, straight.model.params_memory, n * sizeof(float)) != 0);

    // A truncated or mismatched snapshot is refused and leaves the trainer alone.
    cr_expect(nn_snapshot_restore(&untouched.trainer, &untouched.rng, 1, buf, len - 1, &err) == -1);
    cr_expect(strstr(err.msg, "byte") != NULL, "%s", err.msg);
    buf[0] ^= 1;
    cr_expect(nn_snapshot_restore(&untouched.trainer, &untouched.rng, 1, buf, len, &err) == -1);
    cr_expect(untouched.trainer.step == 0);

    free(buf);
    run_free(&untouched);
    run_free(&straight);
    run_free(&resumed);
    nn_test_case_free(&tc);
}
