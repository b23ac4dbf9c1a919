// The surface-code generator against Stim's: for every (d, rounds, p, basis) in the vectors
// (including r = 1000) our uniform circuit has the same qubit coordinates, the same detectors
// in the same order with the same coordinates and the same observable — and in fact the same
// text. Both noise models are checked for physical correctness with an exact Clifford
// determinism check (backward Pauli propagation): with noise removed, every detector and the
// observable must be deterministic. The checker itself is shown to catch a broken circuit.
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/circuit/circuit_coords.h"
#include "workers/circuit/surface_code.h"

static void generate(qp_circuit *c, qp_surface_params sp) {
    qp_err err;
    cr_assert_eq(qp_surface_code_generate(c, &sp, &err), 0, "%s", err.msg);
}

static char *text_of(const qp_circuit *c) {
    qp_err err;
    char *t = qp_circuit_to_text(c, &err);
    cr_assert(t, "%s", err.msg);
    return t;
}

static char *strip_comment_lines(const char *text) {
    char *out = malloc(strlen(text) + 1);
    size_t o = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
        if (*p != '#') {
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    out[o] = 0;
    return out;
}

// Finds the (single) OBSERVABLE_INCLUDE at top level.
static const qp_instr *find_observable(const qp_circuit *c) {
    for (size_t i = 0; i < c->top.num_instrs; i++)
        if (c->top.instrs[i].gate == QP_GATE_OBSERVABLE_INCLUDE) return &c->top.instrs[i];
    return NULL;
}

// Structured comparison: qubit coordinates, detector coordinates in order, the observable.
static void expect_same_experiment(const qp_circuit *a, const qp_circuit *b, const char *what) {
    qp_err err;
    cr_assert_eq(a->num_detectors, b->num_detectors, "%s: detector count %llu vs %llu", what,
                 (unsigned long long)a->num_detectors, (unsigned long long)b->num_detectors);
    cr_expect_eq(a->num_observables, b->num_observables, "%s: observables", what);
    cr_expect_eq(a->num_measurements, b->num_measurements, "%s: measurements", what);
    cr_expect_eq(a->num_qubits, b->num_qubits, "%s: qubits", what);

    double *ca, *cb;
    uint32_t wa, wb;
    cr_assert_eq(qp_circuit_detector_coords(a, &ca, &wa, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_circuit_detector_coords(b, &cb, &wb, &err), 0, "%s", err.msg);
    cr_assert_eq(wa, 3u, "%s: detectors have 3 coordinates, got %u", what, wa);
    cr_assert_eq(wb, 3u);
    for (uint64_t k = 0; k < a->num_detectors; k++)
        for (int j = 0; j < 3; j++)
            cr_assert_eq(ca[k * 3 + j], cb[k * 3 + j], "%s: detector D%llu coordinate %d: %g vs %g", what,
                         (unsigned long long)k, j, ca[k * 3 + j], cb[k * 3 + j]);
    free(ca);
    free(cb);

    uint32_t qa_w, qb_w;
    uint8_t *ha, *hb;
    cr_assert_eq(qp_circuit_qubit_coords(a, &ca, &qa_w, &ha, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_circuit_qubit_coords(b, &cb, &qb_w, &hb, &err), 0, "%s", err.msg);
    cr_assert_eq(qa_w, qb_w);
    for (uint32_t q = 0; q < a->num_qubits; q++) {
        cr_assert_eq(ha[q], hb[q], "%s: qubit %u has coordinates in one circuit only", what, q);
        for (uint32_t j = 0; ha[q] && j < qa_w; j++)
            cr_assert_eq(ca[q * qa_w + j], cb[q * qb_w + j], "%s: qubit %u coordinate %u", what, q, j);
    }
    free(ca);
    free(cb);
    free(ha);
    free(hb);

    const qp_instr *oa = find_observable(a), *ob = find_observable(b);
    cr_assert(oa && ob, "%s: both circuits end with OBSERVABLE_INCLUDE", what);
    cr_assert_eq(oa->num_targets, ob->num_targets, "%s: observable size", what);
    for (uint32_t i = 0; i < oa->num_targets; i++)
        cr_expect_eq(oa->targets[i], ob->targets[i], "%s: observable target %u", what, i);
}

Test(surface_code, uniform_equals_stim_for_every_vector) {
    const char *dirs[2] = {qp_test_vectors_dir(), qp_test_data_dir()};
    cr_assert(dirs[0] || !qp_test_vectors_required(), "QECPIPE_REQUIRE_VECTORS=1 but the reference vectors are missing");
    int checked = 0;
    for (int di = 0; di < 2 && checked == 0; di++) {
        if (!dirs[di]) continue;
        const char *bases = "xz";
        const int ds[] = {3, 5, 7};
        const double ps[] = {0.001, 0.003, 0.005};
        for (int bi = 0; bi < 2; bi++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) {
                    int d = ds[i], r = j < 3 ? d : 1000;
                    double p = j < 3 ? ps[j] : 0.003;
                    char path[1024];
                    snprintf(path, sizeof path, "%s/surface_%c_d%d_r%d_p%g.stim", dirs[di], bases[bi], d, r, p);
                    char *text = qp_test_read_file(path, NULL);
                    if (!text) continue;
                    qp_circuit ref, ours;
                    qp_err err;
                    cr_assert_eq(qp_circuit_parse(&ref, text, path, &err), 0, "%s", err.msg);
                    generate(&ours, qp_surface_params_uniform(bases[bi], (uint32_t)d, (uint64_t)r, p));
                    expect_same_experiment(&ours, &ref, path);
                    char *mine = text_of(&ours), *theirs = strip_comment_lines(text);
                    cr_expect_str_eq(mine, theirs, "%s: generated text differs from stim gen's", path);
                    free(mine);
                    free(theirs);
                    free(text);
                    qp_circuit_free(&ref);
                    qp_circuit_free(&ours);
                    checked++;
                }
    }
    cr_assert_geq(checked, 3, "no reference circuits found (checked %d)", checked);
    if (dirs[0]) cr_expect_eq(checked, 19, "all 19 vector circuits should be compared, got %d", checked);
}

// ---- exact determinism check by backward Pauli propagation ----

typedef struct {
    qp_gate gate;
    const uint32_t *targets;
    uint32_t num_targets;
    uint64_t first_measurement;  // index of this op's first measurement result
} flat_op;

typedef struct {
    flat_op *ops;
    size_t num_ops, cap_ops;
    uint64_t *det_meas;   // concatenated absolute measurement indices of each detector
    size_t *det_start;    // (num_dets + 1)
    size_t num_dets, cap_meas, cap_dets;
    uint64_t *obs_meas;
    size_t num_obs_meas;
    uint64_t measurements;
} flat_circuit;

static void flatten(const qp_block *b, flat_circuit *f) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            for (uint64_t r = 0; r < in->repeat_count; r++) flatten(in->body, f);
            continue;
        }
        if (in->gate == QP_GATE_DETECTOR || in->gate == QP_GATE_OBSERVABLE_INCLUDE) {
            uint64_t *dst;
            if (in->gate == QP_GATE_DETECTOR) {
                if (f->num_dets + 2 > f->cap_dets) {
                    f->cap_dets = 2 * f->cap_dets + 16;
                    f->det_start = realloc(f->det_start, f->cap_dets * sizeof *f->det_start);
                }
                if (f->num_dets == 0) f->det_start[0] = 0;
                size_t s = f->det_start[f->num_dets];
                if (s + in->num_targets > f->cap_meas) {
                    f->cap_meas = 2 * (s + in->num_targets);
                    f->det_meas = realloc(f->det_meas, f->cap_meas * sizeof *f->det_meas);
                }
                dst = f->det_meas + s;
                f->det_start[++f->num_dets] = s + in->num_targets;
            } else {
                f->obs_meas = realloc(f->obs_meas, (f->num_obs_meas + in->num_targets) * sizeof *f->obs_meas);
                dst = f->obs_meas + f->num_obs_meas;
                f->num_obs_meas += in->num_targets;
            }
            for (uint32_t t = 0; t < in->num_targets; t++)
                dst[t] = f->measurements - (in->targets[t] & QP_TARGET_VALUE_MASK);
            continue;
        }
        const qp_gate_info *gi = &qp_gate_table[in->gate];
        if (gi->is_annotation || gi->is_noise) continue;
        if (f->num_ops == f->cap_ops) {
            f->cap_ops = 2 * f->cap_ops + 64;
            f->ops = realloc(f->ops, f->cap_ops * sizeof *f->ops);
        }
        f->ops[f->num_ops++] = (flat_op){in->gate, in->targets, in->num_targets, f->measurements};
        if (gi->is_measurement) f->measurements += in->num_targets;
    }
}

