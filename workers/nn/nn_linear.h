// Fully connected layer: out = inp @ weight^T + bias, weights stored (OC, C) as in llm.c.
// GEMMs through OpenBLAS. Backward passes ACCUMULATE (+=) into their outputs; the caller
// zeroes gradient buffers first.
#ifndef QP_NN_LINEAR_H
#define QP_NN_LINEAR_H

#include "workers/nn/nn_real.h"

// out (N,OC) = inp (N,C) @ weight (OC,C)^T + bias (OC); bias may be NULL.
void NN(nn_linear_forward)(nn_real *out, const nn_real *inp, const nn_real *weight,
                           const nn_real *bias, int N, int C, int OC);

// dinp (N,C) += dout (N,OC) @ weight (OC,C)       (skipped when dinp is NULL)
// dweight (OC,C) += dout^T @ inp;  dbias (OC) += column sums of dout (skipped when NULL).
void NN(nn_linear_backward)(nn_real *dinp, nn_real *dweight, nn_real *dbias, const nn_real *dout,
                            const nn_real *inp, const nn_real *weight, int N, int C, int OC);

#endif
