// Soft readout in the frame sampler (workers/sim/soft_readout.h).
//
// Issue 15, must-show 2: the hard decisions of soft readout have the statistics of the circuit
// whose measurements flip with the model's implied probability M (the hard-equivalent circuit,
// sampled by the plain frame sampler, which tests/sim/test_frame_vs_stim.c checks against
// Stim). Per detector and for the observable, a two-sample z-test: every |z| < 5 and the
// chi-square of the per-detector z's has p > 0.001 (tests/sim/frame_counts.h), 200,000 shots
// per side (50,000 under the sanitizers), d=3 SI1000 memory X and Z with readout errors well
// above SI1000's own M(5p) so that a wrong M would show. Power: the same comparison with
// symmetrisation off (the state-dependent errors of plain T1-limited readout) must fail it.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/sim/frame_counts.h"
#include "tests/test_support.h"
#include "workers/circuit/surface_code.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/reference_sample.h"
#include "workers/sim/soft_readout.h"

typedef struct {
    qp_circuit c;
    uint8_t *ref;
    qp_soft_readout ro;
    qp_frame_options opt;
} soft_setup;

static void setup_soft(soft_setup *s, const qp_surface_params *sp, double snr, double t1) {
    qp_err err = {{0}};
    cr_assert_eq(qp_surface_code_generate(&s->c, sp, &err), 0, "%s", err.msg);
    s->ref = calloc((s->c.num_measurements + 7) / 8 + 1, 1);
    cr_assert_eq(qp_reference_sample(&s->c, s->ref, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_soft_readout_init(&s->ro, snr, t1, s->ref, &err), 0, "%s", err.msg);
    qp_frame_options_default(&s->opt);
    s->opt.readout = &s->ro;
}

static void free_soft(soft_setup *s) {
    qp_circuit_free(&s->c);
    free(s->ref);
}

// Detector and observable counts of n shots: soft sampling (readout given) or plain.
static void counts(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed, uint64_t n, uint64_t *det,
                   uint64_t *obs) {
    qp_err err = {{0}};
    size_t db = (c->num_detectors + 7) / 8, ob = (c->num_observables + 7) / 8;
    uint8_t *d = malloc(n * db + 1), *o = malloc(n * ob + 1);
    int rc = opt && opt->readout ? qp_frame_sample_soft(c, opt, seed, 0, 0, n, d, o, NULL, &err)
                                 : qp_frame_sample_b8(c, opt, seed, 0, 0, n, d, o, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    frame_counts_b8(d, n, db, c->num_detectors, det);
    frame_counts_b8(o, n, ob, c->num_observables, obs);
    free(d);
    free(o);
}

// Soft sampling vs the hard-equivalent circuit; returns whether frame_counts_match holds for
// the detectors (and asserts nothing), printing the statistics.
static int compare_with_equivalent(const char *name, soft_setup *s, uint64_t n, int *obs_ok) {
    qp_circuit hard;
    qp_circuit_copy(&hard, &s->c);
    qp_soft_readout_hard_equivalent(&hard, s->ro.model.flip);
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_finalize(&hard, &err), 0, "%s", err.msg);
    uint64_t D = s->c.num_detectors;
    uint64_t *ds = calloc(D, 8), *dh = calloc(D, 8), os[8] = {0}, oh[8] = {0};
    counts(&s->c, &s->opt, 11, n, ds, os);
    counts(&hard, NULL, 12, n, dh, oh);
    double worst, chi_p;
    size_t worst_bit;
    int ok = frame_counts_match(ds, n, dh, n, D, &worst, &worst_bit, &chi_p);
    double zo = frame_counts_z(os[0], n, oh[0], n);
    *obs_ok = fabs(zo) < 5;
    cr_log_info("%s (M = %.5f, symmetrise %d): worst detector z = %.2f (D%zu: %lu vs %lu of %lu), chi-square p = %.3g; "
                "observable %lu vs %lu (z = %.2f)",
                name, s->ro.model.flip, s->ro.symmetrize, worst, worst_bit, (unsigned long)ds[worst_bit],
                (unsigned long)dh[worst_bit], (unsigned long)n, chi_p, (unsigned long)os[0], (unsigned long)oh[0], zo);
    free(ds);
    free(dh);
    qp_circuit_free(&hard);
    return ok;
}

Test(soft_readout, hard_decisions_match_the_implied_flip_circuit, .timeout = 300) {
    uint64_t n = qp_test_quick() ? 50000 : 200000;
    if (qp_test_quick()) cr_log_info("QECPIPE_TEST_QUICK: %lu shots per side", (unsigned long)n);
    const char bases[] = {'z', 'x'};
    for (int i = 0; i < 2; i++) {
        qp_surface_params sp = qp_surface_params_si1000(bases[i], 3, 5, 0.002);
        soft_setup s;
        setup_soft(&s, &sp, 5, 15);  // M = 0.022, twice SI1000's M(5p) = 0.01
        cr_assert(s.ro.model.flip > 0.02 && s.ro.model.flip < 0.1, "M = %g", s.ro.model.flip);
        int obs_ok;
        int ok = compare_with_equivalent(bases[i] == 'z' ? "memory Z" : "memory X", &s, n, &obs_ok);
        cr_expect(ok, "memory %c: soft hard-decision detector rates differ from the M circuit's", bases[i]);
        cr_expect(obs_ok, "memory %c: observable flip rate differs", bases[i]);
        free_soft(&s);
    }
}

// The comparison has power: without symmetrisation a |0> errs with eps0 and a |1> with
// eps1 >> eps0, so a Z stabilizer (mostly |0>, reset each round) fires at about 2 eps0 + ...,
// not 2 M; the same test must reject that.
Test(soft_readout, comparison_rejects_state_dependent_readout, .timeout = 300) {
    uint64_t n = qp_test_quick() ? 50000 : 200000;
    qp_surface_params sp = qp_surface_params_si1000('z', 3, 5, 0.002);
    soft_setup s;
    setup_soft(&s, &sp, 5, 15);
    s.ro.symmetrize = 0;
    cr_assert(s.ro.model.eps1 > 3 * s.ro.model.eps0, "eps0 %g eps1 %g", s.ro.model.eps0, s.ro.model.eps1);
    int obs_ok;
    cr_expect(!compare_with_equivalent("memory Z", &s, n, &obs_ok),
              "state-dependent readout passed the equivalence test: the test has no power");
    free_soft(&s);
}

// p1 agrees with the hard record bit for bit (p1 > 1/2 exactly when the result is 1), the
// values sit on the documented float grid, results the model does not apply to (MPP here)
// get exactly 0 or 1, and the mean of e = min(p1, 1 - p1) over modelled results is M (the
// posterior is calibrated under symmetrisation): |z| < 5 with the sample's own variance.
Test(soft_readout, soft_values_agree_with_hard_results_and_are_calibrated) {
    const char *text =
        "R 0 1 2\n"
        "REPEAT 20 {\n"
        "  X_ERROR(0.1) 0 1\n"
        "  H 2\n"
        "  M 0\n"
        "  MX 2\n"
        "  MR 1\n"
        "  MPP(0.05) Z0*Z1\n"
        "}\n"
        "DETECTOR rec[-1]\n";
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t.stim", &err), 0, "%s", err.msg);
    uint64_t M = c.num_measurements, n = 5000;
    uint8_t *ref = calloc(M / 8 + 1, 1);
    cr_assert_eq(qp_reference_sample(&c, ref, &err), 0, "%s", err.msg);
    qp_soft_readout ro;
    cr_assert_eq(qp_soft_readout_init(&ro, 4, 10, ref, &err), 0, "%s", err.msg);
    qp_frame_options opt;
    qp_frame_options_default(&opt);
    opt.readout = &ro;
    float *soft = malloc(n * M * sizeof *soft);
    size_t rb = (M + 7) / 8;
    uint8_t *meas = malloc(n * rb);
    cr_assert_eq(qp_frame_sample_soft(&c, &opt, 5, 2, 0, n, NULL, NULL, soft, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_frame_sample_measurements_b8(&c, &opt, 5, 2, 0, n, ref, meas, &err), 0, "%s", err.msg);
    double sum = 0, sum2 = 0;
    uint64_t modelled = 0;
    for (uint64_t s = 0; s < n; s++)
        for (uint64_t m = 0; m < M; m++) {
            int bit = (meas[s * rb + m / 8] >> (m % 8)) & 1;
            float p = soft[s * M + m];
            cr_assert_eq(p > 0.5f, bit, "shot %lu measurement %lu: p1 %.9g, result %d", (unsigned long)s,
                         (unsigned long)m, p, bit);
            int is_mpp = m % 4 == 3;
            if (is_mpp) {
                cr_assert(p == 0.0f || p == 1.0f, "MPP result with p1 %.9g", p);
                continue;
            }
            double e = p < 0.5f ? p : 1.0f - p;
            cr_assert(e >= 0x1p-24 && e < 0.5 && e * 0x1p24 == floor(e * 0x1p24), "e = %.12g off the grid", e);
            sum += e, sum2 += e * e, modelled++;
        }
    double mean = sum / modelled, var = sum2 / modelled - mean * mean;
    double z = (mean - ro.model.flip) / sqrt(var / modelled);
    cr_log_info("mean e %.6f vs M %.6f over %lu results (z = %.2f)", mean, ro.model.flip, (unsigned long)modelled, z);
    cr_expect(fabs(z) < 5, "mean e %.6f vs M %.6f (z = %.2f)", mean, ro.model.flip, z);
    free(soft);
    free(meas);
    free(ref);
    qp_circuit_free(&c);
}

// Same seed, same values: batch widths (1 or 4 blocks) and windows into the run (shots
// 300..999 alone) give the same detectors and soft values as one call for shots 0..999.
Test(soft_readout, deterministic_per_shot) {
    qp_surface_params sp = qp_surface_params_si1000('x', 3, 4, 0.003);
    soft_setup s;
    setup_soft(&s, &sp, 6, 30);
    uint64_t n = 1000, M = s.c.num_measurements, D = s.c.num_detectors;
    size_t db = (D + 7) / 8;
    float *a = malloc(n * M * 4), *b = malloc(n * M * 4);
    uint8_t *da = malloc(n * db), *dbuf = malloc(n * db);
    qp_err err = {{0}};
    cr_assert_eq(qp_frame_sample_soft(&s.c, &s.opt, 3, 1, 0, n, da, NULL, a, &err), 0, "%s", err.msg);
    qp_frame_options one = s.opt;
    one.max_blocks = 1;
    cr_assert_eq(qp_frame_sample_soft(&s.c, &one, 3, 1, 0, n, dbuf, NULL, b, &err), 0, "%s", err.msg);
    cr_expect(memcmp(a, b, n * M * 4) == 0, "soft values depend on the batch width");
    cr_expect(memcmp(da, dbuf, n * db) == 0, "detectors depend on the batch width");
    cr_assert_eq(qp_frame_sample_soft(&s.c, &s.opt, 3, 1, 300, n - 300, dbuf, NULL, b, &err), 0, "%s", err.msg);
    cr_expect(memcmp(a + 300 * M, b, (n - 300) * M * 4) == 0, "soft values depend on the window");
    cr_expect(memcmp(da + 300 * db, dbuf, (n - 300) * db) == 0, "detectors depend on the window");
    // Another seed changes them.
    cr_assert_eq(qp_frame_sample_soft(&s.c, &s.opt, 4, 1, 0, n, dbuf, NULL, b, &err), 0, "%s", err.msg);
    cr_expect(memcmp(a, b, n * M * 4) != 0);
    free(a);
    free(b);
    free(da);
    free(dbuf);
    free_soft(&s);
}

Test(soft_readout, hard_equivalent_rewrites_single_qubit_measurements_only) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, "M(0.01) 0\nMR 1\nMPP(0.2) X0*X1\nMX(0.3) 2\nX_ERROR(0.1) 0\n", "t", &err), 0, "%s",
                 err.msg);
    qp_soft_readout_hard_equivalent(&c, 0.04);
    const qp_instr *in = c.top.instrs;
    cr_expect(in[0].num_args == 1 && in[0].args[0] == 0.04);
    cr_expect(in[1].num_args == 1 && in[1].args[0] == 0.04);
    cr_expect(in[2].num_args == 1 && in[2].args[0] == 0.2);
    cr_expect(in[3].num_args == 1 && in[3].args[0] == 0.04);
    cr_expect(in[4].num_args == 1 && in[4].args[0] == 0.1);
    qp_soft_readout_hard_equivalent(&c, 0);
    cr_expect(in[0].num_args == 0 && in[3].num_args == 0 && in[2].num_args == 1);
    qp_circuit_free(&c);
}

