#include "workers/circuit/circuit_shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit_coords.h"
#include "workers/util/alloc.h"

enum { BUDGET = 1 << 26 };

// One measurement in the record: which qubit (UINT32_MAX: a product or pad), and the basis it
// read ('x', 'z', or '?').
typedef struct {
    uint32_t qubit;
    char basis;
} measured;

typedef struct {
    uint8_t *rotated;     // (num_qubits) a basis-changing gate touched the qubit since its reset
    measured *ring;       // (ring_size) the latest measurements, by record index mod ring_size
    uint64_t ring_size, num_measured;
    uint8_t *in_obs;      // (num_qubits) qubit read by observable 0 (XOR of its includes)
    uint32_t num_qubits;
    char basis;           // basis of observable 0's measurements: 0 none yet, '?' mixed
    uint64_t steps;
} shape_walk;

// Records one measurement result: the qubit it read and, when the qubit's frame is plain since
// its reset (no single-qubit Clifford other than a Pauli on it), the basis; else '?'. CZ-style
// circuits that rotate data qubits leave the basis unknown rather than guessed.
static void push_result(shape_walk *w, uint32_t qubit, char basis) {
    measured *m = &w->ring[w->num_measured++ % w->ring_size];
    m->qubit = qubit;
    m->basis = basis;
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
                if (!(in->targets[t] & QP_TARGET_REC)) {  // a Pauli target: not a measured qubit
                    w->basis = '?';
                    continue;
                }
                uint64_t k = in->targets[t] & QP_TARGET_VALUE_MASK;
                if (k == 0 || k > w->num_measured || k > w->ring_size) continue;
                const measured *m = &w->ring[(w->num_measured - k) % w->ring_size];
                if (m->qubit == UINT32_MAX) {
                    w->basis = '?';
                    continue;
                }
                w->in_obs[m->qubit] ^= 1;
                w->basis = !w->basis ? m->basis : w->basis == m->basis ? w->basis : '?';
            }
            continue;
        }
        int plain_measurement = info->is_measurement && !info->is_noise && info->num_qubits_per_target_group == 1 &&
                                !(info->flags & QP_GF_PAULI_TARGETS) && in->gate != QP_GATE_MPAD;
        if (info->is_measurement && !plain_measurement) {  // MPP, MXX, MPAD, heralds: results of no one qubit
            for (uint64_t k = qp_instr_num_results(in); k > 0; k--) push_result(w, UINT32_MAX, '?');
            continue;
        }
        if (info->is_annotation || info->is_noise) continue;
        int pauli = in->gate == QP_GATE_I || in->gate == QP_GATE_X || in->gate == QP_GATE_Y || in->gate == QP_GATE_Z;
        for (uint32_t t = 0; t < in->num_targets; t++) {
            if (in->targets[t] & (QP_TARGET_REC | QP_TARGET_SWEEP | QP_TARGET_COMBINER)) continue;
            uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
            if (q >= w->num_qubits) continue;
            if (plain_measurement) {
                char basis = info->basis == 'X' ? 'x' : info->basis == 'Z' ? 'z' : '?';
                push_result(w, q, w->rotated[q] ? '?' : basis);
            }
            if (info->is_reset) w->rotated[q] = 0;
            else if (!info->is_measurement && !pauli && info->num_qubits_per_target_group == 1) w->rotated[q] = 1;
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
    w.num_qubits = c->num_qubits;
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