static void flat_free(flat_circuit *f) {
    free(f->ops);
    free(f->det_meas);
    free(f->det_start);
    free(f->obs_meas);
}

// Whether the parity of the given measurements is deterministic in the noiseless circuit
// (all qubits start in |0>). Walks backwards carrying the Pauli whose expectation the parity
// is; a reset or measurement that anticommutes with it makes the parity random.
static int parity_is_deterministic(const flat_circuit *f, uint32_t num_qubits, const uint64_t *meas, size_t n) {
    uint8_t *want = calloc(f->measurements + 1, 1);
    for (size_t i = 0; i < n; i++) want[meas[i]] ^= 1;
    uint8_t *x = calloc(num_qubits, 1), *z = calloc(num_qubits, 1);
    int ok = 1;
    for (size_t oi = f->num_ops; oi-- > 0 && ok;) {
        const flat_op *op = &f->ops[oi];
        for (uint32_t ti = op->num_targets; ti-- > 0 && ok;) {
            uint32_t q = op->targets[ti] & QP_TARGET_VALUE_MASK;
            switch (op->gate) {
            case QP_GATE_H: {
                uint8_t t = x[q];
                x[q] = z[q];
                z[q] = t;
                break;
            }
            case QP_GATE_CX:
            case QP_GATE_CZ:
                if (ti % 2 == 0) break;  // handled at the pair's second target
                {
                    uint32_t c = op->targets[ti - 1] & QP_TARGET_VALUE_MASK;
                    if (op->gate == QP_GATE_CX) {
                        x[q] ^= x[c];
                        z[c] ^= z[q];
                    } else {
                        z[c] ^= x[q];
                        z[q] ^= x[c];
                    }
                }
                break;
            case QP_GATE_R:
            case QP_GATE_MR:
                if (x[q]) ok = 0;  // |0> is random in X
                x[q] = z[q] = 0;
                if (op->gate == QP_GATE_R) break;
                __attribute__((fallthrough));  // the measurement half of MR
            case QP_GATE_M:
                if (op->gate == QP_GATE_M && x[q]) ok = 0;
                if (want[op->first_measurement + ti]) z[q] ^= 1;
                break;
            case QP_GATE_RX:
                if (z[q]) ok = 0;
                x[q] = z[q] = 0;
                break;
            case QP_GATE_MX:
                if (z[q]) ok = 0;
                if (want[op->first_measurement + ti]) x[q] ^= 1;
                break;
            default:
                cr_assert_fail("determinism check: unexpected gate %s", qp_gate_table[op->gate].name);
            }
        }
    }
    for (uint32_t q = 0; q < num_qubits && ok; q++)
        if (x[q]) ok = 0;  // the initial state |0...0> is random in X
    free(want);
    free(x);
    free(z);
    return ok;
}