// With leakage on (frame_leak.h) a leaked qubit reads at the |2> level: P(leaked | signal)
// follows each shot after its p1 values, is > 1/2 for nearly every leaked result and < 1/2 for
// nearly every other one (a 0/1 signal beyond the 1-vs-2 boundary is rare), a leaked result is
// a fair coin under symmetrisation (|z| < 5), and p1 > 1/2 is still the hard result bit for bit.
Test(soft_readout, leaked_qubits_read_at_the_third_level) {
    qp_surface_params sp = qp_surface_params_si1000('z', 3, 5, 0.002);
    soft_setup s;
    setup_soft(&s, &sp, 6, 30);
    s.opt.leakage.p = 5e-3;
    s.opt.leakage.mean_rounds = 3;
    uint64_t n = 4000, M = s.c.num_measurements;
    size_t rb = (M + 7) / 8;
    float *soft = malloc(n * 2 * M * sizeof *soft);
    uint8_t *meas = malloc(n * rb), *leaked = malloc(n * rb);
    qp_err err = {{0}};
    cr_assert_eq(qp_frame_sample_soft(&s.c, &s.opt, 8, 0, 0, n, NULL, NULL, soft, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_frame_sample_measurements_leaked_b8(&s.c, &s.opt, 8, 0, 0, n, s.ref, meas, leaked, &err), 0, "%s",
                 err.msg);
    uint64_t nl = 0, ones_l = 0, high_l = 0, n0 = 0, high_0 = 0;
    for (uint64_t sh = 0; sh < n; sh++)
        for (uint64_t m = 0; m < M; m++) {
            int bit = (meas[sh * rb + m / 8] >> (m % 8)) & 1, lk = (leaked[sh * rb + m / 8] >> (m % 8)) & 1;
            float p1 = soft[sh * 2 * M + m], pl = soft[sh * 2 * M + M + m];
            cr_assert_eq(p1 > 0.5f, bit, "shot %lu measurement %lu: p1 %.9g, result %d", (unsigned long)sh,
                         (unsigned long)m, p1, bit);
            cr_assert(pl >= 0 && pl <= 1);
            if (lk) nl++, ones_l += bit, high_l += pl > 0.5f;
            else n0++, high_0 += pl > 0.5f;
        }
    double z = (ones_l - 0.5 * nl) / sqrt(0.25 * nl);
    cr_log_info("%lu leaked results: %lu read 1 (z = %.2f), %lu with pleak > 1/2; %lu of %lu others with pleak > 1/2",
                (unsigned long)nl, (unsigned long)ones_l, z, (unsigned long)high_l, (unsigned long)high_0,
                (unsigned long)n0);
    cr_assert_gt(nl, 500, "too few leaked results (%lu) to test", (unsigned long)nl);
    cr_expect(fabs(z) < 5, "leaked results are not fair coins: %lu of %lu read 1", (unsigned long)ones_l, (unsigned long)nl);
    // Expected: P(y > the 1-vs-2 boundary, 1.5 + sigma^2 ln(49.5) = 1.61 | |2>) = 99 %.
    cr_expect(high_l >= 0.97 * nl, "pleak > 1/2 in only %lu of %lu leaked results", (unsigned long)high_l, (unsigned long)nl);
    cr_expect(high_0 <= 0.001 * n0, "pleak > 1/2 in %lu of %lu unleaked results", (unsigned long)high_0, (unsigned long)n0);
    free(soft);
    free(meas);
    free(leaked);
    free_soft(&s);
}
