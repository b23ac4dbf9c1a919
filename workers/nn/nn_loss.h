// Binary cross-entropy with logits, per element and weighted:
//   loss_i = w_i * (max(z,0) - z*y + log(1 + exp(-|z|))),   z = logit, y = target in {0,1}.
// The model uses it twice: for the observable flip (w = 1/(B*O): the batch mean) and for
// the auxiliary next-round detection-event prediction (w = aux_weight / number of present
// detectors, 0 where a detector is missing). Losses are summed in double.
#ifndef QP_NN_LOSS_H
#define QP_NN_LOSS_H

#include "workers/nn/nn_real.h"

// Returns sum_i loss_i over logits, targets, weights (N); weights NULL means all 1.
double NN(nn_bce_forward)(const nn_real *logits, const nn_real *targets, const nn_real *weights, int N);

// dlogits (N) += w_i * (sigmoid(z_i) - y_i): the gradient of the returned sum.
void NN(nn_bce_backward)(nn_real *dlogits, const nn_real *logits, const nn_real *targets,
                         const nn_real *weights, int N);

#endif
