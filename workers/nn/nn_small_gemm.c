// Register-blocked float GEMM for thin shapes (see nn_small_gemm.h).
// GCC vector extensions, so one source serves AVX-512 (16-float vectors), AVX (8) and
// SSE-only builds (4). Blocks of NR rows x NV vectors of columns keep NR*NV accumulators in
// registers; NR and NV are literals in every instantiation, so the block loops unroll and
// the accumulators never spill.
#include "workers/nn/nn_small_gemm.h"

#include <string.h>

typedef float nn_sg_vec __attribute__((vector_size(NN_SG_WIDTH * sizeof(float))));

// Unaligned loads and stores (memcpy compiles to one vmovups).
static inline nn_sg_vec nn_sg_load(const float *p) {
    nn_sg_vec v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void nn_sg_store(float *p, nn_sg_vec v) { memcpy(p, &v, sizeof v); }

// One block: rows [0, NR) of out/a, columns [0, NV*W) of out/b. A macro, not a function
// of NR and NV, so the accumulator array has constant bounds (a VLA would live on the stack).
#define NN_SG_BLOCK(NR, NV)                                                                               \
    static void nn_sg_block_##NR##_##NV(float *out, int ldo, const float *a, int lda, const int *seg,   \
                                        int nseg, int seg_len, const float *b, int ldb, const float *bias, \
                                        int accumulate) {                                               \
        enum { W = NN_SG_WIDTH };                                                                        \
        nn_sg_vec acc[NR][NV];                                                                           \
        if (accumulate)                                                                                  \
            for (int r = 0; r < NR; r++)                                                                 \
                for (int v = 0; v < NV; v++) acc[r][v] = nn_sg_load(out + (size_t)r * ldo + v * W);     \
        else                                                                                             \
            for (int v = 0; v < NV; v++) {                                                               \
                nn_sg_vec init = bias ? nn_sg_load(bias + v * W) : (nn_sg_vec){0};                       \
                for (int r = 0; r < NR; r++) acc[r][v] = init;                                           \
            }                                                                                            \
        for (int g = 0; g < nseg; g++) {                                                                 \
            const float *ag = a + seg[g], *bg = b + (size_t)g * seg_len * ldb;                           \
            for (int k = 0; k < seg_len; k++) {                                                          \
                nn_sg_vec bk[NV];                                                                        \
                for (int v = 0; v < NV; v++) bk[v] = nn_sg_load(bg + (size_t)k * ldb + v * W);           \
                for (int r = 0; r < NR; r++) {                                                           \
                    float ark = ag[(size_t)r * lda + k];                                                 \
                    for (int v = 0; v < NV; v++) acc[r][v] += ark * bk[v];                               \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
        for (int r = 0; r < NR; r++)                                                                     \
            for (int v = 0; v < NV; v++) nn_sg_store(out + (size_t)r * ldo + v * W, acc[r][v]);         \
    }

// All N rows for one panel of NV vectors of columns: blocks of NR rows (enough independent
// accumulators to cover the FMA latency), then single rows.
#define NN_SG_PANEL(NR, NV)                                                                               \
    NN_SG_BLOCK(NR, NV)                                                                                  \
    NN_SG_BLOCK(1, NV)                                                                                   \
    static void nn_sg_panel_##NV(float *out, int ldo, const float *a, int lda, const int *seg, int nseg, \
                                 int seg_len, const float *b, int ldb, const float *bias, int accumulate,  \
                                 int N) {                                                                \
        int n = 0;                                                                                       \
        for (; n + NR <= N; n += NR)                                                                     \
            nn_sg_block_##NR##_##NV(out + (size_t)n * ldo, ldo, a + (size_t)n * lda, lda, seg, nseg,     \
                                    seg_len, b, ldb, bias, accumulate);                                  \
        for (; n < N; n++)                                                                               \
            nn_sg_block_1_##NV(out + (size_t)n * ldo, ldo, a + (size_t)n * lda, lda, seg, nseg, seg_len, \
                               b, ldb, bias, accumulate);                                                \
    }

