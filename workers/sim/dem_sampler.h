// Shots straight from a detector error model: every mechanism fires independently with its
// probability and flips its detectors and observables (a `^`-decomposed error flips the XOR
// of its parts). Mechanisms of equal probability form a group; firings are found by
// geometric skipping over the group's (mechanism, shot) trials of a batch, so the cost
// follows the number of firings, not mechanisms x shots.
//
// Randomness: shots are cut into fixed batches of QP_DEM_SAMPLER_BATCH; batch b draws from
// qp_rng_stream(seed, stream_id, b). The bytes for a shot therefore depend only on
// (model, seed, stream_id, shot index), never on how a run is split into calls.
//
// Output is Stim's b8 layout: shot-major records, bit k of a record at byte k/8, bit k%8.
#ifndef QP_SIM_DEM_SAMPLER_H
#define QP_SIM_DEM_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "workers/dem/dem.h"
#include "workers/util/err.h"

#define QP_DEM_SAMPLER_BATCH 1024
// Repeat blocks are unrolled, so a folded model of a very long experiment can be too big to
// sample this way (100,000 rounds of d=5 is ~50M mechanisms): init fails past this many.
#define QP_DEM_SAMPLER_MAX_MECHANISMS (1u << 25)

typedef struct {
    size_t num_mechs;        // mechanisms with p > 0, ordered by group
    uint64_t *det_start;     // (num_mechs + 1,) mechanism m flips dets[det_start[m] .. det_start[m+1])
    uint32_t *dets;          // (det_start[num_mechs],) detector ids
    uint64_t *obs;           // (num_mechs,) observable bit masks
    size_t num_groups;
    size_t *group_start;     // (num_groups + 1,) group g is mechanisms group_start[g] .. group_start[g+1]
    double *group_p;         // (num_groups,) the group's probability
    double *group_log_q;     // (num_groups,) log(1 - p)
    uint64_t num_detectors;
    uint32_t num_observables;
} qp_dem_sampler;

// Prepares a model for sampling (unrolls repeats). Fails on > 64 observables, > 2^32
// detectors or more than QP_DEM_SAMPLER_MAX_MECHANISMS unrolled mechanisms.
int qp_dem_sampler_init(qp_dem_sampler *s, const qp_dem *d, qp_err *err);
void qp_dem_sampler_free(qp_dem_sampler *s);

// Shots first_shot .. first_shot+num_shots-1 of the run (seed, stream_id).
//   dets_b8 is (num_shots, ceil(num_detectors/8)), obs_b8 is (num_shots, ceil(num_observables/8));
//   either may be NULL; both are fully overwritten (padding bits zero).
int qp_dem_sampler_sample(const qp_dem_sampler *s, uint64_t seed, uint64_t stream_id,
                          uint64_t first_shot, uint64_t num_shots, uint8_t *dets_b8,
                          uint8_t *obs_b8, qp_err *err);

// One-call form: prepares, samples and releases.
int qp_dem_sample(const qp_dem *d, uint64_t seed, uint64_t stream_id, uint64_t first_shot,
                  uint64_t num_shots, uint8_t *dets_b8, uint8_t *obs_b8, qp_err *err);

#endif
