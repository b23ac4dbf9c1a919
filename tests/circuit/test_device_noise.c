// The test device (workers/circuit/device_noise.h): every noise site of an SI1000 circuit
// scaled by a multiplier that depends only on (seed, kind, qubits) — so the same qubit has the
// same rate in every round and the plain circuit's structure (gates, detectors, observable)
// is untouched — deterministic in the seed; the multipliers' logarithms have median 0 and
// spread ln(X) (checked over 4,000 draws, tolerances of 5 standard errors), with about 1 in
// 16 outliers.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/device_noise.h"
#include "workers/circuit/surface_code.h"

static void si1000(qp_circuit *c) {
    qp_surface_params sp = qp_surface_params_si1000('z', 3, 5, 0.003);
    qp_err err;
    cr_assert_eq(qp_surface_code_generate(c, &sp, &err), 0, "%s", err.msg);
}

static char *text_of(const qp_circuit *c) {
    qp_err err;
    char *t = qp_circuit_to_text(c, &err);
    cr_assert(t, "%s", err.msg);
    return t;
}

// The noise sites in order: (gate, first qubit, second qubit or UINT32_MAX, p) flattened over
// one block (REPEAT bodies visited once, recursively).
typedef struct {
    qp_gate gate;
    uint32_t q0, q1;
    double p;
} site;

static size_t sites(const qp_block *b, site *out, size_t n) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            n = sites(in->body, out, n);
            continue;
        }
        int noisy = qp_gate_table[in->gate].is_noise || (in->gate == QP_GATE_M && in->num_args == 1);
        if (!noisy) continue;
        uint32_t step = in->gate == QP_GATE_DEPOLARIZE2 ? 2 : 1;
        for (uint32_t t = 0; t + step <= in->num_targets; t += step)
            out[n++] = (site){in->gate, in->targets[t], step == 2 ? in->targets[t + 1] : UINT32_MAX, in->args[0]};
    }
    return n;
}

Test(device_noise, scales_every_site_by_its_multiplier_and_keeps_the_structure) {
    qp_circuit plain, dev;
    si1000(&plain);
    si1000(&dev);
    qp_err err;
    cr_assert_eq(qp_circuit_apply_device(&dev, 42, 2.0, &err), 0, "%s", err.msg);
    cr_assert_eq(dev.num_detectors, plain.num_detectors);
    cr_assert_eq(dev.num_measurements, plain.num_measurements);
    cr_assert_eq(dev.num_observables, plain.num_observables);
    static site a[20000], b[20000];
    size_t na = sites(&plain.top, a, 0), nb = sites(&dev.top, b, 0);
    cr_assert_eq(na, nb, "every site kept (%zu vs %zu)", na, nb);
    int changed = 0;
    for (size_t i = 0; i < na; i++) {
        cr_assert_eq(a[i].gate, b[i].gate);
        cr_assert_eq(a[i].q0, b[i].q0);
        cr_assert_eq(a[i].q1, b[i].q1);
        qp_device_kind k = a[i].gate == QP_GATE_DEPOLARIZE1   ? QP_DEVICE_DEPOLARIZE1
                           : a[i].gate == QP_GATE_DEPOLARIZE2 ? QP_DEVICE_DEPOLARIZE2
                           : a[i].gate == QP_GATE_M           ? QP_DEVICE_READOUT
                                                              : QP_DEVICE_FLIP;
        double want = a[i].p * qp_device_multiplier(42, 2.0, k, a[i].q0, a[i].q1);
        double max = k == QP_DEVICE_DEPOLARIZE1 ? 0.75 : k == QP_DEVICE_DEPOLARIZE2 ? 15.0 / 16 : 0.5;
        if (want > max) want = max;
        cr_assert_float_eq(b[i].p, want, 1e-15, "site %zu: %g, expected %g", i, b[i].p, want);
        changed += b[i].p != a[i].p;
    }
    cr_assert_gt(changed, (int)na / 2);
    // Pairs: the multiplier of (a, b) is that of (b, a).
    cr_assert_eq(qp_device_multiplier(42, 2.0, QP_DEVICE_DEPOLARIZE2, 3, 9),
                 qp_device_multiplier(42, 2.0, QP_DEVICE_DEPOLARIZE2, 9, 3));
    qp_circuit_free(&plain);
    qp_circuit_free(&dev);
}

Test(device_noise, deterministic_in_the_seed) {
    qp_circuit c1, c2, c3;
    si1000(&c1);
    si1000(&c2);
    si1000(&c3);
    qp_err err;
    cr_assert_eq(qp_circuit_apply_device(&c1, 7, 2.5, &err), 0);
    cr_assert_eq(qp_circuit_apply_device(&c2, 7, 2.5, &err), 0);
    cr_assert_eq(qp_circuit_apply_device(&c3, 8, 2.5, &err), 0);
    char *t1 = text_of(&c1), *t2 = text_of(&c2), *t3 = text_of(&c3);
    cr_assert_str_eq(t1, t2);
    cr_assert_str_neq(t1, t3);
    free(t1), free(t2), free(t3);
    qp_circuit_free(&c1), qp_circuit_free(&c2), qp_circuit_free(&c3);
    cr_assert_neq(qp_circuit_apply_device(&c1, 7, 0.5, &err), 0, "spread < 1 is refused");
}

// log(m) / ln(spread) is a mixture: N(0, 1) with weight 15/16, N(2, 1) (outliers, times
// spread^2) with 1/16. Its empirical CDF over 4,000 qubits at x = -1, 0, 1, 2, 3 must match
// within 5 binomial standard errors, for each kind of site.
Test(device_noise, multipliers_are_log_normal_with_the_given_spread) {
    const double spread = 2.5, sigma = log(spread), w = 1.0 / QP_DEVICE_OUTLIER_ODDS;
    const int n = 4000;
    for (int kind = 0; kind < 4; kind++) {
        for (int x = -1; x <= 3; x++) {
            int below = 0;
            for (int i = 0; i < n; i++) {
                uint32_t q1 = kind == QP_DEVICE_DEPOLARIZE2 ? (uint32_t)i + 1 : UINT32_MAX;
                below += log(qp_device_multiplier(1234, spread, (qp_device_kind)kind, (uint32_t)i, q1)) / sigma < x;
            }
            double F = (1 - w) * 0.5 * erfc(-x / sqrt(2)) + w * 0.5 * erfc(-(x - 2) / sqrt(2));
            double se = sqrt(F * (1 - F) / n);
            cr_assert(fabs((double)below / n - F) < 5 * se, "kind %d: P(z < %d) = %g, expected %g", kind, x,
                      (double)below / n, F);
        }
    }
}
