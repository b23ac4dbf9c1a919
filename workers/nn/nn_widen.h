// Carrying one model's parameters into the layout of a model with more input features per
// stabilizer, for warm starts: a detection-event model (F = 1) starting a soft-readout run
// (F = 2: soft detection event, leakage probability).
//
// The map, tensor by tensor (nn_params order): in_w (2,H,F_from) -> (2,H,F_to) keeps
// in_w[k][h][f] for f < F_from and sets 0 for f >= F_from; every other tensor (in_b included)
// is copied as is. The embedding is linear in the features, so the widened model's outputs on
// inputs (..., F_to) equal the original's on their first F_from features, whatever the others
// hold: the new features start without influence, and training gives them one.
// What it is not: a check that feature f < F_from means the same in both models (the caller
// knows its input layouts; the pipeline's rule is in pipeline/train/train_job.h), nor of
// config keys that do not change a tensor's size (state_scale, aux_weight).
#ifndef QP_NN_WIDEN_H
#define QP_NN_WIDEN_H

#include "workers/nn/nn_model.h"
#include "workers/util/err.h"

// src holds the parameters of config `from` (nn_param_sizes(from) floats); dst receives those
// of config `to` (nn_param_sizes(to) floats). Needs to->num_features >= from->num_features and
// every tensor but in_w of equal size in both (so num_stabs may differ only where no tensor
// depends on it: nn_config_distance_portable). Otherwise -1, naming the first tensor that
// differs, and dst untouched.
int nn_params_widen_features(const nn_config *from, const float *src, const nn_config *to, float *dst, qp_err *err);

#endif
