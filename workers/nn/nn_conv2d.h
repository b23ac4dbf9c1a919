// Dilated 3x3 convolution over the stabilizer grid (AlphaQubit's convolutions between the
// attention layers). Tokens stay in stabilizer order; nbr (9,S) says which stabilizer sits
// at each kernel tap of each stabilizer (or -1: no stabilizer there, the zero padding of a
// scatter to the 2-D grid). With C channels in and out, for shot b and stabilizer s:
//   out[b][s][o] = bias[o] + sum_{k<9} sum_c w[o][k][c] * inp[b][nbr[k][s]][c]
// Tap k = (dr+1)*3 + (dc+1) for offsets dr, dc in {-1,0,1}, scaled by the dilation. Computed
// as im2col: the taps are gathered into (B*S, 9C) rows and one GEMM (nn_linear) applies w.
// The weights do not depend on S, so one convolution serves every code distance.
// Backward ACCUMULATES.
#ifndef QP_NN_CONV2D_H
#define QP_NN_CONV2D_H

#include "workers/nn/nn_real.h"

// nbr (9,S): the stabilizer at (row[s] + dr*dil, col[s] + dc*dil), or -1.
void NN(nn_conv2d_neighbours)(int *nbr, const int *row, const int *col, int S, int dil);

// out (B,S,C) = conv(inp (B,S,C)); w (C,9C), bias (C); col (B,S,9C) is scratch.
void NN(nn_conv2d_forward)(nn_real *out, nn_real *col, const nn_real *inp, const int *nbr, const nn_real *w,
                           const nn_real *bias, int B, int S, int C);

// dinp (B,S,C) +=, dw (C,9C) +=, dbias (C) += from dout (B,S,C). scratch holds 2*B*S*9C reals.
void NN(nn_conv2d_backward)(nn_real *dinp, nn_real *dw, nn_real *dbias, const nn_real *dout, const nn_real *inp,
                            const int *nbr, const nn_real *w, nn_real *scratch, int B, int S, int C);

#endif
