// Layer normalisation (see nn_layernorm.h). Float here, double in nn_f64.c.
// The row loops carry `omp simd` reductions (compiled with -fopenmp-simd: no OpenMP runtime)
// so the sums vectorise without -ffast-math.
#include "workers/nn/nn_layernorm.h"

#include <string.h>
#include <tgmath.h>

// The rows of one call; C is a literal in the common instantiations below, so the row loops
// unroll into whole vectors (with a run-time C, loop set-up and remainders cost more than
// the arithmetic of a 16-wide row).
static inline __attribute__((always_inline)) void NN(nn_layernorm_rows)(
    nn_real *out, nn_real *mean, nn_real *rstd, const nn_real *inp, const nn_real *weight, const nn_real *bias,
    int N, const int C) {
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

#if !defined(NN_F64) && defined(__AVX512F__)
// Float rows of 16 floats (H = 16, 32, ...: C/16 vectors) with AVX-512: a block of 16 rows
// reduces each row by a shuffle tree (log2 16 steps, not 15 dependent scalar adds), then
// takes the 16 rows' square roots and reciprocals in one vector instruction each.
typedef float nn_ln_vec __attribute__((vector_size(64)));
typedef int nn_ln_ivec __attribute__((vector_size(64)));

static inline float nn_ln_sum(nn_ln_vec v) {
    v += __builtin_shuffle(v, (nn_ln_ivec){8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
    v += __builtin_shuffle(v, (nn_ln_ivec){4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11});
    v += __builtin_shuffle(v, (nn_ln_ivec){2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
    v += __builtin_shuffle(v, (nn_ln_ivec){1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14});
    return v[0];
}

static inline nn_ln_vec nn_ln_load(const float *p) {
    nn_ln_vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

// Rows [0, 16) of a call with C = 16 * NV.
static inline __attribute__((always_inline)) void nn_layernorm_block16(float *out, float *mean, float *rstd,
                                                                        const float *inp, const float *weight,
                                                                        const float *bias, const int NV) {
    const int C = 16 * NV;
    nn_ln_vec mv, vv;
    for (int r = 0; r < 16; r++) {
        nn_ln_vec acc = nn_ln_load(inp + r * C);
        for (int v = 1; v < NV; v++) acc += nn_ln_load(inp + r * C + 16 * v);
        mv[r] = nn_ln_sum(acc);
    }
    mv /= (float)C;
    for (int r = 0; r < 16; r++) {
        nn_ln_vec acc = {0};
        for (int v = 0; v < NV; v++) {
            nn_ln_vec d = nn_ln_load(inp + r * C + 16 * v) - mv[r];
            acc += d * d;
        }
        vv[r] = nn_ln_sum(acc);
    }
    vv = vv / (float)C + 1e-5f;
    nn_ln_vec sv;
    for (int r = 0; r < 16; r++) sv[r] = __builtin_sqrtf(vv[r]);  // vsqrtps
    sv = 1.0f / sv;
    for (int r = 0; r < 16; r++)
        for (int v = 0; v < NV; v++) {
            nn_ln_vec o = (nn_ln_load(inp + r * C + 16 * v) - mv[r]) * sv[r] * nn_ln_load(weight + 16 * v) +
                          nn_ln_load(bias + 16 * v);
            memcpy(out + r * C + 16 * v, &o, sizeof o);
        }
    memcpy(mean, &mv, sizeof mv);
    memcpy(rstd, &sv, sizeof sv);
}
#endif

#if !defined(NN_F64) && !defined(__AVX512F__)
// Float rows of 8*NV floats (H = 16, 32) in blocks of 8 rows, for 8-float vectors (AVX2; two
// SSE registers each without AVX): the 8 rows' partial-sum vectors reduce together in a tree
// of three shuffle-and-add levels (7 adds for 8 rows, not 3 per row), so the 8 means,
// variances, square roots and reciprocals each come out as one vector.
typedef float nn_ln8_vec __attribute__((vector_size(32)));
typedef int nn_ln8_ivec __attribute__((vector_size(32)));

static inline nn_ln8_vec nn_ln8_load(const float *p) {
    nn_ln8_vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

// Lane r of the result = the sum of the lanes of v[r].
static inline nn_ln8_vec nn_ln8_sums(const nn_ln8_vec v[8]) {
#define NN_LN8_PAIR(A, B, LO, HI) (__builtin_shuffle(A, B, (nn_ln8_ivec){LO}) + __builtin_shuffle(A, B, (nn_ln8_ivec){HI}))
#define LIST(...) __VA_ARGS__
    nn_ln8_vec x[4], y[2];
    for (int i = 0; i < 4; i++)  // lanes: row 2i, row 2i+1 alternating, pairs of columns summed
        x[i] = NN_LN8_PAIR(v[2 * i], v[2 * i + 1], LIST(0, 8, 2, 10, 4, 12, 6, 14), LIST(1, 9, 3, 11, 5, 13, 7, 15));
    for (int i = 0; i < 2; i++)  // lanes: rows 4i..4i+3 (column halves 0-3, 4-7)
        y[i] = NN_LN8_PAIR(x[2 * i], x[2 * i + 1], LIST(0, 1, 8, 9, 4, 5, 12, 13), LIST(2, 3, 10, 11, 6, 7, 14, 15));
    return NN_LN8_PAIR(y[0], y[1], LIST(0, 1, 2, 3, 8, 9, 10, 11), LIST(4, 5, 6, 7, 12, 13, 14, 15));
#undef LIST
#undef NN_LN8_PAIR
}

// Rows [0, 8) of a call with C = 8 * NV.
static inline __attribute__((always_inline)) void nn_layernorm_block8(float *out, float *mean, float *rstd,
                                                                       const float *inp, const float *weight,
                                                                       const float *bias, const int NV) {
    const int C = 8 * NV;
    nn_ln8_vec acc[8];
    for (int r = 0; r < 8; r++) {
        acc[r] = nn_ln8_load(inp + r * C);
        for (int v = 1; v < NV; v++) acc[r] += nn_ln8_load(inp + r * C + 8 * v);
    }
    nn_ln8_vec mv = nn_ln8_sums(acc) / (float)C;
    for (int r = 0; r < 8; r++) {
        acc[r] = (nn_ln8_vec){0};
        for (int v = 0; v < NV; v++) {
            nn_ln8_vec d = nn_ln8_load(inp + r * C + 8 * v) - mv[r];
            acc[r] += d * d;
        }
    }
    nn_ln8_vec vv = nn_ln8_sums(acc) / (float)C + 1e-5f, sv;
    for (int r = 0; r < 8; r++) sv[r] = __builtin_sqrtf(vv[r]);  // vsqrtps
    sv = 1.0f / sv;
    for (int r = 0; r < 8; r++)
        for (int v = 0; v < NV; v++) {
            nn_ln8_vec o = (nn_ln8_load(inp + r * C + 8 * v) - mv[r]) * sv[r] * nn_ln8_load(weight + 8 * v) +
                           nn_ln8_load(bias + 8 * v);
            memcpy(out + r * C + 8 * v, &o, sizeof o);
        }
    memcpy(mean, &mv, sizeof mv);
    memcpy(rstd, &sv, sizeof sv);
}
#endif

void NN(nn_layernorm_forward)(nn_real *out, nn_real *mean, nn_real *rstd, const nn_real *inp,
                              const nn_real *weight, const nn_real *bias, int N, int C) {
#if !defined(NN_F64) && defined(__AVX512F__)
    if (C == 16 || C == 32) {
        int n = 0;
        for (; n + 16 <= N; n += 16) {
            size_t at = (size_t)n * C;
            if (C == 16) nn_layernorm_block16(out + at, mean + n, rstd + n, inp + at, weight, bias, 1);
            else nn_layernorm_block16(out + at, mean + n, rstd + n, inp + at, weight, bias, 2);
        }
        out += (size_t)n * C, inp += (size_t)n * C, mean += n, rstd += n, N -= n;  // the rest below
    }
#elif !defined(NN_F64)
    if (C == 16 || C == 32) {
        int n = 0;
        for (; n + 8 <= N; n += 8) {
            size_t at = (size_t)n * C;
            if (C == 16) nn_layernorm_block8(out + at, mean + n, rstd + n, inp + at, weight, bias, 2);
            else nn_layernorm_block8(out + at, mean + n, rstd + n, inp + at, weight, bias, 4);
        }
        out += (size_t)n * C, inp += (size_t)n * C, mean += n, rstd += n, N -= n;  // the rest below
    }
#endif
    switch (C) {  // the model widths H = 16, 32, 64
    case 16: NN(nn_layernorm_rows)(out, mean, rstd, inp, weight, bias, N, 16); break;
    case 32: NN(nn_layernorm_rows)(out, mean, rstd, inp, weight, bias, N, 32); break;
    case 64: NN(nn_layernorm_rows)(out, mean, rstd, inp, weight, bias, N, 64); break;
    default: NN(nn_layernorm_rows)(out, mean, rstd, inp, weight, bias, N, C);
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
