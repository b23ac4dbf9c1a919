// Multi-head self-attention over the S stabilizers of one shot, with a learned additive
// bias per head and stabilizer pair (AlphaQubit's "attention bias"): for head h,
//   score[i][j] = q_i . k_j / sqrt(hs) + bias[h][i][j],  att = softmax_j(score),
//   out_i = sum_j att[i][j] v_j,  hs = H / NH.
// No causal mask: every stabilizer sees every other. The q, k, v projections and the
// output projection are nn_linear layers applied by the caller (qkv is their output).
// S is small (8 at d=3, 48 at d=7), so the score loops are vectorised C, not GEMMs.
#ifndef QP_NN_ATTENTION_H
#define QP_NN_ATTENTION_H

#include "workers/nn/nn_real.h"

// qkv (B,S,3H): [q | k | v] per stabilizer, head h using columns h*hs..(h+1)*hs-1 of each.
// bias (NH,S,S); att (B,NH,S,S) receives the softmax probabilities (saved for backward;
// NULL when there will be no backward, as in streaming inference);
// out (B,S,H).
void NN(nn_attention_forward)(nn_real *out, nn_real *att, const nn_real *qkv, const nn_real *bias,
                              int B, int S, int H, int NH);

// dqkv (B,S,3H) +=, dbias (NH,S,S) += from dout (B,S,H).
void NN(nn_attention_backward)(nn_real *dqkv, nn_real *dbias, const nn_real *dout, const nn_real *qkv,
                               const nn_real *att, int B, int S, int H, int NH);

#endif
