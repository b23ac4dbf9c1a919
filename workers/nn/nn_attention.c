// Multi-head self-attention with a learned pair bias (see nn_attention.h).
// Float here, double in nn_f64.c.
//
// S is small (8 at d=3, 24 at d=5) and so is the head size, so per-head BLAS calls would
// be all overhead; the loops are written to vectorise instead (`omp simd`, -fopenmp-simd).
// Backward (training only) works per shot and head, with the values copied transposed into
// a (hs,S) scratch so its inner loops run over a contiguous axis.
#include "workers/nn/nn_attention.h"

#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "workers/util/alloc.h"

// dst (hs,S) = column block [off, off+hs) of the rows of x (S, 3H), transposed.
static void NN(nn_attention_transpose)(nn_real *dst, const nn_real *x, int S, int H, int off, int hs) {
    for (int j = 0; j < S; j++)
        for (int d = 0; d < hs; d++) dst[(size_t)d * S + j] = x[(size_t)j * 3 * H + off + d];
}

// Forward runs over tiles of NN_ATT_TILE shots with the shot index innermost: q, k, v of
// one head are gathered as (S,hs,TILE), so every inner loop is a fixed-length, fully
// vectorised loop over the tile's shots, whatever S and hs are (per-shot loops over j or d
// are only 8-24 long and were dominated by loop overhead). Shots past B are zero padding.
// The dot products use one vector per (stabilizer, d) (GCC vector extensions, float or
// double); for the usual head widths (4, 8, 16, 32) hs is a literal, so query i's hs vectors
// and the output's hs accumulators stay in registers across the j loop.
#define NN_ATT_TILE 16

typedef nn_real NN(nn_att_vec) __attribute__((vector_size(NN_ATT_TILE * sizeof(nn_real))));

