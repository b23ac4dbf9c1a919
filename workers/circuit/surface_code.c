// Rotated surface-code memory circuits: the layout, the uniform-noise circuit that equals
// `stim gen`'s, and the SI1000 CZ-based circuit. See surface_code.h for the conventions.
#include "workers/circuit/surface_code.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

// ---- parameters ----

qp_surface_params qp_surface_params_uniform(char basis, uint32_t distance, uint64_t rounds, double p) {
    return (qp_surface_params){.basis = basis, .distance = distance, .rounds = rounds, .noise = QP_SURFACE_UNIFORM,
                               .p = p, .after_clifford_depolarization = p,
                               .before_round_data_depolarization = p, .before_measure_flip_probability = p,
                               .after_reset_flip_probability = p};
}

qp_surface_params qp_surface_params_si1000(char basis, uint32_t distance, uint64_t rounds, double p) {
    return (qp_surface_params){.basis = basis, .distance = distance, .rounds = rounds, .noise = QP_SURFACE_SI1000, .p = p};
}

// ---- layout ----

// Partner offsets per CX layer: X stabilizers (measure -> data) and Z (data -> measure).
static const int x_offsets[4][2] = {{1, 1}, {-1, 1}, {1, -1}, {-1, -1}};
static const int z_offsets[4][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};

static uint32_t qubit_index(uint32_t d, int x, int y) { return (uint32_t)x + (uint32_t)(y / 2) * (2 * d + 1); }

void qp_surface_layout_free(qp_surface_layout *l) {
    free(l->data);
    free(l->measure);
    free(l->measure_is_x);
    free(l->measure_sorted_xy);
    free(l->x);
    free(l->y);
    for (int k = 0; k < 4; k++) free(l->cx[k]);
    free(l->partners);
    free(l->observable);
    memset(l, 0, sizeof *l);
}

int qp_surface_layout_build(qp_surface_layout *l, uint32_t d, char basis, qp_err *err) {
    memset(l, 0, sizeof *l);
    if (d < 3 || d % 2 == 0 || d > 2001)
        return qp_fail(err, "surface code distance must be odd and in [3, 2001], got %u", d);
    if (basis != 'x' && basis != 'z') return qp_fail(err, "surface code basis must be 'x' or 'z', got '%c'", basis);
    int n = (int)(2 * d);
    l->distance = d;
    l->num_qubits = qubit_index(d, n, n) + 1;
    l->x = qp_malloc(l->num_qubits * sizeof *l->x);
    l->y = qp_malloc(l->num_qubits * sizeof *l->y);
    for (uint32_t q = 0; q < l->num_qubits; q++) l->x[q] = l->y[q] = -1;
    uint8_t *is_x_at = qp_calloc(l->num_qubits, 1);
    uint8_t *role = qp_calloc(l->num_qubits, 1);  // 0 unused, 1 data, 2 measure
    for (int y = 0; y <= n; y++) {
        for (int x = 0; x <= n; x++) {
            int is_data = (x % 2 == 1) && (y % 2 == 1);
            int is_measure = 0, is_x = 0;
            if (x % 2 == 0 && y % 2 == 0) {
                is_x = ((x + y) / 2) % 2 == 1;
                int on_xy_edge = (y == 0 || y == n), on_x_edge = (x == 0 || x == n);
                if (on_xy_edge && on_x_edge) is_measure = 0;    // corners
                else if (on_xy_edge) is_measure = is_x;          // top/bottom: X only
                else if (on_x_edge) is_measure = !is_x;          // left/right: Z only
                else is_measure = 1;
            }
            if (!is_data && !is_measure) continue;
            uint32_t q = qubit_index(d, x, y);
            l->x[q] = x;
            l->y[q] = y;
            role[q] = is_data ? 1 : 2;
            is_x_at[q] = (uint8_t)is_x;
        }
    }
    l->data = qp_malloc(l->num_qubits * sizeof *l->data);
    l->measure = qp_malloc(l->num_qubits * sizeof *l->measure);
    l->measure_is_x = qp_malloc(l->num_qubits);
    for (uint32_t q = 0; q < l->num_qubits; q++) {
        if (role[q] == 1) l->data[l->num_data++] = q;
        if (role[q] == 2) {
            l->measure_is_x[l->num_measure] = is_x_at[q];
            l->measure[l->num_measure++] = q;
        }
    }
    free(role);
    free(is_x_at);

    // (x, y) order: scan columns x, then y within a column.
    uint32_t *pos_of = qp_malloc(l->num_qubits * sizeof *pos_of);
    for (uint32_t i = 0; i < l->num_measure; i++) pos_of[l->measure[i]] = i;
    l->measure_sorted_xy = qp_malloc(l->num_measure * sizeof *l->measure_sorted_xy);
    uint32_t ns = 0;
    for (int x = 0; x <= n; x += 2)
        for (int y = 0; y <= n; y += 2) {
            uint32_t q = qubit_index(d, x, y);
            if (l->x[q] == x && l->y[q] == y) l->measure_sorted_xy[ns++] = pos_of[q];
        }
    free(pos_of);

    // Partners and CX layers: X stabilizers first, then Z, each in (x, y) order.
    l->partners = qp_malloc((size_t)l->num_measure * 4 * sizeof *l->partners);
    for (int k = 0; k < 4; k++) {
        l->cx[k] = qp_malloc((size_t)l->num_measure * 2 * sizeof *l->cx[k]);
        l->num_cx[k] = 0;
        for (int want_x = 1; want_x >= 0; want_x--) {
            for (uint32_t s = 0; s < l->num_measure; s++) {
                uint32_t i = l->measure_sorted_xy[s];
                if (l->measure_is_x[i] != want_x) continue;
                uint32_t m = l->measure[i];
                const int *off = want_x ? x_offsets[k] : z_offsets[k];
                int dx = l->x[m] + off[0], dy = l->y[m] + off[1];
                uint32_t partner = UINT32_MAX;
                if (dx > 0 && dx < n && dy > 0 && dy < n) partner = qubit_index(d, dx, dy);
                l->partners[i * 4 + k] = partner;
                if (partner == UINT32_MAX) continue;
                uint32_t *pair = &l->cx[k][2 * l->num_cx[k]++];
                pair[0] = want_x ? m : partner;
                pair[1] = want_x ? partner : m;
            }
        }
    }

    l->observable = qp_malloc(d * sizeof *l->observable);
    for (uint32_t j = 0; j < l->num_data; j++) {
        uint32_t q = l->data[j];
        if ((basis == 'x' && l->x[q] == 1) || (basis == 'z' && l->y[q] == 1)) l->observable[l->num_observable++] = q;
    }
    return 0;
}

