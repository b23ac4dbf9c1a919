// Training and evaluation batches from shots held in memory as b8 records (detection events
// and observable flips, as `stim detect --out_format b8 --obs_out_format b8` writes them,
// or as the frame sampler produces them).
#ifndef QP_NN_BATCH_H
#define QP_NN_BATCH_H

#include <stdint.h>

#include "workers/nn/nn_layout.h"
#include "workers/util/rng.h"

typedef struct {
    const nn_layout *layout;
    const uint8_t *dets_b8;  // (num_shots, ceil(num_dets/8)) detection events
    const uint8_t *obs_b8;   // (num_shots, ceil(num_obs/8)) observable flips
    int num_shots;
    int num_obs;
} nn_shot_set;

// B shots drawn uniformly with replacement from shots [lo, hi) using rng:
// inputs (B,R,S,1), targets (B,O).
void nn_batch_sample(const nn_shot_set *set, int lo, int hi, qp_rng *rng, int B, float *inputs, float *targets);

// Shots first .. first+B-1 in order (for evaluation).
void nn_batch_range(const nn_shot_set *set, int first, int B, float *inputs, float *targets);

#endif
