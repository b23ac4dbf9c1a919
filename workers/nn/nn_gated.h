// Gated dense block (GLU-style feed-forward, as AlphaQubit's gated dense blocks):
//   [a | g] = fc1(inp),  hg = gelu(a) * g,  out = fc2(hg)
// fc1 maps C to 2FH (the first FH outputs are a, the next FH the gate g), fc2 maps FH to C.
// Same widths as the plain block (nn_ffn.h) except fc1's doubled output. Backward ACCUMULATES.
#ifndef QP_NN_GATED_H
#define QP_NN_GATED_H

#include "workers/nn/nn_real.h"

// inp (N,C); w1 (2FH,C), b1 (2FH); w2 (C,FH), b2 (C); out (N,C).
// Saves fch (N,2FH) = fc1 output and hg (N,FH) for backward.
void NN(nn_gated_forward)(nn_real *out, nn_real *fch, nn_real *hg, const nn_real *inp, const nn_real *w1,
                          const nn_real *b1, const nn_real *w2, const nn_real *b2, int N, int C, int FH);

// dinp (N,C) +=, dw1, db1, dw2, db2 += from dout (N,C). scratch holds 3*N*FH reals.
void NN(nn_gated_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                           const nn_real *dout, const nn_real *inp, const nn_real *fch, const nn_real *hg,
                           const nn_real *w1, const nn_real *w2, nn_real *scratch, int N, int C, int FH);

#endif