// Returns the number of non-deterministic detectors (+1 if the observable is not deterministic).
static int count_random_parities(const qp_circuit *noisy) {
    qp_circuit c;
    qp_circuit_copy(&c, noisy);
    qp_circuit_strip_noise(&c);
    flat_circuit f = {0};
    flatten(&c.top, &f);
    cr_assert_eq(f.num_dets, c.num_detectors);
    int bad = 0;
    for (size_t k = 0; k < f.num_dets; k++)
        bad += !parity_is_deterministic(&f, c.num_qubits, f.det_meas + f.det_start[k],
                                        f.det_start[k + 1] - f.det_start[k]);
    bad += !parity_is_deterministic(&f, c.num_qubits, f.obs_meas, f.num_obs_meas);
    flat_free(&f);
    qp_circuit_free(&c);
    return bad;
}

Test(surface_code, every_detector_and_observable_is_deterministic) {
    const uint64_t rounds[] = {1, 2, 3, 6};
    for (int model = 0; model < 2; model++)
        for (uint32_t d = 3; d <= 7; d += 2)
            for (int bi = 0; bi < 2; bi++)
                for (int ri = 0; ri < 4; ri++) {
                    char basis = "xz"[bi];
                    qp_surface_params sp = model ? qp_surface_params_si1000(basis, d, rounds[ri], 0.001)
                                                 : qp_surface_params_uniform(basis, d, rounds[ri], 0.001);
                    qp_circuit c;
                    generate(&c, sp);
                    cr_expect_eq(c.num_detectors, (uint64_t)(d * d - 1) * rounds[ri]);
                    int bad = count_random_parities(&c);
                    cr_expect_eq(bad, 0, "%s d=%u basis=%c rounds=%llu: %d random detectors/observable",
                                 model ? "si1000" : "uniform", d, basis, (unsigned long long)rounds[ri], bad);
                    qp_circuit_free(&c);
                }
}