// ---- emitting instructions ----

// Appends an instruction, skipping empty target lists and zero-probability noise, and fusing
// it into the block's last instruction when that has the same gate and arguments (as Stim's
// circuit builder does).
static void emit(qp_block *b, qp_gate g, const double *args, uint32_t num_args, const uint32_t *targets,
                 uint32_t num_targets) {
    const qp_gate_info *gi = &qp_gate_table[g];
    if (num_targets == 0 && !gi->is_annotation) return;
    if (gi->is_noise && args[0] == 0) return;
    if (gi->is_measurement && num_args == 1 && args[0] == 0) num_args = 0;
    if (b->num_instrs && !gi->is_annotation) {
        qp_instr *last = &b->instrs[b->num_instrs - 1];
        if (last->gate == g && last->num_args == num_args && !last->tag &&
            (num_args == 0 || memcmp(last->args, args, num_args * sizeof *args) == 0)) {
            last->targets = qp_realloc(last->targets, (last->num_targets + num_targets) * sizeof *last->targets);
            memcpy(last->targets + last->num_targets, targets, num_targets * sizeof *targets);
            last->num_targets += num_targets;
            return;
        }
    }
    qp_block_append(b, g, args, num_args, targets, num_targets, NULL);
}

static void emit_p(qp_block *b, qp_gate g, double p, const uint32_t *targets, uint32_t num_targets) {
    emit(b, g, &p, 1, targets, num_targets);
}

static void emit_tick(qp_block *b) { qp_block_append(b, QP_GATE_TICK, NULL, 0, NULL, 0, NULL); }

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

// DETECTOR(x, y, t) with the given lookbacks, sorted by increasing k.
static void emit_detector(qp_block *b, int x, int y, double t, uint32_t *lookbacks, uint32_t n) {
    qsort(lookbacks, n, sizeof *lookbacks, cmp_u32);
    for (uint32_t i = 0; i < n; i++) lookbacks[i] |= QP_TARGET_REC;
    double coords[3] = {x, y, t};
    qp_block_append(b, QP_GATE_DETECTOR, coords, 3, lookbacks, n, NULL);
}

