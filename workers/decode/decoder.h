// The decoder interface the pipeline calls: build a decoder of a given kind from a DEM, then
// decode batches of b8 detector records into b8 observable predictions and weights.
//
// Kinds: "mwpm" (exact minimum-weight perfect matching, mwpm.h), "mwpm-corr" (correlated
// two-pass matching, correlated.h; weights_out is the second pass's weight on the lowered
// edges). Issue 6 adds "uf" behind the same calls. A decoder is used by one thread at a time.
#ifndef QP_DECODE_DECODER_H
#define QP_DECODE_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct qp_decoder qp_decoder;

// Returns NULL with err set on an unknown kind or a DEM the decoder cannot use (e.g. not
// graphlike: "line N: error mechanism is not graphlike ..."). The DEM may be freed after.
qp_decoder *qp_decoder_create(const char *kind, const qp_dem *dem, qp_err *err);
void qp_decoder_free(qp_decoder *dec);

// "mwpm", ... as given to create.
const char *qp_decoder_kind(const qp_decoder *dec);
uint64_t qp_decoder_num_detectors(const qp_decoder *dec);
uint32_t qp_decoder_num_observables(const qp_decoder *dec);

// dets_b8 is (num_shots, bytes_per_shot) with bytes_per_shot == ceil(num_detectors/8)
// (anything else is an error before decoding). obs_pred_b8_out is
// (num_shots, ceil(num_observables/8)), fully overwritten. weights_out (num_shots) gets each
// shot's matching weight in log-likelihood units (sum of log((1-p)/p) over the chosen
// edges); it may be NULL. Fails on a shot that has no valid matching, naming the shot index.
int qp_decoder_decode_batch(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots,
                            size_t bytes_per_shot, uint8_t *obs_pred_b8_out, double *weights_out,
                            qp_err *err);

#endif
