// Repetition-code memory circuits; see repetition_code.h for the layout and the noise.
#include "workers/circuit/repetition_code.h"

#include <stdlib.h>

#include "workers/util/alloc.h"

qp_repetition_params qp_repetition_params_uniform(uint32_t distance, uint64_t rounds, double p) {
    qp_repetition_params r = {distance, rounds, p, p, p, p};
    return r;
}

// Appends noise unless its probability is 0.
static void noise(qp_block *b, qp_gate g, double p, const uint32_t *t, uint32_t n) {
    if (p > 0) qp_block_append(b, g, &p, 1, t, n, NULL);
}

typedef struct {
    uint32_t d, m;         // data qubits, measure qubits (d - 1)
    uint32_t *all, *data, *meas;
    uint32_t *cx1, *cx2;   // (m, 2) control, target pairs of the two CX layers
} layout;

static void round_ops(qp_block *b, const layout *l, const qp_repetition_params *p, int first) {
    qp_block_append(b, QP_GATE_TICK, NULL, 0, NULL, 0, NULL);
    noise(b, QP_GATE_DEPOLARIZE1, p->before_round_data_depolarization, l->data, l->d);
    qp_block_append(b, QP_GATE_CX, NULL, 0, l->cx1, 2 * l->m, NULL);
    noise(b, QP_GATE_DEPOLARIZE2, p->after_clifford_depolarization, l->cx1, 2 * l->m);
    qp_block_append(b, QP_GATE_TICK, NULL, 0, NULL, 0, NULL);
    qp_block_append(b, QP_GATE_CX, NULL, 0, l->cx2, 2 * l->m, NULL);
    noise(b, QP_GATE_DEPOLARIZE2, p->after_clifford_depolarization, l->cx2, 2 * l->m);
    qp_block_append(b, QP_GATE_TICK, NULL, 0, NULL, 0, NULL);
    noise(b, QP_GATE_X_ERROR, p->before_measure_flip_probability, l->meas, l->m);
    qp_block_append(b, QP_GATE_MR, NULL, 0, l->meas, l->m, NULL);
    noise(b, QP_GATE_X_ERROR, p->after_reset_flip_probability, l->meas, l->m);
    if (!first) {
        double shift[2] = {0, 1};
        qp_block_append(b, QP_GATE_SHIFT_COORDS, shift, 2, NULL, 0, NULL);
    }
    for (uint32_t i = 0; i < l->m; i++) {
        double xy[2] = {2.0 * i + 1, 0};
        uint32_t lb[2] = {(l->m - i) | QP_TARGET_REC, (2 * l->m - i) | QP_TARGET_REC};
        qp_block_append(b, QP_GATE_DETECTOR, xy, 2, lb, first ? 1 : 2, NULL);
    }
}

int qp_repetition_code_generate(qp_circuit *c, const qp_repetition_params *p, qp_err *err) {
    qp_circuit_init(c);
    if (p->distance < 2 || p->distance > QP_MAX_QUBITS / 2)
        return qp_fail(err, "repetition code distance must be >= 2, got %u", p->distance);
    if (p->rounds < 1) return qp_fail(err, "repetition code rounds must be >= 1");
    const double knobs[4] = {p->after_clifford_depolarization, p->before_round_data_depolarization,
                             p->before_measure_flip_probability, p->after_reset_flip_probability};
    for (int k = 0; k < 4; k++)
        if (!(knobs[k] >= 0 && knobs[k] <= 1)) return qp_fail(err, "noise probability %g is not in [0, 1]", knobs[k]);
    layout l = {.d = p->distance, .m = p->distance - 1};
    uint32_t n = 2 * l.d - 1;
    l.all = qp_malloc(n * sizeof *l.all);
    l.data = qp_malloc(l.d * sizeof *l.data);
    l.meas = qp_malloc(l.m * sizeof *l.meas);
    l.cx1 = qp_malloc(2 * l.m * sizeof *l.cx1);
    l.cx2 = qp_malloc(2 * l.m * sizeof *l.cx2);
    for (uint32_t q = 0; q < n; q++) l.all[q] = q;
    for (uint32_t i = 0; i < l.d; i++) l.data[i] = 2 * i;
    for (uint32_t i = 0; i < l.m; i++) {
        l.meas[i] = 2 * i + 1;
        l.cx1[2 * i] = 2 * i, l.cx1[2 * i + 1] = 2 * i + 1;      // data left of the check
        l.cx2[2 * i] = 2 * i + 2, l.cx2[2 * i + 1] = 2 * i + 1;  // data right of the check
    }
    qp_block *top = &c->top;
    qp_block_append(top, QP_GATE_R, NULL, 0, l.all, n, NULL);
    noise(top, QP_GATE_X_ERROR, p->after_reset_flip_probability, l.all, n);
    round_ops(top, &l, p, 1);
    if (p->rounds > 1) round_ops(qp_block_append_repeat(top, p->rounds - 1, NULL)->body, &l, p, 0);
    noise(top, QP_GATE_X_ERROR, p->before_measure_flip_probability, l.data, l.d);
    qp_block_append(top, QP_GATE_M, NULL, 0, l.data, l.d, NULL);
    for (uint32_t i = 0; i < l.m; i++) {  // check i against data i and i+1 (rec[-(d-i)], rec[-(d-i-1)])
        double xy[2] = {2.0 * i + 1, 1};
        uint32_t lb[3] = {(l.d - i - 1) | QP_TARGET_REC, (l.d - i) | QP_TARGET_REC, (l.d + l.m - i) | QP_TARGET_REC};
        qp_block_append(top, QP_GATE_DETECTOR, xy, 2, lb, 3, NULL);
    }
    double zero = 0;
    uint32_t last = 1 | QP_TARGET_REC;
    qp_block_append(top, QP_GATE_OBSERVABLE_INCLUDE, &zero, 1, &last, 1, NULL);
    free(l.all), free(l.data), free(l.meas), free(l.cx1), free(l.cx2);
    if (qp_circuit_finalize(c, err)) {
        qp_circuit_free(c);
        return -1;
    }
    return 0;
}
