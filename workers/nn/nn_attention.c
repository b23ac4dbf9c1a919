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
// The tile is one machine vector of floats where that holds 16 (AVX-512), else 8: with AVX2,
// 16-float tiles are register pairs, so query 8's q and output (8 + 8 tile vectors) took 32 of
// the 16 ymm registers and spilled. The double build (tests only) keeps 16.
#if defined(NN_F64) || defined(__AVX512F__)
#define NN_ATT_TILE 16
#else
#define NN_ATT_TILE 8
#endif

typedef nn_real NN(nn_att_vec) __attribute__((vector_size(NN_ATT_TILE * sizeof(nn_real))));

static inline NN(nn_att_vec) NN(nn_att_load)(const nn_real *p) {
    NN(nn_att_vec) v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void NN(nn_att_store)(nn_real *p, NN(nn_att_vec) v) { memcpy(p, &v, sizeof v); }

#ifdef NN_F64
typedef int64_t NN(nn_att_ivec) __attribute__((vector_size(NN_ATT_TILE * sizeof(nn_real))));
#else
typedef int32_t NN(nn_att_ivec) __attribute__((vector_size(NN_ATT_TILE * sizeof(nn_real))));
#endif

// v[r][c] <- v[c][r] for a TxT block in T vectors: log2 T stages, each swapping one bit of
// the row index with the same bit of the column index (two-source shuffles: vpermt2ps with
// AVX-512; unpack/shuffle/vperm2f128 with AVX2).
#define NN_ATT_STAGE(D, LO, HI)                                                      \
    for (int i = 0; i < NN_ATT_TILE; i++)                                            \
        if (!(i & (D))) {                                                            \
            NN(nn_att_vec) a_ = v[i], b_ = v[i | (D)];                               \
            v[i] = __builtin_shuffle(a_, b_, (NN(nn_att_ivec)){LO});                 \
            v[i | (D)] = __builtin_shuffle(a_, b_, (NN(nn_att_ivec)){HI});           \
        }
static inline void NN(nn_att_transpose)(NN(nn_att_vec) v[NN_ATT_TILE]) {
#define LIST(...) __VA_ARGS__
#if NN_ATT_TILE == 16
    NN_ATT_STAGE(8, LIST(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
                 LIST(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
    NN_ATT_STAGE(4, LIST(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
                 LIST(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31));
    NN_ATT_STAGE(2, LIST(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
                 LIST(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31));
    NN_ATT_STAGE(1, LIST(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
                 LIST(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31));
#else
    NN_ATT_STAGE(4, LIST(0, 1, 2, 3, 8, 9, 10, 11), LIST(4, 5, 6, 7, 12, 13, 14, 15));
    NN_ATT_STAGE(2, LIST(0, 1, 8, 9, 4, 5, 12, 13), LIST(2, 3, 10, 11, 6, 7, 14, 15));
    NN_ATT_STAGE(1, LIST(0, 8, 2, 10, 4, 12, 6, 14), LIST(1, 9, 3, 11, 5, 13, 7, 15));
#endif
#undef LIST
}
#undef NN_ATT_STAGE

// The np parts (q, k, v: np = 3; an output gradient: np = 1) of every head for shots
// b0..b0+nb-1 from rows of np*H columns, each part as (NH,S,hs,T): head h of part w at
// part[w] + h*S*hs*T; zero past nb. A full tile with np*H a multiple of T moves TxT blocks
// through nn_att_transpose instead of one element at a time.
static void NN(nn_attention_gather)(nn_real *const *part, int np, const nn_real *x, int b0, int nb, int S, int H,
                                    int hs) {
    enum { T = NN_ATT_TILE };
    int width = np * H;
    if (nb == T && width % T == 0) {
        for (int c0 = 0; c0 < width; c0 += T) {
            nn_real *dst[T];  // where column c0+e of stabilizer 0 goes (the divisions out of the s loop)
            for (int e = 0; e < T; e++) {
                int col = c0 + e, w = col / H, h = col % H / hs, d = col % hs;
                dst[e] = part[w] + ((size_t)h * S * hs + d) * T;
            }
            for (int s = 0; s < S; s++) {
                NN(nn_att_vec) v[T];
                for (int t = 0; t < T; t++) v[t] = NN(nn_att_load)(x + ((size_t)(b0 + t) * S + s) * width + c0);
                NN(nn_att_transpose)(v);
                for (int e = 0; e < T; e++) NN(nn_att_store)(dst[e] + (size_t)s * hs * T, v[e]);
            }
        }
        return;
    }
    if (nb < T)
        for (int w = 0; w < np; w++) memset(part[w], 0, (size_t)S * H * T * sizeof(nn_real));
    for (int t = 0; t < nb; t++)
        for (int s = 0; s < S; s++) {
            const nn_real *row = x + ((size_t)(b0 + t) * S + s) * width;
            for (int w = 0; w < np; w++)
                for (int col = 0; col < H; col++)
                    part[w][(((size_t)(col / hs) * S + s) * hs + col % hs) * T + t] = row[w * H + col];
        }
}

// The inverse, adding: rows of x (np*H columns) += the parts, for shots b0..b0+nb-1.
static void NN(nn_attention_scatter_add)(nn_real *x, nn_real *const *part, int np, int b0, int nb, int S, int H,
                                         int hs) {
    enum { T = NN_ATT_TILE };
    int width = np * H;
    if (nb == T && width % T == 0) {
        for (int c0 = 0; c0 < width; c0 += T) {
            const nn_real *src[T];  // as in gather
            for (int e = 0; e < T; e++) {
                int col = c0 + e, w = col / H, h = col % H / hs, d = col % hs;
                src[e] = part[w] + ((size_t)h * S * hs + d) * T;
            }
            for (int s = 0; s < S; s++) {
                NN(nn_att_vec) v[T];
                for (int e = 0; e < T; e++) v[e] = NN(nn_att_load)(src[e] + (size_t)s * hs * T);
                NN(nn_att_transpose)(v);
                for (int t = 0; t < T; t++) {
                    nn_real *row = x + ((size_t)(b0 + t) * S + s) * width + c0;
                    NN(nn_att_store)(row, NN(nn_att_load)(row) + v[t]);
                }
            }
        }
        return;
    }
    for (int t = 0; t < nb; t++)
        for (int s = 0; s < S; s++) {
            nn_real *row = x + ((size_t)(b0 + t) * S + s) * width;
            for (int w = 0; w < np; w++)
                for (int col = 0; col < H; col++)
                    row[w * H + col] += part[w][(((size_t)(col / hs) * S + s) * hs + col % hs) * T + t];
        }
}

// Rows i of out (B,S,H) for shots b0..b0+nb-1 from ob (H,T), the output of query i (all heads).
static void NN(nn_attention_scatter)(nn_real *out, const nn_real *ob, int b0, int nb, int S, int H, int i) {
    enum { T = NN_ATT_TILE };
    if (nb == T && H % T == 0) {
        for (int c0 = 0; c0 < H; c0 += T) {
            NN(nn_att_vec) v[T];
            for (int e = 0; e < T; e++) v[e] = NN(nn_att_load)(ob + (size_t)(c0 + e) * T);
            NN(nn_att_transpose)(v);
            for (int t = 0; t < T; t++) NN(nn_att_store)(out + ((size_t)(b0 + t) * S + i) * H + c0, v[t]);
        }
        return;
    }
    for (int t = 0; t < nb; t++) {
        nn_real *o = out + ((size_t)(b0 + t) * S + i) * H;
        for (int c = 0; c < H; c++) o[c] = ob[(size_t)c * T + t];
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
    size_t tile = (size_t)S * H * T;
    nn_real *qt = qp_malloc(sizeof(nn_real) * (4 * tile + (size_t)S * T));
    nn_real *kt = qt + tile, *vt = kt + tile;  // (NH,S,hs,T) each
    nn_real *sc = vt + tile;                   // (S,T) scores, then probabilities, of query i
    nn_real *ob = sc + (size_t)S * T;          // (S,H,T) output, all heads
    size_t head = (size_t)S * hs * T;
    for (int b0 = 0; b0 < B; b0 += T) {
        int nb = B - b0 < T ? B - b0 : T;
        nn_real *const qkv_t[3] = {qt, kt, vt};
        NN(nn_attention_gather)(qkv_t, 3, qkv, b0, nb, S, H, hs);
        for (int h = 0; h < NH; h++)  // head by head: its k and v (S*hs*T each) stay in L1
            for (int i = 0; i < S; i++) {
                const nn_real *bi = bias + ((size_t)h * S + i) * S;
                const nn_real *q = qt + h * head, *k = kt + h * head, *v = vt + h * head;
                nn_real *ot = ob + ((size_t)i * H + h * hs) * T;
                if (hs == 4) NN(nn_attention_query4)(ot, sc, q, k, v, bi, scale, S, i, hs);
                else if (hs == 8) NN(nn_attention_query8)(ot, sc, q, k, v, bi, scale, S, i, hs);
                else if (hs == 16) NN(nn_attention_query16)(ot, sc, q, k, v, bi, scale, S, i, hs);
                else if (hs == 32) NN(nn_attention_query32)(ot, sc, q, k, v, bi, scale, S, i, hs);
                else NN(nn_attention_query_any)(ot, sc, q, k, v, bi, scale, S, i, hs);
                if (att)
                    for (int t = 0; t < nb; t++) {
                        nn_real *a = att + (((size_t)(b0 + t) * NH + h) * S + i) * S;
                        for (int j = 0; j < S; j++) a[j] = sc[j * T + t];
                    }
            }
        for (int i = 0; i < S; i++) NN(nn_attention_scatter)(out, ob + (size_t)i * H * T, b0, nb, S, H, i);
    }
    free(qt);
}

// Backward of query i of one tile and head. With a = its probabilities ap (S,T) and
// g = dout_i (hs,T):  datt_j = g . v_j;  dscore_j = a_j (datt_j - sum_j a_j datt_j);
// dbias_ij += dscore_j (lanes summed by the caller);  dq_i += scale sum_j dscore_j k_j;
// dk_j += scale dscore_j q_i;  dv_j += a_j g. Padding lanes have g = 0 and a = 0, so
// they add nothing. HS literal as in NN_ATT_QUERY.
#define NN_ATT_QUERY_BACK(NAME, HS)                                                                             \
    static void NN(NAME)(nn_real *dqt, nn_real *dkt, nn_real *dvt, nn_real *dbt, nn_real *datt,                \
                         const nn_real *ap, const nn_real *gt, const nn_real *qt, const nn_real *kt,           \
                         const nn_real *vt, nn_real scale, int S, int i, int hs) {                            \
        enum { T = NN_ATT_TILE };                                                                               \
        typedef NN(nn_att_vec) vec;                                                                             \
        vec g[HS], q[HS], dq[HS], ad = {0};                                                                     \
        for (int d = 0; d < hs; d++) {                                                                          \
            g[d] = NN(nn_att_load)(gt + ((size_t)i * hs + d) * T);                                              \
            q[d] = NN(nn_att_load)(qt + ((size_t)i * hs + d) * T);                                              \
            dq[d] = (vec){0};                                                                                   \
        }                                                                                                       \
        for (int j = 0; j < S; j++) {                                                                           \
            const nn_real *v = vt + (size_t)j * hs * T;                                                         \
            vec acc = {0};                                                                                      \
            for (int d = 0; d < hs; d++) acc += g[d] * NN(nn_att_load)(v + (size_t)d * T);                      \
            NN(nn_att_store)(datt + (size_t)j * T, acc);                                                        \
            ad += NN(nn_att_load)(ap + (size_t)j * T) * acc;                                                    \
        }                                                                                                       \
        for (int j = 0; j < S; j++) {                                                                           \
            vec a = NN(nn_att_load)(ap + (size_t)j * T);                                                        \
            vec ds = a * (NN(nn_att_load)(datt + (size_t)j * T) - ad);                                          \
            NN(nn_att_store)(dbt + (size_t)j * T, NN(nn_att_load)(dbt + (size_t)j * T) + ds);                   \
            ds *= scale;                                                                                        \
            const nn_real *k = kt + (size_t)j * hs * T;                                                         \
            nn_real *dk = dkt + (size_t)j * hs * T, *dv = dvt + (size_t)j * hs * T;                             \
            for (int d = 0; d < hs; d++) {                                                                      \
                dq[d] += ds * NN(nn_att_load)(k + (size_t)d * T);                                               \
                NN(nn_att_store)(dk + (size_t)d * T, NN(nn_att_load)(dk + (size_t)d * T) + ds * q[d]);          \
                NN(nn_att_store)(dv + (size_t)d * T, NN(nn_att_load)(dv + (size_t)d * T) + a * g[d]);           \
            }                                                                                                   \
        }                                                                                                       \
        for (int d = 0; d < hs; d++) {                                                                          \
            nn_real *p = dqt + ((size_t)i * hs + d) * T;                                                        \
            NN(nn_att_store)(p, NN(nn_att_load)(p) + dq[d]);                                                    \
        }                                                                                                       \
    }
NN_ATT_QUERY_BACK(nn_attention_back4, 4)
NN_ATT_QUERY_BACK(nn_attention_back8, 8)
NN_ATT_QUERY_BACK(nn_attention_back16, 16)
NN_ATT_QUERY_BACK(nn_attention_back32, 32)
NN_ATT_QUERY_BACK(nn_attention_back64, 64)

// Backward runs over the same shot tiles as forward (see there); widths above 64 per head
// take the per-shot loops below.
static void NN(nn_attention_backward_tiles)(nn_real *dqkv, nn_real *dbias, const nn_real *dout, const nn_real *qkv,
                                            const nn_real *att, int B, int S, int H, int NH) {
    enum { T = NN_ATT_TILE };
    int hs = H / NH;
    nn_real scale = 1 / sqrt((nn_real)hs);
    size_t tile = (size_t)S * H * T, head = (size_t)S * hs * T;
    // q, k, v, dout, dq, dk, dv (NH,S,hs,T); probabilities, datt (S,T); dbias lanes (NH,S,S,T).
    nn_real *buf = qp_malloc(sizeof(nn_real) * (7 * tile + 2 * (size_t)S * T + (size_t)NH * S * S * T));
    nn_real *qt = buf, *kt = qt + tile, *vt = kt + tile, *gt = vt + tile;
    nn_real *dqt = gt + tile, *dkt = dqt + tile, *dvt = dkt + tile;
    nn_real *ap = dvt + tile, *datt = ap + (size_t)S * T, *dbt = datt + (size_t)S * T;
    memset(dbt, 0, sizeof(nn_real) * (size_t)NH * S * S * T);
    for (int b0 = 0; b0 < B; b0 += T) {
        int nb = B - b0 < T ? B - b0 : T;
        nn_real *const qkv_t[3] = {qt, kt, vt}, *const g_t[1] = {gt}, *const d_t[3] = {dqt, dkt, dvt};
        NN(nn_attention_gather)(qkv_t, 3, qkv, b0, nb, S, H, hs);
        NN(nn_attention_gather)(g_t, 1, dout, b0, nb, S, H, hs);
        memset(dqt, 0, sizeof(nn_real) * 3 * tile);
        if (nb < T) memset(ap, 0, sizeof(nn_real) * (size_t)S * T);
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < S; i++) {
                for (int t = 0; t < nb; t++) {
                    const nn_real *a = att + (((size_t)(b0 + t) * NH + h) * S + i) * S;
                    for (int j = 0; j < S; j++) ap[j * T + t] = a[j];
                }
                size_t o = h * head;
                nn_real *db = dbt + ((size_t)h * S + i) * S * T;
#define NN_ATT_BACK_ARGS dqt + o, dkt + o, dvt + o, db, datt, ap, gt + o, qt + o, kt + o, vt + o, scale, S, i, hs
                if (hs <= 4) NN(nn_attention_back4)(NN_ATT_BACK_ARGS);
                else if (hs <= 8) NN(nn_attention_back8)(NN_ATT_BACK_ARGS);
                else if (hs <= 16) NN(nn_attention_back16)(NN_ATT_BACK_ARGS);
                else if (hs <= 32) NN(nn_attention_back32)(NN_ATT_BACK_ARGS);
                else NN(nn_attention_back64)(NN_ATT_BACK_ARGS);
#undef NN_ATT_BACK_ARGS
            }
        NN(nn_attention_scatter_add)(dqkv, d_t, 3, b0, nb, S, H, hs);
    }
    for (size_t e = 0; e < (size_t)NH * S * S; e++) {
        nn_real sum = 0;
        for (int t = 0; t < T; t++) sum += dbt[e * T + t];
        dbias[e] += sum;
    }
    free(buf);
}

void NN(nn_attention_backward)(nn_real *dqkv, nn_real *dbias, const nn_real *dout, const nn_real *qkv,
                               const nn_real *att, int B, int S, int H, int NH) {
    if (H / NH <= 64) {
        NN(nn_attention_backward_tiles)(dqkv, dbias, dout, qkv, att, B, S, H, NH);
        return;
    }
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