static inline NN(nn_att_vec) NN(nn_att_load)(const nn_real *p) {
    NN(nn_att_vec) v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void NN(nn_att_store)(nn_real *p, NN(nn_att_vec) v) { memcpy(p, &v, sizeof v); }

// q, k, v of head h for shots b0..b0+nb-1 as (S,hs,T); zero past nb.
static void NN(nn_attention_gather)(nn_real *qt, nn_real *kt, nn_real *vt, const nn_real *qkv, int b0, int nb,
                                    int S, int H, int h, int hs) {
    enum { T = NN_ATT_TILE };
    if (nb < T) {
        size_t n = (size_t)S * hs * T;
        memset(qt, 0, n * sizeof(nn_real)), memset(kt, 0, n * sizeof(nn_real)), memset(vt, 0, n * sizeof(nn_real));
    }
    for (int t = 0; t < nb; t++)
        for (int s = 0; s < S; s++) {
            const nn_real *x = qkv + ((size_t)(b0 + t) * S + s) * 3 * H + h * hs;
            size_t at = (size_t)s * hs * T + t;
            for (int d = 0; d < hs; d++) {
                qt[at + (size_t)d * T] = x[d];
                kt[at + (size_t)d * T] = x[H + d];
                vt[at + (size_t)d * T] = x[2 * H + d];
            }
        }
}

// Softmax over j of the scores sc (S,T) in place, per shot lane.
static inline void NN(nn_attention_softmax)(nn_real *sc, int S) {
    enum { T = NN_ATT_TILE };
    nn_real sum[T], mx[T];
    for (int t = 0; t < T; t++) sum[t] = 0, mx[t] = sc[t];
    for (int j = 1; j < S; j++)
#pragma omp simd
        for (int t = 0; t < T; t++) mx[t] = sc[j * T + t] > mx[t] ? sc[j * T + t] : mx[t];
    for (int j = 0; j < S; j++)
#pragma omp simd
        for (int t = 0; t < T; t++) {
            nn_real e = nn_exp(sc[j * T + t] - mx[t]);
            sc[j * T + t] = e;
            sum[t] += e;
        }
    for (int t = 0; t < T; t++) sum[t] = 1 / sum[t];
    for (int j = 0; j < S; j++)
#pragma omp simd
        for (int t = 0; t < T; t++) sc[j * T + t] *= sum[t];
}

// Query i of one tile and head: probabilities into sc (S,T), output into ot (hs,T).
// HS is a literal in the instantiations (register arrays), `hs` the same value at run time.
#define NN_ATT_QUERY(NAME, HS)                                                                                  \
    static void NN(NAME)(nn_real *ot, nn_real *sc, const nn_real *qt, const nn_real *kt, const nn_real *vt,   \
                         const nn_real *bi, nn_real scale, int S, int i, int hs) {                            \
        enum { T = NN_ATT_TILE };                                                                               \
        typedef NN(nn_att_vec) vec;                                                                             \
        vec q[HS], o[HS];                                                                                       \
        for (int d = 0; d < hs; d++) q[d] = NN(nn_att_load)(qt + ((size_t)i * hs + d) * T), o[d] = (vec){0};   \
        for (int j = 0; j < S; j++) {                                                                           \
            const nn_real *k = kt + (size_t)j * hs * T;                                                         \
            vec acc = {0};                                                                                      \
            for (int d = 0; d < hs; d++) acc += q[d] * NN(nn_att_load)(k + (size_t)d * T);                      \
            acc = acc * scale + bi[j];                                                                          \
            NN(nn_att_store)(sc + (size_t)j * T, acc);                                                          \
        }                                                                                                       \
        NN(nn_attention_softmax)(sc, S);                                                                        \
        for (int j = 0; j < S; j++) {                                                                           \
            vec pj = NN(nn_att_load)(sc + (size_t)j * T);                                                       \
            const nn_real *v = vt + (size_t)j * hs * T;                                                         \
            for (int d = 0; d < hs; d++) o[d] += pj * NN(nn_att_load)(v + (size_t)d * T);                       \
        }                                                                                                       \
        for (int d = 0; d < hs; d++) NN(nn_att_store)(ot + (size_t)d * T, o[d]);                               \
    }
NN_ATT_QUERY(nn_attention_query4, 4)
NN_ATT_QUERY(nn_attention_query8, 8)
NN_ATT_QUERY(nn_attention_query16, 16)
NN_ATT_QUERY(nn_attention_query32, 32)

// Any other head width: the same with q and the output read from and kept in memory.
static void NN(nn_attention_query_any)(nn_real *ot, nn_real *sc, const nn_real *qt, const nn_real *kt,
                                       const nn_real *vt, const nn_real *bi, nn_real scale, int S, int i, int hs) {
    enum { T = NN_ATT_TILE };
    typedef NN(nn_att_vec) vec;
    const nn_real *q = qt + (size_t)i * hs * T;
    for (int j = 0; j < S; j++) {
        const nn_real *k = kt + (size_t)j * hs * T;
        vec acc = {0};
        for (int d = 0; d < hs; d++) acc += NN(nn_att_load)(q + (size_t)d * T) * NN(nn_att_load)(k + (size_t)d * T);
        acc = acc * scale + bi[j];
        NN(nn_att_store)(sc + (size_t)j * T, acc);
    }
    NN(nn_attention_softmax)(sc, S);
    for (int d = 0; d < hs; d++) {
        vec o = {0};
        for (int j = 0; j < S; j++)
            o += NN(nn_att_load)(sc + (size_t)j * T) * NN(nn_att_load)(vt + ((size_t)j * hs + d) * T);
        NN(nn_att_store)(ot + (size_t)d * T, o);
    }
}

void NN(nn_attention_forward)(nn_real *out, nn_real *att, const nn_real *qkv, const nn_real *bias,
                              int B, int S, int H, int NH) {
    enum { T = NN_ATT_TILE };
    int hs = H / NH;
    nn_real scale = 1 / sqrt((nn_real)hs);
    size_t tile = (size_t)S * hs * T;
    nn_real *qt = qp_malloc(sizeof(nn_real) * (3 * tile + (size_t)S * T + (size_t)hs * T));
    nn_real *kt = qt + tile, *vt = kt + tile;  // (S,hs,T) each
    nn_real *sc = vt + tile;                   // (S,T) scores, then probabilities, of query i
    nn_real *ot = sc + (size_t)S * T;          // (hs,T) output of query i
    for (int b0 = 0; b0 < B; b0 += T) {
        int nb = B - b0 < T ? B - b0 : T;
        for (int h = 0; h < NH; h++) {
            NN(nn_attention_gather)(qt, kt, vt, qkv, b0, nb, S, H, h, hs);
            for (int i = 0; i < S; i++) {
                const nn_real *bi = bias + ((size_t)h * S + i) * S;
                if (hs == 4) NN(nn_attention_query4)(ot, sc, qt, kt, vt, bi, scale, S, i, hs);
                else if (hs == 8) NN(nn_attention_query8)(ot, sc, qt, kt, vt, bi, scale, S, i, hs);
                else if (hs == 16) NN(nn_attention_query16)(ot, sc, qt, kt, vt, bi, scale, S, i, hs);
                else if (hs == 32) NN(nn_attention_query32)(ot, sc, qt, kt, vt, bi, scale, S, i, hs);
                else NN(nn_attention_query_any)(ot, sc, qt, kt, vt, bi, scale, S, i, hs);
                for (int t = 0; t < nb; t++) {
                    if (att) {
                        nn_real *a = att + (((size_t)(b0 + t) * NH + h) * S + i) * S;
                        for (int j = 0; j < S; j++) a[j] = sc[j * T + t];
                    }
                    nn_real *o = out + ((size_t)(b0 + t) * S + i) * H + h * hs;
                    for (int d = 0; d < hs; d++) o[d] = ot[d * T + t];
                }
            }
        }
    }
    free(qt);
}

void NN(nn_attention_backward)(nn_real *dqkv, nn_real *dbias, const nn_real *dout, const nn_real *qkv,
                               const nn_real *att, int B, int S, int H, int NH) {
    int hs = H / NH;
    nn_real scale = 1 / sqrt((nn_real)hs);
    nn_real *vt = qp_malloc(sizeof(nn_real) * ((size_t)hs * S + 2 * (size_t)S));  // (hs,S) values
    nn_real *datt = vt + (size_t)hs * S, *dscore = datt + S;                      // (S) each
    for (int b = 0; b < B; b++) {
        const nn_real *x = qkv + (size_t)b * S * 3 * H;
        nn_real *dx = dqkv + (size_t)b * S * 3 * H;
        for (int h = 0; h < NH; h++) {
            NN(nn_attention_transpose)(vt, x, S, H, 2 * H + h * hs, hs);
            for (int i = 0; i < S; i++) {
                const nn_real *a = att + (((size_t)b * NH + h) * S + i) * S;
                const nn_real *dout_i = dout + ((size_t)b * S + i) * H + h * hs;
                // datt[j] = dout_i . v_j; softmax backward: dscore = a * (datt - sum_j a datt).
#pragma omp simd
                for (int j = 0; j < S; j++) datt[j] = 0;
                for (int d = 0; d < hs; d++) {
                    nn_real g = dout_i[d];
                    const nn_real *vd = vt + (size_t)d * S;
#pragma omp simd
                    for (int j = 0; j < S; j++) datt[j] += g * vd[j];
                }
                nn_real a_datt = 0;
#pragma omp simd reduction(+ : a_datt)
                for (int j = 0; j < S; j++) a_datt += a[j] * datt[j];
                nn_real *dbi = dbias + ((size_t)h * S + i) * S;
#pragma omp simd
                for (int j = 0; j < S; j++) {
                    dscore[j] = a[j] * (datt[j] - a_datt);
                    dbi[j] += dscore[j];
                }
                const nn_real *q = x + (size_t)i * 3 * H + h * hs;
                nn_real *dq = dx + (size_t)i * 3 * H + h * hs;
                for (int j = 0; j < S; j++) {
                    const nn_real *k = x + (size_t)j * 3 * H + H + h * hs;
                    nn_real *dk = dx + (size_t)j * 3 * H + H + h * hs;
                    nn_real *dv = dx + (size_t)j * 3 * H + 2 * H + h * hs;
                    nn_real ds = dscore[j] * scale, aj = a[j];
#pragma omp simd
                    for (int d = 0; d < hs; d++) {
                        dv[d] += aj * dout_i[d];
                        dq[d] += ds * k[d];
                        dk[d] += ds * q[d];
                    }
                }
            }
        }
    }
    free(vt);
}
