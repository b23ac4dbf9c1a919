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
// A decoder object holds its own activations: use one object per thread. Opening reads the
// file through a store on MPI_COMM_SELF, so MPI must be initialised.
#ifndef QP_TRAIN_NN_DECODER_H
#define QP_TRAIN_NN_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/util/err.h"

typedef struct qp_nn_decoder qp_nn_decoder;

// Loads model_path and checks it against circuit (finalized, with DETECTOR(x, y, t) coordinates).
int qp_nn_decoder_open(const char *model_path, const qp_circuit *circuit, qp_nn_decoder **out, qp_err *err);

// Decodes n shots.
//   dets_b8        (n, bytes_per_shot) detection events, b8 layout (bit d of a shot at byte d/8,
//                  bit d%8); bytes_per_shot >= ceil(num_detectors/8)
//   obs_pred_b8    (n, ceil(num_obs/8)) out: bit o set when observable o is predicted flipped
//                  (confidence > 0.5); padding bits zero. May be NULL.
//   confidence     (n, num_obs) out: probability that observable o flipped. May be NULL.
int qp_nn_decoder_decode(qp_nn_decoder *dec, const uint8_t *dets_b8, size_t n, size_t bytes_per_shot,
                         uint8_t *obs_pred_b8, float *confidence, qp_err *err);

uint32_t qp_nn_decoder_num_observables(const qp_nn_decoder *dec);
uint64_t qp_nn_decoder_num_detectors(const qp_nn_decoder *dec);

void qp_nn_decoder_free(qp_nn_decoder *dec);  // safe on NULL

#endif