// The most common block (outputs 16 wide: projections, fc2, convolutions) written out with
// named accumulators: GCC keeps the array form's accumulators on the stack between the
// initialisation and the k loop (the array is scalarised only after the loops unroll).
static void nn_sg_block_8_1_named(float *out, int ldo, const float *a, int lda, const int *seg, int nseg, int seg_len,
                                  const float *b, int ldb, const float *bias, int accumulate) {
    nn_sg_vec c0, c1, c2, c3, c4, c5, c6, c7;
    if (accumulate) {
        c0 = nn_sg_load(out), c1 = nn_sg_load(out + ldo), c2 = nn_sg_load(out + 2 * (size_t)ldo);
        c3 = nn_sg_load(out + 3 * (size_t)ldo), c4 = nn_sg_load(out + 4 * (size_t)ldo);
        c5 = nn_sg_load(out + 5 * (size_t)ldo), c6 = nn_sg_load(out + 6 * (size_t)ldo);
        c7 = nn_sg_load(out + 7 * (size_t)ldo);
    } else {
        c0 = bias ? nn_sg_load(bias) : (nn_sg_vec){0};
        c1 = c2 = c3 = c4 = c5 = c6 = c7 = c0;
    }
    for (int g = 0; g < nseg; g++) {
        const float *ag = a + seg[g], *bg = b + (size_t)g * seg_len * ldb;
        for (int k = 0; k < seg_len; k++) {
            nn_sg_vec bk = nn_sg_load(bg + (size_t)k * ldb);
            const float *ak = ag + k;
            c0 += ak[0] * bk, c1 += ak[lda] * bk, c2 += ak[2 * (size_t)lda] * bk, c3 += ak[3 * (size_t)lda] * bk;
            c4 += ak[4 * (size_t)lda] * bk, c5 += ak[5 * (size_t)lda] * bk, c6 += ak[6 * (size_t)lda] * bk;
            c7 += ak[7 * (size_t)lda] * bk;
        }
    }
    nn_sg_store(out, c0), nn_sg_store(out + ldo, c1), nn_sg_store(out + 2 * (size_t)ldo, c2);
    nn_sg_store(out + 3 * (size_t)ldo, c3), nn_sg_store(out + 4 * (size_t)ldo, c4);
    nn_sg_store(out + 5 * (size_t)ldo, c5), nn_sg_store(out + 6 * (size_t)ldo, c6);
    nn_sg_store(out + 7 * (size_t)ldo, c7);
}
NN_SG_BLOCK(1, 1)
static void nn_sg_panel_1(float *out, int ldo, const float *a, int lda, const int *seg, int nseg, int seg_len,
                          const float *b, int ldb, const float *bias, int accumulate, int N) {
    int n = 0;
    for (; n + 8 <= N; n += 8)
        nn_sg_block_8_1_named(out + (size_t)n * ldo, ldo, a + (size_t)n * lda, lda, seg, nseg, seg_len, b, ldb,
                              bias, accumulate);
    for (; n < N; n++)
        nn_sg_block_1_1(out + (size_t)n * ldo, ldo, a + (size_t)n * lda, lda, seg, nseg, seg_len, b, ldb, bias,
                        accumulate);
}

// Register budget: NR*NV accumulators + NV rows of b + 1 broadcast (32 zmm, 16 ymm or xmm).
#if NN_SG_WIDTH == 16
NN_SG_PANEL(8, 2)
NN_SG_PANEL(4, 3)
NN_SG_PANEL(4, 4)
#else  // 8-float ymm or 4-float xmm (SSE: no FMA, so one more register for the product)
NN_SG_PANEL(4, 2)
#endif

#if defined(__AVX2__) && defined(__FMA__) && NN_SG_WIDTH == 8
// AVX2 (16 ymm registers, 2 FMA ports of latency 4-5: >= 10 independent accumulators keep
// both busy): blocks of 6 rows x 16 columns, 12 accumulators + 2 rows of b + 1 broadcast.
// Per k: 2 loads of b and 6 broadcasts against 12 FMAs (the 4x2 panel below re-read b from
// memory for every row, 12 loads per 8 FMAs, and Zen 3 ran it load-bound). The sums are the
// same as the panels' (init, then k in order, one FMA each), so results are bit for bit equal.
#define NN_SG_ROW(R) c##R##0 = ak[(R) * (size_t)lda] * b0 + c##R##0, c##R##1 = ak[(R) * (size_t)lda] * b1 + c##R##1
#define NN_SG_ROWS6(X) X(0); X(1); X(2); X(3); X(4); X(5)
// ACC (a literal in the two instantiations) selects the initial values, and the loops run at
// least once (the caller checks nseg, seg_len >= 1): with a run-time flag and possibly empty
// loops gcc carried every accumulator through the stack on the way in and out.
static inline __attribute__((always_inline)) void nn_sg_6x16_body(float *out, int ldo, const float *a, int lda,
                                                                  const int *seg, int nseg, int seg_len,
                                                                  const float *b, int ldb, const float *bias,
                                                                  const int ACC) {
    nn_sg_vec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (ACC) {
#define NN_SG_LOAD_ROW(R) c##R##0 = nn_sg_load(out + (R) * (size_t)ldo), c##R##1 = nn_sg_load(out + (R) * (size_t)ldo + 8)
        NN_SG_ROWS6(NN_SG_LOAD_ROW);
#undef NN_SG_LOAD_ROW
    } else {
        c00 = bias ? nn_sg_load(bias) : (nn_sg_vec){0};
        c01 = bias ? nn_sg_load(bias + 8) : (nn_sg_vec){0};
        c10 = c20 = c30 = c40 = c50 = c00;
        c11 = c21 = c31 = c41 = c51 = c01;
    }
    int g = 0;
    do {
        const float *ak = a + seg[g], *bk = b + (size_t)g * seg_len * ldb, *aend = ak + seg_len;
        do {
            nn_sg_vec b0 = nn_sg_load(bk), b1 = nn_sg_load(bk + 8);
            NN_SG_ROWS6(NN_SG_ROW);
            ak++, bk += ldb;
        } while (ak < aend);
    } while (++g < nseg);
#define NN_SG_STORE_ROW(R) nn_sg_store(out + (R) * (size_t)ldo, c##R##0), nn_sg_store(out + (R) * (size_t)ldo + 8, c##R##1)
    NN_SG_ROWS6(NN_SG_STORE_ROW);
#undef NN_SG_STORE_ROW
}
#undef NN_SG_ROWS6
#undef NN_SG_ROW
__attribute__((noinline)) static void nn_sg_block_6x16_init(float *out, int ldo, const float *a, int lda,
                                                            const int *seg, int nseg, int seg_len, const float *b,
                                                            int ldb, const float *bias) {
    nn_sg_6x16_body(out, ldo, a, lda, seg, nseg, seg_len, b, ldb, bias, 0);
}
__attribute__((noinline)) static void nn_sg_block_6x16_acc(float *out, int ldo, const float *a, int lda,
                                                           const int *seg, int nseg, int seg_len, const float *b,
                                                           int ldb) {
    nn_sg_6x16_body(out, ldo, a, lda, seg, nseg, seg_len, b, ldb, NULL, 1);
}

