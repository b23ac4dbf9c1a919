// Test helper for the frame-simulator tests: a sink that counts, per detector and per
// observable, how many of the shots [0, num_shots) fired; and Stim b8 counts for comparison.
#ifndef QP_TESTS_SIM_FRAME_COUNTS_H
#define QP_TESTS_SIM_FRAME_COUNTS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "workers/sim/frame_sim.h"

typedef struct {
    uint64_t num_shots;
    uint64_t *det;  // (num_detectors) shots with a detection event
    uint64_t *obs;  // (num_observables) shots with an observable flip
} frame_counts;

static inline uint64_t frame_counts_row(const uint64_t *row, size_t stride, uint64_t batch_first,
                                        uint64_t num_shots) {
    uint64_t c = 0;
    for (size_t w = 0; w < stride; w++) {
        uint64_t s0 = batch_first + 64 * w;
        if (s0 >= num_shots) break;
        uint64_t v = row[w];
        if (num_shots - s0 < 64) v &= (1ULL << (num_shots - s0)) - 1;
        c += (uint64_t)__builtin_popcountll(v);
    }
    return c;
}

static inline int frame_counts_dets(void *ctx, uint64_t batch_first, uint64_t first_det, size_t n,
                                    const uint64_t *rows, size_t stride, qp_err *err) {
    frame_counts *fc = ctx;
    for (size_t i = 0; i < n; i++) fc->det[first_det + i] += frame_counts_row(rows + i * stride, stride, batch_first, fc->num_shots);
    return 0;
}

static inline int frame_counts_obs(void *ctx, uint64_t batch_first, uint32_t n, const uint64_t *rows,
                                   size_t stride, qp_err *err) {
    frame_counts *fc = ctx;
    for (uint32_t i = 0; i < n; i++) fc->obs[i] += frame_counts_row(rows + (size_t)i * stride, stride, batch_first, fc->num_shots);
    return 0;
}

// Two-sample binomial z statistic (pooled); 0 when neither sample has an event.
static inline double frame_counts_z(uint64_t k1, uint64_t n1, uint64_t k2, uint64_t n2) {
    double p1 = (double)k1 / n1, p2 = (double)k2 / n2, p = (double)(k1 + k2) / (n1 + n2);
    double var = p * (1 - p) * (1.0 / n1 + 1.0 / n2);
    return var > 0 ? (p1 - p2) / sqrt(var) : 0.0;
}

#endif
