// Feed-forward block and GELU (see nn_ffn.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_ffn.h"

#include <string.h>
#include <tgmath.h>

#include "workers/nn/nn_linear.h"


void NN(nn_gelu_forward)(nn_real *out, const nn_real *inp, int N) {
#pragma omp simd
    for (int i = 0; i < N; i++) out[i] = NN(nn_gelu)(inp[i]);
}

void NN(nn_gelu_backward)(nn_real *dinp, const nn_real *inp, const nn_real *dout, int N) {
#pragma omp simd
    for (int i = 0; i < N; i++) {
        nn_real x = inp[i];
        nn_real t = NN(nn_gelu_tanh)(NN_GELU_K * (x + NN_GELU_C * x * x * x));
        nn_real dt = (1 - t * t) * NN_GELU_K * (1 + 3 * NN_GELU_C * x * x);
        dinp[i] += ((nn_real)0.5 * (1 + t) + (nn_real)0.5 * x * dt) * dout[i];
    }
}

void NN(nn_ffn_forward)(nn_real *out, nn_real *fch, nn_real *fch_gelu, const nn_real *inp,
                        const nn_real *w1, const nn_real *b1, const nn_real *w2, const nn_real *b2,
                        int N, int C, int FH) {
    NN(nn_linear_forward)(fch, inp, w1, b1, N, C, FH);
    NN(nn_gelu_forward)(fch_gelu, fch, N * FH);
    NN(nn_linear_forward)(out, fch_gelu, w2, b2, N, FH, C);
}

void NN(nn_ffn_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                         const nn_real *dout, const nn_real *inp, const nn_real *fch,
                         const nn_real *fch_gelu, const nn_real *w1, const nn_real *w2,
                         nn_real *scratch, int N, int C, int FH) {
    nn_real *dfch_gelu = scratch, *dfch = scratch + (size_t)N * FH;  // (N,FH) each
    memset(scratch, 0, sizeof(nn_real) * 2 * (size_t)N * FH);
    NN(nn_linear_backward)(dfch_gelu, dw2, db2, dout, fch_gelu, w2, N, FH, C);
    NN(nn_gelu_backward)(dfch, fch, dfch_gelu, N * FH);
    NN(nn_linear_backward)(dinp, dw1, db1, dfch, inp, w1, N, C, FH);
}
