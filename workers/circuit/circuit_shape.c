#include "workers/circuit/circuit_shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit_coords.h"
#include "workers/util/alloc.h"

enum { BUDGET = 1 << 26 };

// One measurement in the record: which qubit, and the basis it read ('x', 'z', or '?').
typedef struct {
    uint32_t qubit;
    char basis;
} measured;

typedef struct {
    uint8_t *rotated;     // (num_qubits) a basis-changing gate touched the qubit since its reset
    measured *ring;       // (ring_size) the latest measurements, by record index mod ring_size
    uint64_t ring_size, num_measured;
    uint8_t *in_obs;      // (num_qubits) qubit read by observable 0 (XOR of its includes)
    char basis;           // basis of observable 0's measurements: 0 none yet, '?' mixed
    uint64_t steps;
} shape_walk;

// The basis a measurement reads, as the experiment's basis: only when the qubit's frame is
// plain since its reset (no H, S, SQRT_X on it); CZ-style circuits that rotate data qubits
// with single-qubit gates leave it unknown ('?') rather than guess.
static char measured_basis(qp_gate g, uint8_t rotated) {
    if (rotated) return '?';
    return g == QP_GATE_MX || g == QP_GATE_MRX ? 'x' : g == QP_GATE_M || g == QP_GATE_MR ? 'z' : '?';
}

// Returns 0, or -1 when the budget is spent.
static int walk(const qp_block *b, shape_walk *w) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (++w->steps > BUDGET) return -1;
        if (in->gate == QP_GATE_REPEAT) {
            for (uint64_t r = 0; r < in->repeat_count; r++)
                if (walk(in->body, w) != 0) return -1;
            continue;
        }
        const qp_gate_info *info = &qp_gate_table[in->gate];
        if (in->gate == QP_GATE_OBSERVABLE_INCLUDE) {
            if (in->num_args < 1 || in->args[0] != 0) continue;
            for (uint32_t t = 0; t < in->num_targets; t++) {
                if (!(in->targets[t] & QP_TARGET_REC)) continue;
                uint64_t k = in->targets[t] & QP_TARGET_VALUE_MASK;
                if (k == 0 || k > w->num_measured || k > w->ring_size) continue;
                const measured *m = &w->ring[(w->num_measured - k) % w->ring_size];
                w->in_obs[m->qubit] ^= 1;
                w->basis = !w->basis ? m->basis : w->basis == m->basis ? w->basis : '?';
            }
            continue;
        }
        if (info->is_noise || info->is_annotation) continue;
        if (in->gate == QP_GATE_I || in->gate == QP_GATE_X || in->gate == QP_GATE_Y || in->gate == QP_GATE_Z)
            continue;  // Paulis flip signs, not bases
        for (uint32_t t = 0; t < in->num_targets; t++) {
            uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
            if (in->targets[t] & QP_TARGET_REC) continue;
            if (info->is_measurement) {
                measured *m = &w->ring[w->num_measured++ % w->ring_size];
                m->qubit = q;
                m->basis = measured_basis(in->gate, w->rotated[q]);
            }
            if (info->is_reset) w->rotated[q] = 0;
            else if (in->gate < QP_GATE_CX && !info->is_measurement) w->rotated[q] = 1;  // H, S, SQRT_X, ...
        }
    }
    return 0;
}

static uint64_t rounds_from_coords(const qp_circuit *c, qp_err *err, int *rc) {
    double *coords = NULL;
    uint32_t width = 0;
    *rc = qp_circuit_detector_coords(c, &coords, &width, err);
    uint64_t rounds = 0;
    if (*rc == 0 && width >= 3 && c->num_detectors > 0) {
        double lo = coords[2], hi = coords[2];
        for (uint64_t k = 1; k < c->num_detectors; k++) {
            double t = coords[k * width + 2];
            lo = t < lo ? t : lo;
            hi = t > hi ? t : hi;
        }
        double span = hi - lo;
        if (span >= 1 && span == floor(span) && span < 1e15) rounds = (uint64_t)span;
    }
    free(coords);
    return rounds;
}

int qp_circuit_shape_of(const qp_circuit *c, qp_circuit_shape *shape, qp_err *err) {
    memset(shape, 0, sizeof *shape);
    int rc;
    shape->rounds = rounds_from_coords(c, err, &rc);
    if (rc != 0 || c->num_qubits == 0) return rc;
    shape_walk w = {0};
    w.rotated = qp_calloc(c->num_qubits, 1);
    w.in_obs = qp_calloc(c->num_qubits, 1);
    w.ring_size = (uint64_t)c->max_lookback + 1;
    w.ring = qp_calloc(w.ring_size, sizeof *w.ring);
    if (walk(&c->top, &w) == 0) {
        for (uint32_t q = 0; q < c->num_qubits; q++) shape->distance += w.in_obs[q];
        if (w.basis == 'x' || w.basis == 'z') shape->basis = w.basis;
    }
    free(w.rotated);
    free(w.in_obs);
    free(w.ring);
    return 0;
}
