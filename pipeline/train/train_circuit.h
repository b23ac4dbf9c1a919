// The neural decoder's view of a circuit: the training circuit a `train:` section describes,
// and the model layout (detector -> (stabilizer, round), workers/nn/nn_layout.h) and model
// shape derived from a circuit. Shared by the training job and the nn decoder, so both map
// detectors to the model's inputs the same way.
// Not here: sampling, files other than a `train.circuit` Stim file, MPI.
#ifndef QP_TRAIN_TRAIN_CIRCUIT_H
#define QP_TRAIN_TRAIN_CIRCUIT_H

#include "pipeline/config/config.h"
#include "workers/circuit/circuit.h"
#include "workers/nn/nn_layout.h"
#include "workers/nn/nn_model.h"
#include "workers/util/err.h"

// The Stim text of the training circuit: the generated surface-code memory experiment
// (code, distance, rounds, basis, noise, p) or the `circuit:` file. *text is malloc'd (free()).
int qp_train_circuit_text(const qp_train_config *tc, char **text, qp_err *err);

// Detector coordinates as the layout wants them: *coords is (num_detectors,3) malloc'd
// (x, y, t of each detector). Fails, naming the first offending detector, when a detector
// has fewer than 3 coordinates.
int qp_train_detector_coords(const qp_circuit *c, double **coords, qp_err *err);

// The layout of a finalized circuit (nn_layout_build over qp_train_detector_coords).
int qp_train_layout_from_circuit(const qp_circuit *c, nn_layout *lay, qp_err *err);

// The model shape for a training config and a layout: F = 1 (detection events),
// O = num_obs, H/L/NH from the config, FH = 2H, RH = H.
nn_config qp_train_model_config(const qp_train_config *tc, const nn_layout *lay, int num_obs);

#endif
