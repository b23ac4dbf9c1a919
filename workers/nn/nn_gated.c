// Gated dense block (see nn_gated.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_gated.h"

#include <string.h>

#include "workers/nn/nn_ffn.h"
#include "workers/nn/nn_linear.h"

void NN(nn_gated_forward)(nn_real *out, nn_real *fch, nn_real *hg, const nn_real *inp, const nn_real *w1,
                          const nn_real *b1, const nn_real *w2, const nn_real *b2, int N, int C, int FH) {
    NN(nn_linear_forward)(fch, inp, w1, b1, N, C, 2 * FH);
    for (int n = 0; n < N; n++) {  // one fused loop per row (FH is only 32..128)
        const nn_real *a = fch + (size_t)n * 2 * FH, *g = a + FH;
        nn_real *h = hg + (size_t)n * FH;
#pragma omp simd
        for (int i = 0; i < FH; i++) h[i] = NN(nn_gelu)(a[i]) * g[i];
    }
    NN(nn_linear_forward)(out, hg, w2, b2, N, FH, C);
}

void NN(nn_gated_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                           const nn_real *dout, const nn_real *inp, const nn_real *fch, const nn_real *hg,
                           const nn_real *w1, const nn_real *w2, nn_real *scratch, int N, int C, int FH) {
    nn_real *dhg = scratch, *dfch = scratch + (size_t)N * FH;  // (N,FH), (N,2FH)
    memset(scratch, 0, sizeof(nn_real) * 3 * (size_t)N * FH);
    NN(nn_linear_backward)(dhg, dw2, db2, dout, hg, w2, N, FH, C);
    for (int n = 0; n < N; n++) {
        const nn_real *a = fch + (size_t)n * 2 * FH, *g = a + FH;
        nn_real *dh = dhg + (size_t)n * FH, *da = dfch + (size_t)n * 2 * FH, *dg = da + FH;
        NN(nn_gelu_forward)(dg, a, FH);  // dg = gelu(a) * dhg
        for (int i = 0; i < FH; i++) {
            dg[i] *= dh[i];
            dh[i] *= g[i];  // d gelu(a)
        }
        NN(nn_gelu_backward)(da, a, dh, FH);
    }
    NN(nn_linear_backward)(dinp, dw1, db1, dfch, inp, w1, N, C, 2 * FH);
}