// The checker must be able to fail: drop one Hadamard layer and detectors become random.
Test(surface_code, determinism_check_catches_a_broken_circuit) {
    for (int model = 0; model < 2; model++) {
        qp_surface_params sp = model ? qp_surface_params_si1000('z', 3, 3, 0.001) : qp_surface_params_uniform('z', 3, 3, 0.001);
        qp_circuit c;
        generate(&c, sp);
        cr_assert_eq(count_random_parities(&c), 0);
        // Empty the first H instruction (its targets stay allocated and are freed later).
        int changed = 0;
        for (size_t i = 0; i < c.top.num_instrs && !changed; i++)
            if (c.top.instrs[i].gate == QP_GATE_H) c.top.instrs[i].num_targets = 0, changed = 1;
        cr_assert(changed);
        cr_expect_gt(count_random_parities(&c), 0, "%s: removing an H layer must randomise detectors",
                     model ? "si1000" : "uniform");
        qp_circuit_free(&c);
    }
}

// ---- noise content ----

typedef struct {
    int noise_instrs, measurement_args, cx, cz;
    double max_dep1, min_dep1;
    int has_dep2_p, has_reset_2p, has_meas_5p, has_dep1_2p, has_dep1_p10;
} noise_census;

static void census(const qp_block *b, double p, noise_census *n) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        if (in->gate == QP_GATE_REPEAT) {
            census(in->body, p, n);
            continue;
        }
        const qp_gate_info *gi = &qp_gate_table[in->gate];
        if (gi->is_noise) n->noise_instrs++;
        if (gi->is_measurement && in->num_args) {
            n->measurement_args++;
            if (fabs(in->args[0] - 5 * p) < 1e-15) n->has_meas_5p = 1;
        }
        if (in->gate == QP_GATE_CX) n->cx++;
        if (in->gate == QP_GATE_CZ) n->cz++;
        if (in->gate == QP_GATE_DEPOLARIZE2 && fabs(in->args[0] - p) < 1e-15) n->has_dep2_p = 1;
        if (in->gate == QP_GATE_X_ERROR && fabs(in->args[0] - 2 * p) < 1e-15) n->has_reset_2p = 1;
        if (in->gate == QP_GATE_DEPOLARIZE1 && fabs(in->args[0] - 2 * p) < 1e-15) n->has_dep1_2p = 1;
        if (in->gate == QP_GATE_DEPOLARIZE1 && fabs(in->args[0] - p / 10) < 1e-15) n->has_dep1_p10 = 1;
    }
}

