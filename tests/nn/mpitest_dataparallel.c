// Data-parallel training is the same training: with the global batch fixed at G = 32 shots
// per step, k ranks holding G/k shots each and summing gradients with scheduler/allreduce
// reach, after 20 steps, the weights of one process training on all G shots
// (relative difference ||w_k - w_1|| / ||w_1|| < 1e-5; floats summed in another order).
// Run by ctest on 1, 2 and 4 ranks. On every rank count it also checks that all ranks hold
// bit-identical weights, and that the fixed-order mode reproduces itself bit for bit.
//
// This test lives in tests/nn because it needs the nn library (tests/scheduler links only
// the scheduler library); it compiles scheduler/allreduce.c into itself for the same reason.
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/allreduce.c"
#include "tests/mpi_check.h"
#include "tests/nn/nn_test_data.h"
#include "workers/nn/nn_model.h"
#include "workers/nn/nn_train.h"

#define GLOBAL_BATCH 32
#define STEPS 20

// Trains from the same initial weights for STEPS steps. Each step draws the same global
// batch of G shots on every rank (same stream); this rank trains on its slice of it.
// ar NULL: a single process on the whole batch. Returns the weights (malloc'd).
static float *train(const nn_test_case *tc, const nn_allreduce *ar, int rank, int ranks) {
    const nn_layout *lay = &tc->layout;
    int S = lay->num_stabs, R = lay->num_rounds, G = GLOBAL_BATCH, local = ar ? G / ranks : G;
    nn_config cfg = nn_config_default(S, 1, 1);
    cfg.hidden = 16;
    cfg.ffn_hidden = 32;
    cfg.readout_hidden = 16;
    nn_model m;
    qp_err err;
    if (nn_model_create(&m, &cfg, lay->pool_w, local, R, &err)) return NULL;
    nn_model_init_params(&m, 11);
    nn_adam_config adam = nn_adam_default(STEPS);
    adam.warmup_steps = 5;
    nn_trainer t;
    nn_trainer_init(&t, &m, &adam);
    qp_rng rng;
    qp_rng_stream(&rng, 21, 0, 0);
    float *inputs = malloc(sizeof(float) * G * R * S), *targets = malloc(sizeof(float) * G);
    int first = ar ? rank * local : 0;
    for (int step = 0; step < STEPS; step++) {
        nn_batch_sample(&tc->set, 0, tc->set.num_shots, &rng, G, inputs, targets);
        int rc = nn_train_step(&t, inputs + (size_t)first * R * S, lay->present, targets + first, local, R, ar, NULL,
                               &err);
        MPI_CHECK(rc == 0, "%s", err.msg);
    }
    float *w = malloc(sizeof(float) * m.num_params);
    memcpy(w, m.params_memory, sizeof(float) * m.num_params);
    free(inputs);
    free(targets);
    nn_trainer_free(&t);
    nn_model_free(&m);
    return w;
}

static size_t num_params(const nn_test_case *tc) {
    nn_config cfg = nn_config_default(tc->layout.num_stabs, 1, 1);
    cfg.hidden = 16;
    cfg.ffn_hidden = 32;
    cfg.readout_hidden = 16;
    size_t sizes[NN_NUM_PARAM_TENSORS];
    return nn_param_sizes(sizes, &cfg);
}

static double rel_diff(const float *a, const float *b, size_t n) {
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return sqrt(d / s);
}

// 1 if every rank holds exactly these n floats.
static int same_on_all_ranks(const float *w, size_t n) {
    float *mx = malloc(n * sizeof(float)), *mn = malloc(n * sizeof(float));
    MPI_Allreduce(w, mx, (int)n, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(w, mn, (int)n, MPI_FLOAT, MPI_MIN, MPI_COMM_WORLD);
    int same = memcmp(mx, w, n * sizeof(float)) == 0 && memcmp(mn, w, n * sizeof(float)) == 0;
    free(mx);
    free(mn);
    return same;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    openblas_set_num_threads(1);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    nn_test_case tc;
    int loaded = nn_test_case_load(&tc, "surface_x_d3_r3_p0.003") == 0;
    MPI_CHECK(loaded, "reference shots not found");
    MPI_CHECK(GLOBAL_BATCH % size == 0, "%d ranks do not divide the global batch", size);
    if (loaded && GLOBAL_BATCH % size == 0) {
        size_t n = num_params(&tc);
        float *single = train(&tc, NULL, 0, 1);
        // The training moved the weights: compare with the initial ones.
        nn_config cfg = nn_config_default(tc.layout.num_stabs, 1, 1);
        cfg.hidden = 16, cfg.ffn_hidden = 32, cfg.readout_hidden = 16;
        nn_model init;
        qp_err err;
        nn_model_create(&init, &cfg, tc.layout.pool_w, 1, 1, &err);
        nn_model_init_params(&init, 11);
        double moved = rel_diff(single, init.params_memory, n);
        MPI_CHECK(moved > 1e-3, "training barely moved the weights (%g)", moved);
        nn_model_free(&init);

        float *fixed[2];
        for (int mode = 0; mode < 2; mode++) {
            qp_allreduce_ctx ctx;
            qp_allreduce_init(&ctx, MPI_COMM_WORLD, mode ? QP_ALLREDUCE_FIXED_ORDER : QP_ALLREDUCE_MPI);
            nn_allreduce ar = {qp_allreduce_sum, &ctx, size};
            float *w = train(&tc, &ar, rank, size);
            double d = rel_diff(w, single, n);
            MPI_CHECK(d < 1e-5, "mode %d on %d ranks: relative difference %.3g from one process", mode, size, d);
            if (size == 1)
                MPI_CHECK(memcmp(w, single, n * sizeof(float)) == 0, "mode %d, 1 rank: not bitwise equal", mode);
            MPI_CHECK(same_on_all_ranks(w, n), "mode %d: ranks hold different weights", mode);
            MPI_CHECK(ctx.calls == STEPS || size == 1, "mode %d: %ld all-reduce calls", mode, ctx.calls);
            if (rank == 0) printf("mode %d, %d ranks: relative difference %.3g\n", mode, size, d);
            if (mode == 1) fixed[0] = w;
            else free(w);
            qp_allreduce_free(&ctx);
        }
        // Fixed order again: bit for bit the same weights.
        qp_allreduce_ctx ctx;
        qp_allreduce_init(&ctx, MPI_COMM_WORLD, QP_ALLREDUCE_FIXED_ORDER);
        nn_allreduce ar = {qp_allreduce_sum, &ctx, size};
        fixed[1] = train(&tc, &ar, rank, size);
        MPI_CHECK(memcmp(fixed[0], fixed[1], n * sizeof(float)) == 0, "fixed-order runs differ");
        qp_allreduce_free(&ctx);
        free(fixed[0]);
        free(fixed[1]);
        free(single);
        nn_test_case_free(&tc);
    }
    int rc = qp_mpi_check_finish();
    MPI_Finalize();
    return rc;
}
