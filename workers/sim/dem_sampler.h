// Shots straight from a detector error model: every mechanism fires independently with its
// probability and flips its detectors and observables (a `^`-decomposed error flips the XOR
// of its parts). Firings are found by geometric skipping over the shots of a batch, so the
// cost follows the number of firings (plus one draw per mechanism and batch), not
// mechanisms x shots. Repeat blocks are not unrolled in memory: a folded 100,000-round model
// stays small (sampling time still grows with the rounds).
//
// Randomness: shots are cut into fixed batches of QP_DEM_SAMPLER_BATCH; batch b draws from
// qp_rng_stream(seed, stream_id, b), mechanisms in the model's execution order. The bytes for
// a shot therefore depend only on (model, seed, stream_id, shot index), never on how a run is
// split into calls, and a folded model gives the same bytes as its unrolled text.
//
// Output is Stim's b8 layout: shot-major records, bit k of a record at byte k/8, bit k%8.
#ifndef QP_SIM_DEM_SAMPLER_H
#define QP_SIM_DEM_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "workers/dem/dem.h"
#include "workers/util/err.h"

#define QP_DEM_SAMPLER_BATCH 1024

// The compiled model: ops run in order with a running detector offset.
//   kind 0 (mechanisms): sample mechanisms [a, b) with ids offset by the running offset
//   kind 1 (shift): offset += a
//   kind 2 (repeat): run the next b ops a times, then skip them
typedef struct {
    uint8_t kind;
    uint64_t a, b;
} qp_dem_sampler_op;

typedef struct {
    size_t num_mechs;        // error instructions of the model text (not unrolled)
    double *log_q;           // (num_mechs,) log(1 - p)
    double *prob;            // (num_mechs,)
    uint64_t *det_start;     // (num_mechs + 1,) mechanism m flips dets[det_start[m] .. det_start[m+1])
    uint32_t *dets;          // (det_start[num_mechs],) detector ids relative to the running offset
    uint64_t *obs;           // (num_mechs,) observable bit masks
    qp_dem_sampler_op *ops;  // (num_ops,)
    size_t num_ops;
    uint64_t num_detectors;
    uint32_t num_observables;
} qp_dem_sampler;

// Prepares a model for sampling. Fails on > 64 observables or > 2^32 detectors.
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