// ---- the circuit ----

typedef struct {
    const qp_surface_params *p;
    const qp_surface_layout *l;
    uint32_t *x_measure;  // (num_x) X measure qubits, increasing index
    uint32_t num_x;
    uint32_t *scratch;    // (num_qubits) target list scratch
    uint8_t *mark;        // (num_qubits) set membership scratch
} gen;

// Round detectors after the measure qubits were measured (last N measurements).
static void round_detectors(qp_block *b, const gen *g, int first) {
    const qp_surface_layout *l = g->l;
    uint32_t N = l->num_measure;
    if (first) {
        for (uint32_t s = 0; s < N; s++) {
            uint32_t i = l->measure_sorted_xy[s];
            if (l->measure_is_x[i] != (g->p->basis == 'x')) continue;
            uint32_t k = N - i;
            emit_detector(b, l->x[l->measure[i]], l->y[l->measure[i]], 0, &k, 1);
        }
        return;
    }
    double shift[3] = {0, 0, 1};
    qp_block_append(b, QP_GATE_SHIFT_COORDS, shift, 3, NULL, 0, NULL);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t k[2] = {N - i, 2 * N - i};
        emit_detector(b, l->x[l->measure[i]], l->y[l->measure[i]], 0, k, 2);
    }
}

static void uniform_round(qp_block *b, const gen *g, int first) {
    const qp_surface_params *p = g->p;
    const qp_surface_layout *l = g->l;
    emit_p(b, QP_GATE_DEPOLARIZE1, p->before_round_data_depolarization, l->data, l->num_data);
    emit(b, QP_GATE_H, NULL, 0, g->x_measure, g->num_x);
    emit_p(b, QP_GATE_DEPOLARIZE1, p->after_clifford_depolarization, g->x_measure, g->num_x);
    emit_tick(b);
    for (int k = 0; k < 4; k++) {
        emit(b, QP_GATE_CX, NULL, 0, l->cx[k], 2 * l->num_cx[k]);
        emit_p(b, QP_GATE_DEPOLARIZE2, p->after_clifford_depolarization, l->cx[k], 2 * l->num_cx[k]);
        emit_tick(b);
    }
    emit(b, QP_GATE_H, NULL, 0, g->x_measure, g->num_x);
    emit_p(b, QP_GATE_DEPOLARIZE1, p->after_clifford_depolarization, g->x_measure, g->num_x);
    emit_tick(b);
    emit_p(b, QP_GATE_X_ERROR, p->before_measure_flip_probability, l->measure, l->num_measure);
    emit(b, QP_GATE_MR, NULL, 0, l->measure, l->num_measure);
    emit_p(b, QP_GATE_X_ERROR, p->after_reset_flip_probability, l->measure, l->num_measure);
    round_detectors(b, g, first);
}

// Collects qubits with mark[q] set into scratch (increasing index), returns the count.
static uint32_t marked(const gen *g, uint8_t want) {
    uint32_t n = 0;
    for (uint32_t q = 0; q < g->l->num_qubits; q++)
        if (g->l->x[q] >= 0 && g->mark[q] == want) g->scratch[n++] = q;
    return n;
}

// One SI1000 layer of single-qubit gates (or none): gate on the marked qubits, DEPOLARIZE1(p/10)
// on them and on every idle qubit, TICK.
static void si_single_layer(qp_block *b, gen *g, qp_gate gate) {
    double p = g->p->p;
    uint32_t n = marked(g, 1);
    if (n == 0) return;
    emit(b, gate, NULL, 0, g->scratch, n);
    emit_p(b, QP_GATE_DEPOLARIZE1, p / 10, g->scratch, n);
    n = marked(g, 0);
    emit_p(b, QP_GATE_DEPOLARIZE1, p / 10, g->scratch, n);
    emit_tick(b);
}

