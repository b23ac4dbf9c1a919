// Carrying one model's parameters into a larger model of the same kind, for warm starts:
// more input features per stabilizer (a detection-event model, F = 1, starting a soft-readout
// run, F = 2: soft detection event, leakage probability), more layers per round (a trained
// model starting a deeper one) and a wider state (hidden x m, for an integer m).
//
// The map, tensor by tensor (nn_params order):
// - Wider (hidden H -> mH, and with it heads, ffn_hidden and readout_hidden x m, so the head
//   size stays), done first: every unit of the state, of the heads and of the hidden layers
//   becomes m copies of itself (unit j of the wider model is unit j mod H of the source), and
//   each weight that reads such units is shared out among the m copies of its input in
//   unequal shares that sum to 1. The copies then carry equal values, every LayerNorm sees the
//   source's mean and variance, every head the source's scores, and the wider model computes
//   the source's function (equal up to float rounding, not bitwise: the sums have more terms).
//   The unequal shares (a fixed hash, the same every time) make the copies' gradients differ,
//   so training separates them; equal shares would keep them copies forever.
// - in_w (2,H,F_from) -> (2,H,F_to) keeps in_w[k][h][f] for f < F_from and sets 0 for
//   f >= F_from. The embedding is linear in the features, so the new features start without
//   influence whatever they hold.
// - Per-layer tensors (L,...): layers l < L_from are the source's; layers L_from..L_to-1 are
//   appended after them and keep dst's own values (the caller's fresh initialisation), except
//   the tensors that write into the residual state, which become 0: projw, projb, fc2w, fc2b,
//   convw, convb. A new layer then adds exactly 0 to the state, so it starts as the identity;
//   the gradient reaches those zero weights through their nonzero inputs, and training gives
//   the layer a use.
// - Every other tensor is copied as is.
// So a model with more features or layers (same width) computes the source's outputs, loss and
// gradients of the source's parameters bit for bit, on inputs whose first F_from features are
// the source's.
// What it is not: a check that feature f < F_from means the same in both models (the caller
// knows its input layouts; the pipeline's rule is in pipeline/train/train_job.h), nor of
// config keys that do not change a tensor's size (state_scale, aux_weight).
#ifndef QP_NN_WIDEN_H
#define QP_NN_WIDEN_H

#include "workers/nn/nn_model.h"
#include "workers/util/err.h"

// src holds the parameters of config `from` (nn_param_sizes(from) floats); dst holds those of
// config `to` (nn_param_sizes(to) floats), initialised (nn_model_init_params): values of new
// layers that are not zeroed stay. Needs to->num_features >= from->num_features,
// to->num_layers >= from->num_layers, to->hidden = m * from->hidden with heads, ffn_hidden and
// readout_hidden x m (m >= 1), and every other size equal (so num_stabs may differ only
// where no tensor depends on it: nn_config_distance_portable). Otherwise -1, naming the first
// tensor that differs, and dst untouched.
int nn_params_widen(const nn_config *from, const float *src, const nn_config *to, float *dst, qp_err *err);

#endif
