// Fully connected layer (see nn_linear.h). Compiled as float here and as double in nn_f64.c.
#include "workers/nn/nn_linear.h"

#include <cblas.h>
#include <string.h>

void NN(nn_linear_forward)(nn_real *out, const nn_real *inp, const nn_real *weight,
                           const nn_real *bias, int N, int C, int OC) {
    // The bias goes in first and the GEMM adds to it (beta = 1): one pass over out instead
    // of OpenBLAS zeroing it for beta = 0 and a second pass adding the bias.
    if (bias)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, sizeof(nn_real) * OC);
    nn_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1, inp, C, weight, C, bias ? 1 : 0, out, OC);
}

void NN(nn_linear_backward)(nn_real *dinp, nn_real *dweight, nn_real *dbias, const nn_real *dout,
                            const nn_real *inp, const nn_real *weight, int N, int C, int OC) {
    if (dinp)
        nn_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1, dout, OC, weight, C, 1, dinp, C);
    nn_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1, dout, OC, inp, C, 1, dweight, C);
    if (!dbias) return;
    for (int n = 0; n < N; n++) {
        const nn_real *row = dout + (size_t)n * OC;
        for (int o = 0; o < OC; o++) dbias[o] += row[o];
    }
}