static void si_round(qp_block *b, gen *g, int first) {
    const qp_surface_layout *l = g->l;
    double p = g->p->p;
    uint32_t Q = l->num_qubits;
    // H layer before CZ layer k: Hadamards on targets of layer k-1 (closing) and of layer k
    // (opening) cancel where they meet. Layer -1's targets are the X measure qubits (their
    // H before the CXs); likewise after layer 3. In round 1 of memory X the data qubits' H
    // (RX = R then H) joins the first layer.
    for (int k = 0; k <= 4; k++) {
        memset(g->mark, 0, Q);
        if (k == 0) {
            for (uint32_t i = 0; i < g->num_x; i++) g->mark[g->x_measure[i]] ^= 1;
            if (first && g->p->basis == 'x')
                for (uint32_t j = 0; j < l->num_data; j++) g->mark[l->data[j]] ^= 1;
        } else {
            for (uint32_t i = 0; i < l->num_cx[k - 1]; i++) g->mark[l->cx[k - 1][2 * i + 1]] ^= 1;
        }
        if (k == 4) {
            for (uint32_t i = 0; i < g->num_x; i++) g->mark[g->x_measure[i]] ^= 1;
        } else {
            for (uint32_t i = 0; i < l->num_cx[k]; i++) g->mark[l->cx[k][2 * i + 1]] ^= 1;
        }
        si_single_layer(b, g, QP_GATE_H);
        if (k == 4) break;
        emit(b, QP_GATE_CZ, NULL, 0, l->cx[k], 2 * l->num_cx[k]);
        emit_p(b, QP_GATE_DEPOLARIZE2, p, l->cx[k], 2 * l->num_cx[k]);
        memset(g->mark, 0, Q);
        for (uint32_t i = 0; i < 2 * l->num_cx[k]; i++) g->mark[l->cx[k][i]] = 1;
        uint32_t n = marked(g, 0);
        emit_p(b, QP_GATE_DEPOLARIZE1, p / 10, g->scratch, n);
        emit_tick(b);
    }
    double flip = 5 * p;
    emit(b, QP_GATE_M, &flip, 1, l->measure, l->num_measure);
    emit_p(b, QP_GATE_DEPOLARIZE1, 2 * p, l->data, l->num_data);
    emit_tick(b);
    emit(b, QP_GATE_R, NULL, 0, l->measure, l->num_measure);
    emit_p(b, QP_GATE_X_ERROR, 2 * p, l->measure, l->num_measure);
    emit_p(b, QP_GATE_DEPOLARIZE1, 2 * p, l->data, l->num_data);
    round_detectors(b, g, first);
}

static void emit_round(qp_block *b, gen *g, int first) {
    if (g->p->noise == QP_SURFACE_UNIFORM)
        uniform_round(b, g, first);
    else
        si_round(b, g, first);
}

static void emit_init(qp_block *b, gen *g) {
    const qp_surface_layout *l = g->l;
    const qp_surface_params *p = g->p;
    if (p->noise == QP_SURFACE_UNIFORM) {
        int x = p->basis == 'x';
        emit(b, x ? QP_GATE_RX : QP_GATE_R, NULL, 0, l->data, l->num_data);
        emit_p(b, x ? QP_GATE_Z_ERROR : QP_GATE_X_ERROR, p->after_reset_flip_probability, l->data, l->num_data);
        emit(b, QP_GATE_R, NULL, 0, l->measure, l->num_measure);
        emit_p(b, QP_GATE_X_ERROR, p->after_reset_flip_probability, l->measure, l->num_measure);
    } else {
        uint32_t n = 0;
        for (uint32_t q = 0; q < l->num_qubits; q++)
            if (l->x[q] >= 0) g->scratch[n++] = q;
        emit(b, QP_GATE_R, NULL, 0, g->scratch, n);
        emit_p(b, QP_GATE_X_ERROR, 2 * p->p, g->scratch, n);
    }
    emit_tick(b);
}

