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

// Grid cells, types and readout lines (see nn_layout.h).
static void nn_layout_grid(nn_layout *lay) {
    int S = lay->num_stabs, R = lay->num_rounds;
    double lo[2] = {INFINITY, INFINITY}, gap = INFINITY;
    for (int s = 0; s < S; s++)
        for (int k = 0; k < 2; k++) {
            double v = lay->stab_xy[2 * s + k];
            lo[k] = v < lo[k] ? v : lo[k];
            for (int t = 0; t < S; t++) {
                double d = fabs(lay->stab_xy[2 * t + k] - v);
                if (d > 1e-6 && d < gap) gap = d;
            }
        }
    if (!isfinite(gap)) gap = 1;  // one stabilizer, or all on one point per axis
    lay->stab_row = qp_malloc((size_t)S * sizeof(int));
    lay->stab_col = qp_malloc((size_t)S * sizeof(int));
    lay->stab_type = qp_malloc((size_t)S * sizeof(int));
    lay->stab_line = qp_malloc((size_t)S * sizeof(int));
    int span_lo[2] = {INT32_MAX, INT32_MAX}, span_hi[2] = {INT32_MIN, INT32_MIN}, rows = 0, cols = 0;
    for (int s = 0; s < S; s++) {
        lay->stab_col[s] = (int)llround((lay->stab_xy[2 * s] - lo[0]) / gap);
        lay->stab_row[s] = (int)llround((lay->stab_xy[2 * s + 1] - lo[1]) / gap);
        lay->stab_type[s] = lay->present[(size_t)(R - 1) * S + s] != 0;
        rows = lay->stab_row[s] + 1 > rows ? lay->stab_row[s] + 1 : rows;
        cols = lay->stab_col[s] + 1 > cols ? lay->stab_col[s] + 1 : cols;
        if (!lay->stab_type[s]) continue;
        int at[2] = {lay->stab_col[s], lay->stab_row[s]};
        for (int k = 0; k < 2; k++) {
            span_lo[k] = at[k] < span_lo[k] ? at[k] : span_lo[k];
            span_hi[k] = at[k] > span_hi[k] ? at[k] : span_hi[k];
        }
    }
    lay->lines_along_x = span_lo[0] > span_hi[0] || span_hi[0] - span_lo[0] >= span_hi[1] - span_lo[1];
    // Lines: the distinct rows (or columns) in use, numbered in order.
    int n = lay->lines_along_x ? rows : cols;
    int *id = qp_malloc(((size_t)n + 1) * sizeof(int));
    for (int i = 0; i < n; i++) id[i] = -1;
    for (int s = 0; s < S; s++) id[lay->lines_along_x ? lay->stab_row[s] : lay->stab_col[s]] = 0;
    lay->num_lines = 0;
    for (int i = 0; i < n; i++)
        if (id[i] == 0) id[i] = lay->num_lines++;
    for (int s = 0; s < S; s++) lay->stab_line[s] = id[lay->lines_along_x ? lay->stab_row[s] : lay->stab_col[s]];
    free(id);
}

nn_geometry nn_layout_geometry(const nn_layout *lay) {
    nn_geometry g = {lay->stab_row, lay->stab_col, lay->stab_type, lay->stab_line, lay->num_lines};
    return g;
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
    nn_layout_grid(lay);
    return 0;
}

void nn_layout_free(nn_layout *lay) {
    free(lay->det_stab);
    free(lay->det_round);
    free(lay->stab_xy);
    free(lay->round_t);
    free(lay->present);
    free(lay->pool_w);
    free(lay->stab_row);
    free(lay->stab_col);
    free(lay->stab_type);
    free(lay->stab_line);
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

void nn_layout_inputs_from_soft(const nn_layout *lay, const float *event, const float *leak, int B, int F,
                                float *inputs) {
    int S = lay->num_stabs, R = lay->num_rounds, D = lay->num_dets;
    size_t per_shot = (size_t)R * S * F;
    memset(inputs, 0, sizeof(float) * per_shot * B);
    for (int b = 0; b < B; b++) {
        const float *ev = event + (size_t)b * D, *lk = leak ? leak + (size_t)b * D : NULL;
        float *out = inputs + (size_t)b * per_shot;
        for (int d = 0; d < D; d++) {
            size_t at = ((size_t)lay->det_round[d] * S + lay->det_stab[d]) * F;
            out[at] = ev[d];
            if (F > 1 && lk) out[at + 1] = lk[d];
        }
    }
}

void nn_layout_targets_from_b8(const uint8_t *obs_b8, int B, int O, float *targets) {
    size_t bytes = ((size_t)O + 7) / 8;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++)
            targets[(size_t)b * O + o] = (float)((obs_b8[(size_t)b * bytes + (o >> 3)] >> (o & 7)) & 1);
}
