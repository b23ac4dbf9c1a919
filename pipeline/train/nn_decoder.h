// The neural decoder as the pipeline uses it: a trained model file (pipeline/train/checkpoint.h)
// applied to shots of a circuit, giving per shot a predicted observable flip and a confidence
// (the sigmoid probability that observable o flipped).
//
// The model's layout must fit the circuit: the same stabilizers (the distinct detector (x, y)
// coordinates, compared to 1e-6), the same stabilizers in the final round (the readout pools
// over those, so a memory-X model does not decode a memory-Z circuit) and the same number of
// observables; otherwise opening fails with one line naming the first difference. The number of
// rounds may differ from training (the model is recurrent; inference streams round by round),
// though accuracy is only tested at the trained round count.
//
// Soft-input models (trained with noise.readout; num_features = QP_NN_SOFT_FEATURES) take per
// stabilizer and round the soft detection event and the leakage probability
// (workers/circuit/soft_events.h) computed from each shot's soft readout: they decode through
// qp_decoder_decode_batch_soft only (the hard-only call fails, saying so). Models of detection
// events decode the hard events and ignore soft readout.
//
// A decoder object holds its own activations: use one object per thread. Opening reads the
// file through a store on MPI_COMM_SELF, so MPI must be initialised.
#ifndef QP_TRAIN_NN_DECODER_H
#define QP_TRAIN_NN_DECODER_H

#include "workers/circuit/circuit.h"
#include "workers/decode/decoder.h"
#include "workers/util/err.h"

#define QP_NN_SOFT_FEATURES 2  // soft detection event, leakage probability

// Loads model_path and checks it against circuit (finalized, with DETECTOR(x, y, t) coordinates).
// The decoder is of kind "nn" (workers/decode/decoder.h): qp_decoder_decode_batch takes
// records of at least ceil(num_detectors/8) bytes (wider strides are fine), predicts
// observable o flipped when its confidence is > 0.5, and writes float confidences
// (num_shots, num_observables) as the extra output.
int qp_nn_decoder_open(const char *model_path, const qp_circuit *circuit, qp_decoder **out, qp_err *err);

#endif
