// Geometric attention bias (see nn_geom_bias.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_geom_bias.h"

static int NN(nn_geom_clamp)(int v, int K) { return v < -K ? -K : v > K ? K : v; }

void NN(nn_geom_bias_index)(int *idx, const int *row, const int *col, const int *type, int S, int K) {
    int W = 2 * K + 1;
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            int dr = NN(nn_geom_clamp)(row[j] - row[i], K) + K, dc = NN(nn_geom_clamp)(col[j] - col[i], K) + K;
            idx[i * S + j] = ((type[i] * NN_GEOM_TYPES + type[j]) * W + dr) * W + dc;
        }
}

void NN(nn_geom_bias_forward)(nn_real *bias, const nn_real *table, const int *idx, int NH, int S, int E) {
    for (int h = 0; h < NH; h++)
        for (int k = 0; k < S * S; k++) bias[(size_t)h * S * S + k] = table[(size_t)h * E + idx[k]];
}

void NN(nn_geom_bias_backward)(nn_real *dtable, const nn_real *dbias, const int *idx, int NH, int S, int E) {
    for (int h = 0; h < NH; h++)
        for (int k = 0; k < S * S; k++) dtable[(size_t)h * E + idx[k]] += dbias[(size_t)h * S * S + k];
}
