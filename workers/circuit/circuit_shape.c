#include "workers/circuit/circuit_shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/circuit_coords.h"
#include "workers/util/alloc.h"

enum { BUDGET = 1 << 26 };

// ---- distance: the qubits observable 0 reads ----

typedef struct {
    uint32_t *ring;       // (ring_size) qubit of the latest measurements by record index mod
                          // ring_size (UINT32_MAX: a product, pad or herald)
    uint64_t ring_size, num_measured;
    uint8_t *in_obs;      // (num_qubits) qubit read by observable 0 (XOR of its includes)
    uint32_t num_qubits;
    uint64_t steps;
} shape_walk;

static void push_result(shape_walk *w, uint32_t qubit) { w->ring[w->num_measured++ % w->ring_size] = qubit; }

// Returns 0, or -1 when the budget is spent.
static int walk(const qp_block *b, shape_walk *w) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (++w->steps > BUDGET) return -1;
        if (in->gate == QP_GATE_REPEAT) {  // each pass is a step: an empty body costs too
            for (uint64_t r = 0; r < in->repeat_count; r++)
                if (++w->steps > BUDGET || (in->body && walk(in->body, w) != 0)) return -1;
            continue;
        }
        const qp_gate_info *info = &qp_gate_table[in->gate];
        if (in->gate == QP_GATE_OBSERVABLE_INCLUDE) {
            if (in->num_args < 1 || in->args[0] != 0) continue;
            for (uint32_t t = 0; t < in->num_targets; t++) {
                if (!(in->targets[t] & QP_TARGET_REC)) continue;  // a Pauli target: not a measured qubit
                uint64_t k = in->targets[t] & QP_TARGET_VALUE_MASK;
                if (k == 0 || k > w->num_measured || k > w->ring_size) continue;
                uint32_t q = w->ring[(w->num_measured - k) % w->ring_size];
                if (q != UINT32_MAX) w->in_obs[q] ^= 1;
            }
            continue;
        }
        if (!info->is_measurement) continue;
        int plain = !info->is_noise && info->num_qubits_per_target_group == 1 && !(info->flags & QP_GF_PAULI_TARGETS) &&
                    in->gate != QP_GATE_MPAD;
        if (!plain) {  // MPP, MXX, MPAD, heralds: results of no one qubit
            for (uint64_t k = qp_instr_num_results(in); k > 0; k--) push_result(w, UINT32_MAX);
            continue;
        }
        for (uint32_t t = 0; t < in->num_targets; t++) {
            uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
            push_result(w, q < w->num_qubits ? q : UINT32_MAX);
        }
    }
    return 0;
}

// ---- basis: observable 0 as a Pauli product at the last round boundary ----
//
// The observable is walked backwards through the noiseless circuit as an operator (Heisenberg
// picture, signs dropped): a measurement it includes contributes the measured Pauli, a
// unitary conjugates it, a reset removes the reset qubit's part. It stops at the first
// measurement instruction (going backwards) of which the observable includes no result, once
// every result it includes is behind: the last round's ancilla measurements, where a CX or
// a CZ circuit's data qubits are in their plain frame. All X there is a memory-X experiment,
// all Z memory-Z. Frame-by-frame rules (H before M, SQRT_Y around CZ) need no special case.

typedef struct {
    uint8_t *x, *z;       // (num_qubits) the operator
    uint32_t num_qubits;
    uint64_t *obs;        // record indices observable 0 includes, ascending
    size_t num_obs, cap_obs;
    uint64_t num_before;  // measurements before the current instruction
    uint64_t steps;
    int done;             // 1: stopped at a boundary; -1: undecidable
} basis_walk;

// Position of m in w->obs, or of the first larger index.
static size_t obs_position(const basis_walk *w, uint64_t m) {
    size_t lo = 0, hi = w->num_obs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->obs[mid] < m) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int obs_includes(const basis_walk *w, uint64_t m) {
    size_t i = obs_position(w, m);
    return i < w->num_obs && w->obs[i] == m;
}

// Includes measurement m (a second include of the same result cancels the first).
static void obs_toggle(basis_walk *w, uint64_t m) {
    size_t i = obs_position(w, m);
    if (i < w->num_obs && w->obs[i] == m) {
        memmove(w->obs + i, w->obs + i + 1, (w->num_obs - i - 1) * sizeof *w->obs);
        w->num_obs--;
        return;
    }
    qp_grow(w->obs, w->cap_obs, w->num_obs + 1);
    memmove(w->obs + i + 1, w->obs + i, (w->num_obs - i) * sizeof *w->obs);
    w->obs[i] = m;
    w->num_obs++;
}

// Pauli (bit 1: X, bit 2: Z) times the operator on qubit q.
static void mul_pauli(basis_walk *w, uint32_t q, unsigned p) {
    if (q >= w->num_qubits) return;
    w->x[q] ^= p & 1;
    w->z[q] ^= (p >> 1) & 1;
}

static unsigned pauli_of_basis(char basis) { return basis == 'X' ? 1 : basis == 'Z' ? 2 : 3; }

