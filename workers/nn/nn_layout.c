// Detector coordinates -> (stabilizer, round) grid and b8 -> model inputs (see nn_layout.h).
#include "workers/nn/nn_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    long long a, b;  // rounded coordinates
    int det;
} nn_layout_key;

static long long nn_layout_round6(double v) { return llround(v * 1e6); }

static int nn_layout_cmp_key(const void *pa, const void *pb) {
    const nn_layout_key *x = pa, *y = pb;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return x->det - y->det;
}

int nn_layout_build(nn_layout *lay, const double *coords, int num_dets, qp_err *err) {
    memset(lay, 0, sizeof *lay);
    if (num_dets < 1) return qp_fail(err, "nn_layout: circuit has no detectors");
    for (int d = 0; d < num_dets; d++)
        for (int k = 0; k < 3; k++)
            if (!isfinite(coords[3 * d + k]))
                return qp_fail(err, "nn_layout: detector D%d has no (x, y, t) coordinates", d);
    nn_layout_key *keys = qp_malloc((size_t)num_dets * sizeof *keys);
    lay->num_dets = num_dets;
    lay->det_stab = qp_malloc((size_t)num_dets * sizeof(int));
    lay->det_round = qp_malloc((size_t)num_dets * sizeof(int));

    // Stabilizers: distinct (x, y).
    for (int d = 0; d < num_dets; d++)
        keys[d] = (nn_layout_key){nn_layout_round6(coords[3 * d]), nn_layout_round6(coords[3 * d + 1]), d};
    qsort(keys, num_dets, sizeof *keys, nn_layout_cmp_key);
    int S = 0;
    lay->stab_xy = qp_malloc((size_t)num_dets * 2 * sizeof(double));
    for (int i = 0; i < num_dets; i++) {
        if (i == 0 || keys[i].a != keys[i - 1].a || keys[i].b != keys[i - 1].b) {
            lay->stab_xy[2 * S] = coords[3 * keys[i].det];
            lay->stab_xy[2 * S + 1] = coords[3 * keys[i].det + 1];
            S++;
        }
        lay->det_stab[keys[i].det] = S - 1;
    }
    // Rounds: distinct t.
    for (int d = 0; d < num_dets; d++) keys[d] = (nn_layout_key){nn_layout_round6(coords[3 * d + 2]), 0, d};
    qsort(keys, num_dets, sizeof *keys, nn_layout_cmp_key);
    int R = 0;
    lay->round_t = qp_malloc((size_t)num_dets * sizeof(double));
    for (int i = 0; i < num_dets; i++) {
        if (i == 0 || keys[i].a != keys[i - 1].a) lay->round_t[R++] = coords[3 * keys[i].det + 2];
        lay->det_round[keys[i].det] = R - 1;
    }
    free(keys);
    lay->num_stabs = S;
    lay->num_rounds = R;

    // One detector per cell.
    int *cell = qp_malloc((size_t)R * S * sizeof(int));
    for (int i = 0; i < R * S; i++) cell[i] = -1;
    lay->present = qp_calloc((size_t)R * S, sizeof(float));
    for (int d = 0; d < num_dets; d++) {
        int c = lay->det_round[d] * S + lay->det_stab[d];
        if (cell[c] >= 0) {
            int first = cell[c];
            free(cell);
            nn_layout_free(lay);
            return qp_fail(err, "nn_layout: detectors D%d and D%d share stabilizer (%g, %g) and round t=%g", first, d,
                           coords[3 * d], coords[3 * d + 1], coords[3 * d + 2]);
        }
        cell[c] = d;
        lay->present[c] = 1;
    }
    free(cell);

    lay->pool_w = qp_calloc((size_t)S, sizeof(float));
    int n_last = 0;
    for (int s = 0; s < S; s++) n_last += lay->present[(size_t)(R - 1) * S + s] != 0;
    for (int s = 0; s < S; s++)
        lay->pool_w[s] = n_last ? (lay->present[(size_t)(R - 1) * S + s] != 0) / (float)n_last : 1.0f / S;
    return 0;
}

void nn_layout_free(nn_layout *lay) {
    free(lay->det_stab);
    free(lay->det_round);
    free(lay->stab_xy);
    free(lay->round_t);
    free(lay->present);
    free(lay->pool_w);
    memset(lay, 0, sizeof *lay);
}

void nn_layout_inputs_from_b8(const nn_layout *lay, const uint8_t *dets_b8, const uint8_t *meas_b8,
                              int B, int F, float *inputs) {
    int S = lay->num_stabs, R = lay->num_rounds, D = lay->num_dets;
    size_t bytes = ((size_t)D + 7) / 8, per_shot = (size_t)R * S * F;
    memset(inputs, 0, sizeof(float) * per_shot * B);
    for (int b = 0; b < B; b++) {
        const uint8_t *rec = dets_b8 + (size_t)b * bytes;
        const uint8_t *meas = meas_b8 ? meas_b8 + (size_t)b * bytes : NULL;
        float *out = inputs + (size_t)b * per_shot;
        for (int d = 0; d < D; d++) {
            size_t at = ((size_t)lay->det_round[d] * S + lay->det_stab[d]) * F;
            out[at] = (float)((rec[d >> 3] >> (d & 7)) & 1);
            if (F > 1 && meas) out[at + 1] = (float)((meas[d >> 3] >> (d & 7)) & 1);
        }
    }
}

void nn_layout_targets_from_b8(const uint8_t *obs_b8, int B, int O, float *targets) {
    size_t bytes = ((size_t)O + 7) / 8;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++)
            targets[(size_t)b * O + o] = (float)((obs_b8[(size_t)b * bytes + (o >> 3)] >> (o & 7)) & 1);
}
