// Per-qubit and per-coupler error rates of a test device (see device_noise.h).
#include "workers/circuit/device_noise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"
#include "workers/util/rng.h"

// Uniform in (0, 1) from a hash of the site and a draw index.
static double site_uniform(uint64_t seed, qp_device_kind kind, uint32_t a, uint32_t b, int draw) {
    uint64_t h = qp_mix64(seed ^ 0x6465766963650000ULL);  // "device"
    h = qp_mix64(h ^ ((uint64_t)kind << 56) ^ ((uint64_t)draw << 48));
    h = qp_mix64(h ^ a);
    h = qp_mix64(h ^ ((uint64_t)b << 32));
    return ((double)(h >> 11) + 0.5) * 0x1.0p-53;
}

double qp_device_multiplier(uint64_t seed, double spread, qp_device_kind kind, uint32_t q0, uint32_t q1) {
    if (q1 != UINT32_MAX && q1 < q0) {
        uint32_t t = q0;
        q0 = q1;
        q1 = t;
    }
    // Box-Muller: one standard normal from two uniforms.
    double u1 = site_uniform(seed, kind, q0, q1, 0), u2 = site_uniform(seed, kind, q0, q1, 1);
    double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    double sigma = log(spread);
    double m = exp(sigma * z);
    if (site_uniform(seed, kind, q0, q1, 2) * QP_DEVICE_OUTLIER_ODDS < 1) m *= spread * spread;
    return m;
}

static double clamp(double p, double max) { return p < max ? p : max; }

// Which kind an instruction's probability is, or -1 when it is left alone.
static int kind_of(const qp_instr *in) {
    switch (in->gate) {
    case QP_GATE_DEPOLARIZE1: return QP_DEVICE_DEPOLARIZE1;
    case QP_GATE_DEPOLARIZE2: return QP_DEVICE_DEPOLARIZE2;
    case QP_GATE_X_ERROR:
    case QP_GATE_Y_ERROR:
    case QP_GATE_Z_ERROR: return QP_DEVICE_FLIP;
    case QP_GATE_M:
    case QP_GATE_MX:
    case QP_GATE_MY:
    case QP_GATE_MR:
    case QP_GATE_MRX:
    case QP_GATE_MRY: return in->num_args == 1 && in->args[0] > 0 ? QP_DEVICE_READOUT : -1;
    default: return -1;
    }
}

static double max_of(qp_device_kind k) {
    return k == QP_DEVICE_DEPOLARIZE1 ? 0.75 : k == QP_DEVICE_DEPOLARIZE2 ? 15.0 / 16 : 0.5;
}

static void apply_block(qp_block *b, uint64_t seed, double spread) {
    qp_block out = {0};
    for (size_t i = 0; i < b->num_instrs; i++) {
        qp_instr *in = &b->instrs[i];
        int kind = kind_of(in);
        if (in->gate == QP_GATE_REPEAT) apply_block(in->body, seed, spread);
        if (kind < 0 || in->num_args != 1) {
            qp_grow(out.instrs, out.cap, out.num_instrs + 1);
            out.instrs[out.num_instrs++] = *in;  // moved, not copied
            continue;
        }
        int pair = kind == QP_DEVICE_DEPOLARIZE2;
        uint32_t step = pair ? 2 : 1;
        for (uint32_t t = 0; t + step <= in->num_targets; t += step) {
            uint32_t q0 = in->targets[t] & QP_TARGET_VALUE_MASK;
            uint32_t q1 = pair ? in->targets[t + 1] & QP_TARGET_VALUE_MASK : UINT32_MAX;
            double p = clamp(in->args[0] * qp_device_multiplier(seed, spread, (qp_device_kind)kind, q0, q1),
                             max_of((qp_device_kind)kind));
            qp_instr *n = qp_block_append(&out, in->gate, &p, 1, in->targets + t, step, in->tag);
            n->line = in->line;
        }
        free(in->args);
        free(in->targets);
        free(in->tag);
    }
    free(b->instrs);
    *b = out;
}

int qp_circuit_apply_device(qp_circuit *c, uint64_t seed, double spread, qp_err *err) {
    if (!(spread >= 1 && spread <= 100)) return qp_fail(err, "device spread must be in [1, 100], got %g", spread);
    apply_block(&c->top, seed, spread);
    return qp_circuit_finalize(c, err);
}
