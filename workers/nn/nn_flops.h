// Floating-point operations of the neural decoder (nn_model.h) per shot, from the model's
// shapes alone: the numerator of training MFU (model FLOPs utilisation). A multiply-add
// counts 2. Counted: every product of two matrices the configured architecture computes:
//   per round:  input embedding (S,F)x(F,H)
//   per layer:  qkv (S,H)x(H,3H); scores Q K^T and probabilities x V, 2*S*S*H each over all
//               heads; projection (S,H)x(H,H); FFN (S,H)x(H,FH) [x(H,2FH) gated] and
//               (S,FH)x(FH,H); each dilated 3x3 convolution (S,9H)x(9H,H)
//   aux head:   (S,H)x(H,1) in rounds 0..R-2 (training only, aux_weight > 0)
//   readout:    pooling (1,S)x(S,H) [(NL,S)x(S,H) with the line readout], then the MLP
//               (H,RH) and (RH,O) per pooled row
// Not counted (element-wise, O(S*H)): LayerNorm, GELU, softmax, residual adds, biases.
// Training = 3x forward (backward computes two products per forward product: the input's
// gradient and the weight's), the convention of the MFU literature.
#ifndef QP_NN_FLOPS_H
#define QP_NN_FLOPS_H

#include "workers/nn/nn_model.h"

// Forward FLOPs per shot of R rounds; num_lines = lines of the line readout (ignored unless
// cfg->readout_lines); with_aux: count the auxiliary head (training forward).
double nn_flops_forward(const nn_config *cfg, int R, int num_lines, int with_aux);

// Training FLOPs per shot (forward with the aux head when aux_weight > 0, plus backward).
double nn_flops_train(const nn_config *cfg, int R, int num_lines);

#endif
