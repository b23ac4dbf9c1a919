// Batches from in-memory b8 shot records (see nn_batch.h).
#include "workers/nn/nn_batch.h"

#include <stddef.h>

void nn_batch_sample(const nn_shot_set *set, int lo, int hi, qp_rng *rng, int B, float *inputs, float *targets) {
    const nn_layout *lay = set->layout;
    size_t det_bytes = ((size_t)lay->num_dets + 7) / 8, obs_bytes = ((size_t)set->num_obs + 7) / 8;
    size_t per_shot = (size_t)lay->num_rounds * lay->num_stabs;
    uint64_t span = (uint64_t)(hi - lo);
    for (int b = 0; b < B; b++) {
        // Multiply-shift maps 64 random bits to [0, span) with bias < span / 2^64.
        uint64_t k = (uint64_t)(((unsigned __int128)qp_rng_u64(rng) * span) >> 64);
        size_t shot = (size_t)lo + k;
        nn_layout_inputs_from_b8(lay, set->dets_b8 + shot * det_bytes, NULL, 1, 1, inputs + b * per_shot);
        nn_layout_targets_from_b8(set->obs_b8 + shot * obs_bytes, 1, set->num_obs, targets + (size_t)b * set->num_obs);
    }
}

void nn_batch_range(const nn_shot_set *set, int first, int B, float *inputs, float *targets) {
    const nn_layout *lay = set->layout;
    size_t det_bytes = ((size_t)lay->num_dets + 7) / 8, obs_bytes = ((size_t)set->num_obs + 7) / 8;
    nn_layout_inputs_from_b8(lay, set->dets_b8 + (size_t)first * det_bytes, NULL, B, 1, inputs);
    nn_layout_targets_from_b8(set->obs_b8 + (size_t)first * obs_bytes, B, set->num_obs, targets);
}