static void emit_final(qp_block *b, gen *g) {
    const qp_surface_layout *l = g->l;
    const qp_surface_params *p = g->p;
    int x = p->basis == 'x';
    if (p->noise == QP_SURFACE_UNIFORM) {
        emit_p(b, x ? QP_GATE_Z_ERROR : QP_GATE_X_ERROR, p->before_measure_flip_probability, l->data, l->num_data);
        emit(b, x ? QP_GATE_MX : QP_GATE_M, NULL, 0, l->data, l->num_data);
    } else {
        emit_tick(b);
        if (x) {
            emit(b, QP_GATE_H, NULL, 0, l->data, l->num_data);
            emit_p(b, QP_GATE_DEPOLARIZE1, p->p / 10, l->data, l->num_data);
            emit_tick(b);
        }
        double flip = 5 * p->p;
        emit(b, QP_GATE_M, &flip, 1, l->data, l->num_data);
    }
    // Position of each data qubit in the final measurement.
    uint32_t ND = l->num_data, N = l->num_measure;
    uint32_t *pos = g->scratch;  // (num_qubits)
    for (uint32_t j = 0; j < ND; j++) pos[l->data[j]] = j;
    for (uint32_t s = 0; s < N; s++) {
        uint32_t i = l->measure_sorted_xy[s];
        if (l->measure_is_x[i] != x) continue;
        uint32_t k[5], n = 0;
        for (int layer = 0; layer < 4; layer++) {
            uint32_t dq = l->partners[i * 4 + layer];
            if (dq != UINT32_MAX) k[n++] = ND - pos[dq];
        }
        k[n++] = ND + N - i;
        emit_detector(b, l->x[l->measure[i]], l->y[l->measure[i]], 1, k, n);
    }
    uint32_t *obs = qp_malloc(l->num_observable * sizeof *obs);
    for (uint32_t j = 0; j < l->num_observable; j++) obs[j] = ND - pos[l->observable[j]];
    qsort(obs, l->num_observable, sizeof *obs, cmp_u32);
    for (uint32_t j = 0; j < l->num_observable; j++) obs[j] |= QP_TARGET_REC;
    double zero = 0;
    qp_block_append(b, QP_GATE_OBSERVABLE_INCLUDE, &zero, 1, obs, l->num_observable, NULL);
    free(obs);
}

static int check_probability(const char *name, double p, double max, qp_err *err) {
    if (!(p >= 0 && p <= max)) return qp_fail(err, "%s must be in [0, %g], got %g", name, max, p);
    return 0;
}

int qp_surface_code_generate(qp_circuit *c, const qp_surface_params *p, qp_err *err) {
    qp_circuit_init(c);
    if (p->rounds < 1) return qp_fail(err, "surface code rounds must be at least 1");
    if (p->noise == QP_SURFACE_UNIFORM) {
        if (check_probability("after_clifford_depolarization", p->after_clifford_depolarization, 1, err) ||
            check_probability("before_round_data_depolarization", p->before_round_data_depolarization, 1, err) ||
            check_probability("before_measure_flip_probability", p->before_measure_flip_probability, 1, err) ||
            check_probability("after_reset_flip_probability", p->after_reset_flip_probability, 1, err))
            return -1;
    } else if (p->noise == QP_SURFACE_SI1000) {
        if (check_probability("si1000 p", p->p, 0.1, err)) return -1;  // 5p must be a probability
    } else {
        return qp_fail(err, "unknown noise model %d", (int)p->noise);
    }
    qp_surface_layout l;
    if (qp_surface_layout_build(&l, p->distance, p->basis, err)) return -1;
    gen g = {.p = p, .l = &l};
    g.x_measure = qp_malloc(l.num_measure * sizeof *g.x_measure);
    for (uint32_t i = 0; i < l.num_measure; i++)
        if (l.measure_is_x[i]) g.x_measure[g.num_x++] = l.measure[i];
    g.scratch = qp_malloc(l.num_qubits * sizeof *g.scratch);
    g.mark = qp_calloc(l.num_qubits, 1);

    for (uint32_t q = 0; q < l.num_qubits; q++) {
        if (l.x[q] < 0) continue;
        double xy[2] = {l.x[q], l.y[q]};
        qp_block_append(&c->top, QP_GATE_QUBIT_COORDS, xy, 2, &q, 1, NULL);
    }
    emit_init(&c->top, &g);
    emit_round(&c->top, &g, 1);
    if (p->rounds == 2) {
        emit_tick(&c->top);
        emit_round(&c->top, &g, 0);
    } else if (p->rounds > 2) {
        qp_instr *rep = qp_block_append_repeat(&c->top, p->rounds - 1, NULL);
        emit_tick(rep->body);
        emit_round(rep->body, &g, 0);
    }
    emit_final(&c->top, &g);

    free(g.x_measure);
    free(g.scratch);
    free(g.mark);
    qp_surface_layout_free(&l);
    if (qp_circuit_finalize(c, err)) {
        qp_circuit_free(c);
        return -1;
    }
    return 0;
}
