// Builds a decoder of any kind in the table (workers/decode/decoder.h) from what a job or a
// command has: the DEM for matching decoders, the model file and the circuit for the neural
// decoder. The one place that knows which kind needs what.
#ifndef QP_JOB_DECODER_OPEN_H
#define QP_JOB_DECODER_OPEN_H

#include "workers/circuit/circuit.h"
#include "workers/decode/decoder.h"
#include "workers/decode/window.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct {
    const qp_dem *dem;          // decomposed DEM (kinds built from a DEM)
    const qp_circuit *circuit;  // the circuit being decoded (kinds that need a model: its layout;
                                // mwpm-soft: which edge each measurement's flip is)
    const char *model;          // trained model file, or NULL / "" when none was given
    const qp_window_options *window;  // DEM kinds: decode in sliding windows when window->window > 0
                                      // (workers/decode/window.h); NULL: global
} qp_decoder_inputs;

// Fails with "no model file given ..." when the kind needs one and none is given, when a kind
// built from the circuit (mwpm-soft) gets no circuit or a window; otherwise as the kind's
// constructor. Opening a model reads HDF5: MPI must be initialised.
int qp_decoder_open(qp_decoder_id id, const qp_decoder_inputs *in, qp_decoder **out, qp_err *err);

#endif
