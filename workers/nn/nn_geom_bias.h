// Attention bias from the stabilizers' relative geometry (AlphaQubit's attention bias is a
// function of where two stabilizers sit relative to each other, not a free per-pair table).
// For stabilizers i, j at grid cells (row, col) with types t (0/1, see nn_layout.h), head h:
//   bias[h][i][j] = table[h][e(i,j)],
//   e(i,j) = ((t_i * NN_GEOM_TYPES + t_j) * W + clamp(row_j - row_i) + K) * W + clamp(col_j - col_i) + K
// with W = 2K+1 and clamp to [-K, K]. The table has NH * NN_GEOM_TYPES^2 * W^2 entries
// whatever the distance, so the same parameters serve every code distance; offsets beyond K
// share the edge entries. A learned table rather than an MLP: the offsets are a small set of
// integers, and a table is an MLP with one-hot input and no hidden layer.
// Backward ACCUMULATES.
#ifndef QP_NN_GEOM_BIAS_H
#define QP_NN_GEOM_BIAS_H

#include "workers/nn/nn_real.h"

#define NN_GEOM_TYPES 2

// Table entries per head for radius K.
static inline int nn_geom_bias_entries(int K) { return NN_GEOM_TYPES * NN_GEOM_TYPES * (2 * K + 1) * (2 * K + 1); }

// idx (S,S) = e(i,j) above from row, col, type (S) each.
void NN(nn_geom_bias_index)(int *idx, const int *row, const int *col, const int *type, int S, int K);

// bias (NH,S,S) = table (NH,E)[h][idx[i*S+j]], E = nn_geom_bias_entries(K).
void NN(nn_geom_bias_forward)(nn_real *bias, const nn_real *table, const int *idx, int NH, int S, int E);
// dtable (NH,E) += scatter of dbias (NH,S,S).
void NN(nn_geom_bias_backward)(nn_real *dtable, const nn_real *dbias, const int *idx, int NH, int S, int E);

#endif
