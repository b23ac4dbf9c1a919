// Layer normalisation (see nn_layernorm.h). Float here, double in nn_f64.c.
// The row loops carry `omp simd` reductions (compiled with -fopenmp-simd: no OpenMP runtime)
// so the sums vectorise without -ffast-math.
#include "workers/nn/nn_layernorm.h"

#include <tgmath.h>

void NN(nn_layernorm_forward)(nn_real *out, nn_real *mean, nn_real *rstd, const nn_real *inp,
                              const nn_real *weight, const nn_real *bias, int N, int C) {
    const nn_real eps = (nn_real)1e-5;
    for (int n = 0; n < N; n++) {
        const nn_real *x = inp + (size_t)n * C;
        nn_real m = 0;
#pragma omp simd reduction(+ : m)
        for (int c = 0; c < C; c++) m += x[c];
        m /= C;
        nn_real var = 0;
#pragma omp simd reduction(+ : var)
        for (int c = 0; c < C; c++) var += (x[c] - m) * (x[c] - m);
        var /= C;
        nn_real s = 1 / sqrt(var + eps);
        nn_real *o = out + (size_t)n * C;
#pragma omp simd
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

void NN(nn_layernorm_backward)(nn_real *dinp, nn_real *dweight, nn_real *dbias, const nn_real *dout,
                               const nn_real *inp, const nn_real *weight, const nn_real *mean,
                               const nn_real *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const nn_real *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
        nn_real m = mean[n], s = rstd[n];
        // dnorm = dout * weight; dinp = s * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)).
        nn_real dnorm_mean = 0, dnorm_norm_mean = 0;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
        for (int c = 0; c < C; c++) {
            nn_real norm = (x[c] - m) * s, dnorm = d[c] * weight[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        nn_real *di = dinp + (size_t)n * C;
#pragma omp simd
        for (int c = 0; c < C; c++) {
            nn_real norm = (x[c] - m) * s, dnorm = d[c] * weight[c];
            dbias[c] += d[c];
            dweight[c] += norm * d[c];
            di[c] += s * (dnorm - dnorm_mean - norm * dnorm_norm_mean);
        }
    }
}
