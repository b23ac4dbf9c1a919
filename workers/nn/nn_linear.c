// Fully connected layer (see nn_linear.h). Compiled as float here and as double in nn_f64.c.
#include "workers/nn/nn_linear.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#ifndef NN_F64
#include "workers/nn/nn_small_gemm.h"
#include "workers/util/alloc.h"
#endif

void NN(nn_linear_forward)(nn_real *out, const nn_real *inp, const nn_real *weight,
                           const nn_real *bias, int N, int C, int OC) {
#ifndef NN_F64
    // The model's shapes (C, OC = 16..288, N = batch x stabilizers): the register-blocked
    // kernel against weight^T (C,OC), transposed here as weights change between steps.
    if (nn_small_gemm_fits(OC)) {
        float *wt = qp_malloc(sizeof(float) * (size_t)C * OC);
        for (int o = 0; o < OC; o++)
            for (int c = 0; c < C; c++) wt[(size_t)c * OC + o] = weight[(size_t)o * C + c];
        nn_small_gemm(out, OC, inp, C, wt, OC, bias, 0, N, C, OC);
        free(wt);
        return;
    }
#endif
    // The bias goes in first and the GEMM adds to it (beta = 1): one pass over out instead
    // of OpenBLAS zeroing it for beta = 0 and a second pass adding the bias.
    if (bias)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] = bias[o];
    nn_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1, inp, C, weight, C, bias ? 1 : 0, out, OC);
}

void NN(nn_linear_backward)(nn_real *dinp, nn_real *dweight, nn_real *dbias, const nn_real *dout,
                            const nn_real *inp, const nn_real *weight, int N, int C, int OC) {
    if (dinp) {
#ifndef NN_F64
        if (nn_small_gemm_fits(C))  // dinp (N,C) += dout (N,OC) . weight (OC,C), as stored
            nn_small_gemm(dinp, C, dout, OC, weight, C, NULL, 1, N, OC, C);
        else
#endif
            nn_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1, dout, OC, weight, C, 1, dinp, C);
    }
    nn_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1, dout, OC, inp, C, 1, dweight, C);
    if (!dbias) return;
    for (int n = 0; n < N; n++) {
        const nn_real *row = dout + (size_t)n * OC;
        for (int o = 0; o < OC; o++) dbias[o] += row[o];
    }
}