Test(surface_code, noiseless_circuits_have_no_noise) {
    for (int model = 0; model < 2; model++)
        for (int bi = 0; bi < 2; bi++) {
            char basis = "xz"[bi];
            qp_surface_params sp = model ? qp_surface_params_si1000(basis, 5, 4, 0) : qp_surface_params_uniform(basis, 5, 4, 0);
            qp_circuit c, noisy;
            generate(&c, sp);
            noise_census n = {0};
            census(&c.top, 0, &n);
            cr_expect_eq(n.noise_instrs, 0, "p=0 circuit has %d noise instructions", n.noise_instrs);
            cr_expect_eq(n.measurement_args, 0);
            // Same experiment as the noisy one, and the same as the noisy one stripped.
            sp.p = 0.002;
            if (!model) sp = qp_surface_params_uniform(basis, 5, 4, 0.002);
            generate(&noisy, sp);
            expect_same_experiment(&c, &noisy, "noiseless vs noisy");
            qp_circuit_strip_noise(&noisy);
            qp_err err;
            cr_assert_eq(qp_circuit_finalize(&noisy, &err), 0);
            char *a = text_of(&c), *b = text_of(&noisy);
            // (Memory Z at p=0 fuses "R data" and "R measure" into one R, as stim gen does,
            // so only memory X is textually equal to the stripped noisy circuit.)
            if (!model && basis == 'x') cr_expect_str_eq(a, b, "uniform p=0 should equal the stripped noisy circuit");
            if (!model && basis == 'z') {
                const qp_instr *first_r = NULL;
                for (size_t i = 0; i < c.top.num_instrs && !first_r; i++)
                    if (c.top.instrs[i].gate == QP_GATE_R) first_r = &c.top.instrs[i];
                cr_expect(first_r && first_r->num_targets == 25 + 24, "memory Z p=0 starts with one fused R over all qubits");
            }
            free(a);
            free(b);
            qp_circuit_free(&noisy);
            qp_circuit_free(&c);
        }
}

Test(surface_code, si1000_has_the_uniform_experiment_and_si1000_noise) {
    for (int bi = 0; bi < 2; bi++)
        for (uint32_t d = 3; d <= 7; d += 2) {
            char basis = "xz"[bi];
            double p = 0.001;
            qp_circuit u, s;
            generate(&u, qp_surface_params_uniform(basis, d, 1000, p));
            generate(&s, qp_surface_params_si1000(basis, d, 1000, p));
            expect_same_experiment(&s, &u, "si1000 vs uniform");
            noise_census n = {0};
            census(&s.top, p, &n);
            cr_expect_eq(n.cx, 0, "si1000 uses CZ, not CX");
            cr_expect_gt(n.cz, 0);
            cr_expect(n.has_dep2_p && n.has_reset_2p && n.has_meas_5p && n.has_dep1_2p && n.has_dep1_p10,
                      "si1000 noise: DEPOLARIZE2(p) %d, reset X_ERROR(2p) %d, M(5p) %d, idle-during-measure "
                      "DEPOLARIZE1(2p) %d, DEPOLARIZE1(p/10) %d",
                      n.has_dep2_p, n.has_reset_2p, n.has_meas_5p, n.has_dep1_2p, n.has_dep1_p10);
            // It must survive a write/parse round trip.
            char *t = text_of(&s);
            qp_circuit back;
            qp_err err;
            cr_assert_eq(qp_circuit_parse(&back, t, "si1000", &err), 0, "%s", err.msg);
            expect_same_experiment(&back, &u, "si1000 reparsed");
            free(t);
            qp_circuit_free(&back);
            qp_circuit_free(&u);
            qp_circuit_free(&s);
        }
}

