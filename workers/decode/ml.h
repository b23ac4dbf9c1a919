// The exact maximum-likelihood decoder for tiny detector error models (d=3, a few rounds): the
// ceiling other decoders are measured against. Not a decoder for production sizes: its memory
// and build time grow as 2^(detectors + observables).
//
// Method (every mechanism independent, as a DEM says):
//   1. Flatten the DEM; each error instruction is one mechanism flipping the XOR of its
//      `^`-separated parts (decomposition hints are ignored: the undecomposed DEM is the model).
//   2. Start from the point mass P[0] = 1 over the 2^(D+K) outcomes x = syndrome | obs << D.
//   3. Fold in each mechanism m with probability p: P'[x] = (1 - p) P[x] + p P[x ^ m]
//      (a butterfly over the pairs {x, x ^ m}; float64, so each probability keeps its relative
//      precision however small it is).
//   4. Per syndrome s, keep the observable mask L maximising P[s | L << D] (ties: the smaller L,
//      so 0 when "no flip" ties) and the margin ln(P[best] / P[runner-up]); free the table.
//   Decoding a shot is then one table lookup.
//
// Memory: the table of step 2 is 2^(D+K) float64 (QP_ML_MAX_BITS = 25: 256 MB at d=3 with 3
// rounds, 24 detectors + 1 observable), held only while building; the decoder keeps 2^D
// decisions (1 byte) and margins (float32): 80 MB at D = 24. Larger models are refused with an
// error saying so.
#ifndef QP_DECODE_ML_H
#define QP_DECODE_ML_H

#include <stddef.h>
#include <stdint.h>

#include "workers/dem/dem.h"
#include "workers/util/err.h"

#define QP_ML_MAX_BITS 25  // detectors + observables
#define QP_ML_MAX_OBSERVABLES 8
#define QP_ML_MAX_MECHANISMS 100000

typedef struct qp_ml qp_ml;

// Builds the decision table (steps 1-4). NULL with err set when D + K > QP_ML_MAX_BITS,
// K > QP_ML_MAX_OBSERVABLES, the model unrolls to more than QP_ML_MAX_MECHANISMS mechanisms, or
// a probability is outside [0, 1].
qp_ml *qp_ml_create(const qp_dem *dem, qp_err *err);
void qp_ml_free(qp_ml *ml);

uint64_t qp_ml_num_detectors(const qp_ml *ml);
uint32_t qp_ml_num_observables(const qp_ml *ml);

// One shot: det_b8 holds ceil(D/8) bytes (b8 bit order). *obs_out gets the likeliest
// observable mask, *margin_out (may be NULL) ln(P(s, best) / P(s, runner-up)) >= 0 (0 on an
// exact tie; +inf when only one observable value is possible or the syndrome is impossible).
void qp_ml_decode_b8(const qp_ml *ml, const uint8_t *det_b8, uint64_t *obs_out, double *margin_out);

// The joint distribution P(syndrome | obs << D) of steps 1-3 for a DEM within the limits, as a
// qp_malloc'd array of 2^(D+K) doubles in *table (for tests and for reports of the optimum).
int qp_ml_joint(const qp_dem *dem, double **table, uint64_t *num_detectors, uint32_t *num_observables,
                qp_err *err);

#endif
