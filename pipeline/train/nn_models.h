// The shipped neural-decoder models (models/ in the source tree; $QECPIPE_MODELS overrides)
// and which one covers a circuit, for `--decoder nn` without a model file.
//
// models/MODELS.tsv lists them, one line each, tab-separated ('#' lines are comments):
//   file  noise  p_min  p_max  description
// file is relative to the models directory, noise is uniform or si1000. A model covers a
// circuit when
//   - its layout fits the circuit's: same stabilizers at the same coordinates, the same
//     final-round stabilizers (so the same memory basis) and observables (the nn decoder's
//     own check, which also fixes the distance; the number of rounds may differ: the model is
//     recurrent);
//   - its noise family is the circuit's and the circuit's p is in [p_min, p_max].
// The circuit's noise family and p are read from its instructions: SI1000 circuits are
// built from CZ gates, uniform ones (stim gen) from CX; p is the largest DEPOLARIZE2
// probability (both families put exactly p there).
// Not here: training (train_job.h) or the models' cards (models/*.md).
#ifndef QP_TRAIN_NN_MODELS_H
#define QP_TRAIN_NN_MODELS_H

#include <stddef.h>

#include "workers/circuit/circuit.h"
#include "workers/util/err.h"

// The directory of the shipped models.
const char *qp_nn_models_dir(void);

// path (n bytes) = the first listed model that covers the circuit. Otherwise -1 with a
// message giving the circuit's noise and p and listing the models that exist.
int qp_nn_model_pick(const qp_circuit *circuit, char *path, size_t n, qp_err *err);

#endif
