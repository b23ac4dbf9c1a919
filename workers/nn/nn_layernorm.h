// Layer normalisation over the last axis (eps 1e-5), with learned gain and bias.
// Forward saves the per-row mean and reciprocal standard deviation for backward.
// Backward ACCUMULATES into dinp, dweight, dbias.
#ifndef QP_NN_LAYERNORM_H
#define QP_NN_LAYERNORM_H

#include "workers/nn/nn_real.h"

// out (N,C) = (inp (N,C) - mean) * rstd * weight (C) + bias (C); mean, rstd are (N).
void NN(nn_layernorm_forward)(nn_real *out, nn_real *mean, nn_real *rstd, const nn_real *inp,
                              const nn_real *weight, const nn_real *bias, int N, int C);

// dinp (N,C) +=, dweight (C) +=, dbias (C) += from dout (N,C).
void NN(nn_layernorm_backward)(nn_real *dinp, nn_real *dweight, nn_real *dbias, const nn_real *dout,
                               const nn_real *inp, const nn_real *weight, const nn_real *mean,
                               const nn_real *rstd, int N, int C);

#endif