// Columns [0, M16) (M16 a multiple of 16) of all N rows: row blocks outside, so a block's
// rows of a stay in L1 while every 16-column panel of b passes them.
static void nn_sg_avx2(float *out, int ldo, const float *a, int lda, const int *seg, int nseg, int seg_len,
                       const float *b, int ldb, const float *bias, int accumulate, int N, int M16) {
    int n = 0;
    for (; n + 6 <= N; n += 6)
        for (int j = 0; j < M16; j += 16) {
            float *o = out + (size_t)n * ldo + j;
            const float *an = a + (size_t)n * lda;
            if (accumulate) nn_sg_block_6x16_acc(o, ldo, an, lda, seg, nseg, seg_len, b + j, ldb);
            else nn_sg_block_6x16_init(o, ldo, an, lda, seg, nseg, seg_len, b + j, ldb, bias ? bias + j : NULL);
        }
    for (; n < N; n++)
        for (int j = 0; j < M16; j += 16)
            nn_sg_block_1_2(out + (size_t)n * ldo + j, ldo, a + (size_t)n * lda, lda, seg, nseg, seg_len, b + j, ldb,
                            bias ? bias + j : NULL, accumulate);
}
#endif

void nn_small_gemm_segments(float *out, int ldo, const float *a, int lda, const int *seg, int nseg, int seg_len,
                            const float *b, int ldb, const float *bias, int accumulate, int N, int M) {
    enum { W = NN_SG_WIDTH, MAXV = NN_SG_WIDTH == 16 ? 4 : 2 };  // widest panel (vectors)
    int j0 = 0;
#if defined(__AVX2__) && defined(__FMA__) && NN_SG_WIDTH == 8
    j0 = nseg >= 1 && seg_len >= 1 ? M / 16 * 16 : 0;  // (K = 0: the panels below)
    if (j0) nn_sg_avx2(out, ldo, a, lda, seg, nseg, seg_len, b, ldb, bias, accumulate, N, j0);
#endif
    for (int j = j0; j < M; j += MAXV * W) {
        int nv = (M - j) / W < MAXV ? (M - j) / W : MAXV;
        float *o = out + j;
        const float *bj = b + j, *biasj = bias ? bias + j : NULL;
        switch (nv) {
        case 1: nn_sg_panel_1(o, ldo, a, lda, seg, nseg, seg_len, bj, ldb, biasj, accumulate, N); break;
        case 2: nn_sg_panel_2(o, ldo, a, lda, seg, nseg, seg_len, bj, ldb, biasj, accumulate, N); break;
#if NN_SG_WIDTH == 16
        case 3: nn_sg_panel_3(o, ldo, a, lda, seg, nseg, seg_len, bj, ldb, biasj, accumulate, N); break;
        case 4: nn_sg_panel_4(o, ldo, a, lda, seg, nseg, seg_len, bj, ldb, biasj, accumulate, N); break;
#endif
        }
    }
}

void nn_small_gemm(float *out, int ldo, const float *a, int lda, const float *b, int ldb, const float *bias,
                   int accumulate, int N, int K, int M) {
    const int whole[1] = {0};
    nn_small_gemm_segments(out, ldo, a, lda, whole, 1, K, b, ldb, bias, accumulate, N, M);
}