// Conjugates the operator by the instruction's unitary going backwards (by its inverse).
static int unconjugate(basis_walk *w, const qp_instr *in) {
    qp_gate_frame f;
    if (qp_gate_frame_of(qp_gate_table[in->gate].inverse, &f) < 0) return -1;  // SPP: not followed
    int group = qp_gate_table[in->gate].num_qubits_per_target_group;
    for (uint32_t t = 0; t + group <= in->num_targets; t += group) {
        uint32_t q[2] = {in->targets[t], group == 2 ? in->targets[t + 1] : 0};
        int bit = 0;
        for (int k = 0; k < group; k++) bit |= (q[k] & (QP_TARGET_REC | QP_TARGET_SWEEP)) != 0;
        if (bit) continue;  // a classically controlled Pauli changes signs only
        unsigned in_bits = 0, out_bits = 0;
        for (int k = 0; k < group; k++) {
            q[k] &= QP_TARGET_VALUE_MASK;
            if (q[k] >= w->num_qubits) return -1;
            in_bits |= (unsigned)(w->x[q[k]] | w->z[q[k]] << 1) << (2 * k);
        }
        for (int g = 0; g < 2 * group; g++)
            if (in_bits >> g & 1) out_bits ^= f.img[g];
        for (int k = 0; k < group; k++) {
            w->x[q[k]] = out_bits >> (2 * k) & 1;
            w->z[q[k]] = out_bits >> (2 * k + 1) & 1;
        }
    }
    return 0;
}

// One instruction backwards. Sets w->done at the boundary or when the basis is undecidable.
static void step_back(basis_walk *w, const qp_instr *in) {
    const qp_gate_info *info = &qp_gate_table[in->gate];
    if (in->gate == QP_GATE_OBSERVABLE_INCLUDE) {
        if (in->num_args < 1 || in->args[0] != 0) return;
        for (uint32_t t = 0; t < in->num_targets; t++) {
            uint32_t tg = in->targets[t];
            if (tg & QP_TARGET_REC) {
                uint64_t k = tg & QP_TARGET_VALUE_MASK;
                if (k == 0 || k > w->num_before) continue;
                obs_toggle(w, w->num_before - k);
            } else {
                mul_pauli(w, tg & QP_TARGET_VALUE_MASK, (tg & QP_TARGET_PAULI_X ? 1 : 0) | (tg & QP_TARGET_PAULI_Z ? 2 : 0));
            }
        }
        return;
    }
    if (info->flags & QP_GF_UNITARY) {
        if (unconjugate(w, in) != 0) w->done = -1;
        return;
    }
    uint64_t results = qp_instr_num_results(in);
    if (results > w->num_before) {  // cannot happen in a finalized circuit
        w->done = -1;
        return;
    }
    uint64_t first = w->num_before - results;
    int plain = info->is_measurement && !info->is_noise && info->num_qubits_per_target_group == 1 &&
                !(info->flags & QP_GF_PAULI_TARGETS) && in->gate != QP_GATE_MPAD;
    int qubits_measured = info->is_measurement && in->gate != QP_GATE_MPAD && !info->is_noise;
    int included = 0;  // results of this instruction the observable includes
    for (uint64_t r = 0; r < results; r++) {
        if (!obs_includes(w, first + r)) continue;
        included++;
        if (!plain) {  // the observable includes a product, pad or herald: not followed
            w->done = -1;
            return;
        }
    }
    if (info->is_reset || plain) {
        for (uint32_t t = 0; t < in->num_targets; t++) {
            uint32_t q = in->targets[t] & QP_TARGET_VALUE_MASK;
            if (q >= w->num_qubits) continue;
            if (info->is_reset) w->x[q] = w->z[q] = 0;  // after the measurement of MR: first, going back
            if (plain && obs_includes(w, first + t)) mul_pauli(w, q, pauli_of_basis(info->basis));
        }
    }
    w->num_before = first;
    // The boundary: qubits measured, none for the observable, all of whose results are later.
    if (qubits_measured && results && !included && w->num_obs && w->obs[0] >= first) w->done = 1;
}

static void walk_back(const qp_block *b, basis_walk *w) {
    for (size_t i = b->num_instrs; i-- > 0 && !w->done;) {
        const qp_instr *in = &b->instrs[i];
        if (++w->steps > BUDGET) {
            w->done = -1;
            return;
        }
        if (in->gate == QP_GATE_REPEAT) {  // each pass is a step: an empty body costs too
            for (uint64_t r = 0; r < in->repeat_count && !w->done; r++)
                if (++w->steps > BUDGET) w->done = -1;
                else if (in->body) walk_back(in->body, w);
            continue;
        }
        step_back(w, in);
    }
}

static char basis_of(const qp_circuit *c) {
    basis_walk w = {0};
    w.num_qubits = c->num_qubits;
    w.x = qp_calloc(c->num_qubits, 1);
    w.z = qp_calloc(c->num_qubits, 1);
    w.num_before = c->num_measurements;
    walk_back(&c->top, &w);
    if (w.done == 0 && w.num_obs) w.done = 1;  // no earlier measurement: the operator at the start
    char basis = 0;
    if (w.done == 1) {
        int any_x = 0, any_z = 0;
        for (uint32_t q = 0; q < w.num_qubits; q++) any_x |= w.x[q], any_z |= w.z[q];
        int pure = 1;
        for (uint32_t q = 0; q < w.num_qubits; q++)
            if (w.x[q] && w.z[q]) pure = 0;  // Y
        if (pure && any_x != any_z) basis = any_x ? 'x' : 'z';
    }
    free(w.x);
    free(w.z);
    free(w.obs);
    return basis;
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
    w.num_qubits = c->num_qubits;
    w.in_obs = qp_calloc(c->num_qubits, 1);
    w.ring_size = (uint64_t)c->max_lookback + 1;
    w.ring = qp_calloc(w.ring_size, sizeof *w.ring);
    if (walk(&c->top, &w) == 0)
        for (uint32_t q = 0; q < c->num_qubits; q++) shape->distance += w.in_obs[q];
    free(w.in_obs);
    free(w.ring);
    shape->basis = basis_of(c);
    return 0;
}