// In every SI1000 H or CZ layer of a round, every qubit gets exactly one depolarizing channel
// (the gate's own, or idling); during M and R layers every data qubit gets DEPOLARIZE1(2p).
Test(surface_code, si1000_every_qubit_has_noise_in_every_gate_layer) {
    double p = 0.001;
    qp_circuit c;
    generate(&c, qp_surface_params_si1000('x', 5, 3, p));
    const qp_block *body = NULL;
    for (size_t i = 0; i < c.top.num_instrs; i++)
        if (c.top.instrs[i].gate == QP_GATE_REPEAT) body = c.top.instrs[i].body;
    cr_assert(body);
    qp_surface_layout l;
    qp_err err;
    cr_assert_eq(qp_surface_layout_build(&l, 5, 'x', &err), 0);
    int *hits = calloc(l.num_qubits, sizeof *hits);
    int layers = 0;
    for (size_t i = 0; i <= body->num_instrs; i++) {
        const qp_instr *in = i < body->num_instrs ? &body->instrs[i] : NULL;
        if (!in || in->gate == QP_GATE_TICK) {
            // End of a layer: check it.
            int gate_layer = 0;
            for (uint32_t q = 0; q < l.num_qubits; q++) gate_layer |= hits[q];
            if (gate_layer) {
                for (uint32_t q = 0; q < l.num_qubits; q++)
                    if (l.x[q] >= 0) cr_expect_eq(hits[q], 1, "layer %d: qubit %u has %d depolarizing channels", layers, q, hits[q]);
                layers++;
            }
            memset(hits, 0, l.num_qubits * sizeof *hits);
            continue;
        }
        if (in->gate == QP_GATE_DEPOLARIZE1 && fabs(in->args[0] - p / 10) < 1e-15)
            for (uint32_t t = 0; t < in->num_targets; t++) hits[in->targets[t]]++;
        if (in->gate == QP_GATE_DEPOLARIZE2)
            for (uint32_t t = 0; t < in->num_targets; t++) hits[in->targets[t]]++;
    }
    cr_expect_eq(layers, 9, "5 H layers + 4 CZ layers per round, got %d", layers);
    free(hits);
    qp_surface_layout_free(&l);
    qp_circuit_free(&c);
}

Test(surface_code, layout_counts_and_bad_parameters) {
    for (uint32_t d = 3; d <= 11; d += 2) {
        qp_surface_layout l;
        qp_err err;
        cr_assert_eq(qp_surface_layout_build(&l, d, 'z', &err), 0, "%s", err.msg);
        cr_expect_eq(l.num_data, d * d);
        cr_expect_eq(l.num_measure, d * d - 1);
        cr_expect_eq(l.num_observable, d);
        uint32_t nx = 0;
        for (uint32_t i = 0; i < l.num_measure; i++) nx += l.measure_is_x[i];
        cr_expect_eq(nx, (d * d - 1) / 2);
        qp_surface_layout_free(&l);
    }
    qp_circuit c;
    qp_err err;
    qp_surface_params bad[] = {
        qp_surface_params_uniform('x', 4, 3, 0.001), qp_surface_params_uniform('x', 1, 3, 0.001),
        qp_surface_params_uniform('y', 3, 3, 0.001), qp_surface_params_uniform('x', 3, 0, 0.001),
        qp_surface_params_uniform('x', 3, 3, 1.5),   qp_surface_params_si1000('z', 3, 3, 0.5),
        qp_surface_params_uniform('x', 3, 3, NAN),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        cr_expect_neq(qp_surface_code_generate(&c, &bad[i], &err), 0, "bad parameters %zu accepted", i);
        cr_expect(err.msg[0] != 0);
    }
}

Test(surface_code, rounds_two_has_no_repeat_and_large_d_counts) {
    qp_circuit c;
    generate(&c, qp_surface_params_uniform('x', 5, 2, 0.001));
    for (size_t i = 0; i < c.top.num_instrs; i++) cr_expect_neq(c.top.instrs[i].gate, QP_GATE_REPEAT);
    cr_expect_eq(c.num_detectors, 48u);
    cr_expect_eq(count_random_parities(&c), 0);
    qp_circuit_free(&c);
    generate(&c, qp_surface_params_uniform('x', 11, 100000, 0.001));
    cr_expect_eq(c.num_detectors, 120ull * 100000);
    cr_expect_eq(c.num_measurements, 120ull * 100000 + 121);
    cr_expect_eq(c.max_lookback, 121u + 120u, "final detector looks back past the data and one round");
    qp_circuit_free(&c);
}
