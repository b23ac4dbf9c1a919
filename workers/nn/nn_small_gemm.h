// A register-blocked float GEMM for the model's thin shapes: out (N,M) = a (N,K) . b (K,M)
// with N in the thousands (batch x stabilizers) but K and M only 16..288.
//
// OpenBLAS packs `a` (the tall matrix) into its own layout on every call; with K = 16..48 that
// copy costs as much as the multiply-adds (perf: sgemm_oncopy 10 % of inference cycles next to
// an 18 % kernel). Here `b` is small enough to stay in L1 and `a` is read in place: each block
// of rows keeps its outputs in vector registers, broadcasting a[n][k] against rows of b.
// Float only (the double build of the layers, for the finite-difference tests, keeps BLAS).
#ifndef QP_NN_SMALL_GEMM_H
#define QP_NN_SMALL_GEMM_H

// Columns per vector: one machine vector of floats, 16 with AVX-512, 8 with AVX, 4 with SSE
// only (the package build: 8-float vectors there were register pairs and the 4x2 panel's
// accumulators spilled, 80 % of inference time).
#if defined(__AVX512F__)
#define NN_SG_WIDTH 16
#elif defined(__AVX__)
#define NN_SG_WIDTH 8
#else
#define NN_SG_WIDTH 4
#endif

// True when nn_small_gemm handles an output of M columns (a whole number of vectors).
static inline int nn_small_gemm_fits(int M) { return M > 0 && M % NN_SG_WIDTH == 0; }

// out (N,M; row stride ldo) = init + a (N,K; lda) . b (K,M; ldb), where init is out itself
// when accumulate, else the row vector bias (M) on every row, or 0 when bias is NULL.
// Needs nn_small_gemm_fits(M); rows of out must not overlap a or b.
void nn_small_gemm(float *out, int ldo, const float *a, int lda, const float *b, int ldb, const float *bias,
                   int accumulate, int N, int K, int M);

// The same with a's columns gathered from nseg segments of each row: a's row r, column k is
// a[r*lda + seg[k / seg_len] + k % seg_len], K = nseg * seg_len. A convolution reads its
// taps' inputs in place this way (segment = the offset of the tap's stabilizer) instead of
// copying them into im2col rows.
void nn_small_gemm_segments(float *out, int ldo, const float *a, int lda, const int *seg, int nseg, int seg_len,
                            const float *b, int ldb, const float *bias, int accumulate, int N, int M);

#endif
