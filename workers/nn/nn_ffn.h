// Feed-forward block of a transformer layer: out = fc2(gelu(fc1(inp))), with the tanh
// approximation of GELU. The GELU pair is exposed too (the readout MLP uses it).
// Backward passes ACCUMULATE into their outputs.
#ifndef QP_NN_FFN_H
#define QP_NN_FFN_H

#include "workers/nn/nn_real.h"

#define NN_GELU_K ((nn_real)0.7978845608028654)  // sqrt(2/pi)
#define NN_GELU_C ((nn_real)0.044715)

// tanh(u) = 1 - 2 / (1 + e^{2u}): one nn_exp (vectorised, nn_real.h) instead of libm's
// tanhf. Right at both tails (e^{2u} clamps huge -> 1, tiny -> -1); near u = 0 the absolute
// error is ~1 ulp of 1, harmless inside gelu = x/2 (1 + tanh).
static inline nn_real NN(nn_gelu_tanh)(nn_real u) { return 1 - 2 / (1 + nn_exp(2 * u)); }
// One element, inline so callers can fuse it into their own vector loops.
static inline nn_real NN(nn_gelu)(nn_real x) {
    return (nn_real)0.5 * x * (1 + NN(nn_gelu_tanh)(NN_GELU_K * (x + NN_GELU_C * x * x * x)));
}

// out (N) = gelu(inp (N)),  gelu(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
void NN(nn_gelu_forward)(nn_real *out, const nn_real *inp, int N);
// dinp (N) += gelu'(inp) * dout.
void NN(nn_gelu_backward)(nn_real *dinp, const nn_real *inp, const nn_real *dout, int N);

// inp (N,C); w1 (FH,C), b1 (FH); w2 (C,FH), b2 (C); out (N,C).
// Saves fch (N,FH) = fc1 output and fch_gelu (N,FH) = its GELU for backward.
void NN(nn_ffn_forward)(nn_real *out, nn_real *fch, nn_real *fch_gelu, const nn_real *inp,
                        const nn_real *w1, const nn_real *b1, const nn_real *w2, const nn_real *b2,
                        int N, int C, int FH);

// dinp (N,C) +=, dw1, db1, dw2, db2 += from dout (N,C). scratch holds 2*N*FH reals.
void NN(nn_ffn_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                         const nn_real *dout, const nn_real *inp, const nn_real *fch,
                         const nn_real *fch_gelu, const nn_real *w1, const nn_real *w2,
                         nn_real *scratch, int N, int C, int FH);

#endif
