// Leakage in the frame simulator (workers/sim/frame_leak.h): the leak rate per gate, the
// geometric lifetime in measurement layers, the disturbance of a leaked qubit's gate partners
// (per round, against the model's closed form), fair-coin readout of leaked qubits, the
// maximally mixed return; p = 0 gives the bytes of the sampler without leakage; the bytes do
// not depend on the batch width. Statistics: within 5 standard deviations.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/frame_sim.h"

#define Z_MAX 5.0

// Per shot (of [0, shots)) and per measurement: the result's flip and whether the qubit was
// leaked when measured; per shot and detector: the detection event. One byte each.
typedef struct {
    uint64_t shots, M, D;
    uint8_t *flip, *leak, *det;
} collect;

static void put_rows(uint8_t *dst, uint64_t width, uint64_t shots, uint64_t batch_first, uint64_t first,
                     size_t n, const uint64_t *rows, size_t stride) {
    for (size_t i = 0; i < n; i++)
        for (uint64_t k = 0; k < 64 * (uint64_t)stride && batch_first + k < shots; k++)
            dst[(batch_first + k) * width + first + i] = (rows[i * stride + k / 64] >> (k % 64)) & 1;
}

static int on_meas(void *ctx, uint64_t bf, uint64_t first, size_t n, const uint64_t *rows, size_t stride, qp_err *e) {
    collect *c = ctx;
    put_rows(c->flip, c->M, c->shots, bf, first, n, rows, stride);
    return 0;
}

static int on_leak(void *ctx, uint64_t bf, uint64_t first, size_t n, const uint64_t *rows, size_t stride, qp_err *e) {
    collect *c = ctx;
    put_rows(c->leak, c->M, c->shots, bf, first, n, rows, stride);
    return 0;
}

static int on_dets(void *ctx, uint64_t bf, uint64_t first, size_t n, const uint64_t *rows, size_t stride, qp_err *e) {
    collect *c = ctx;
    put_rows(c->det, c->D, c->shots, bf, first, n, rows, stride);
    return 0;
}

static collect run(const qp_circuit *circ, double p, double mean_rounds, uint32_t max_blocks, uint64_t shots,
                   uint64_t seed) {
    qp_frame_options opt;
    qp_frame_options_default(&opt);
    opt.max_blocks = max_blocks;
    opt.leakage.p = p;
    opt.leakage.mean_rounds = mean_rounds;
    qp_err err = {{0}};
    qp_frame_sim sim;
    cr_assert_eq(qp_frame_sim_init(&sim, circ, &opt, &err), 0, "%s", err.msg);
    collect c = {shots, circ->num_measurements, circ->num_detectors, NULL, NULL, NULL};
    c.flip = calloc(shots * c.M + 1, 1);
    c.leak = calloc(shots * c.M + 1, 1);
    c.det = calloc(shots * c.D + 1, 1);
    qp_frame_sink sink = {&c, on_dets, NULL, on_meas, on_leak, NULL};
    cr_assert_eq(qp_frame_sim_run_shots(&sim, seed, 3, 0, shots, &sink, &err), 0, "%s", err.msg);
    qp_frame_sim_free(&sim);
    return c;
}

static void collect_free(collect *c) {
    free(c->flip);
    free(c->leak);
    free(c->det);
}

static void parse(qp_circuit *c, const char *text) {
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(c, text, "test", &err), 0, "%s", err.msg);
}

// |k - n q| within Z_MAX binomial standard deviations.
static void expect_binomial(uint64_t k, uint64_t n, double q, const char *what) {
    double sd = sqrt((double)n * q * (1 - q));
    double z = ((double)k - (double)n * q) / (sd > 0 ? sd : 1);
    cr_expect(fabs(z) < Z_MAX, "%s: %lu of %lu, expected %.1f (z = %.2f)", what, (unsigned long)k, (unsigned long)n,
              (double)n * q, z);
}

// Qubits 0..63 take one X gate each, 64..127 one CZ each (pairs 64-65, 66-67, ...), then all are
// measured once. Each leaks with probability p at its gate; a leaked qubit reads a fair coin;
// the partner of a leaked CZ qubit gets I/X/Y/Z uniformly, so its Z measurement flips with
// probability 1/2; every other result is exact (the circuit is noiseless).
Test(frame_leak, rate_per_gate_readout_and_partner_disturbance) {
    char text[4096], *t = text;
    t += sprintf(t, "X");
    for (int q = 0; q < 64; q++) t += sprintf(t, " %d", q);
    t += sprintf(t, "\nCZ");
    for (int q = 64; q < 128; q++) t += sprintf(t, " %d", q);
    t += sprintf(t, "\nM");
    for (int q = 0; q < 128; q++) t += sprintf(t, " %d", q);
    sprintf(t, "\n");
    qp_circuit c;
    parse(&c, text);
    const double p = 0.01;
    const uint64_t shots = 20000;
    collect r = run(&c, p, 5, 4, shots, 11);
    uint64_t leaked[2] = {0, 0}, leaked_flips = 0, n_leaked = 0, disturbed = 0, disturbed_flips = 0, clean_flips = 0;
    for (uint64_t s = 0; s < shots; s++)
        for (uint32_t q = 0; q < 128; q++) {
            uint8_t l = r.leak[s * 128 + q], f = r.flip[s * 128 + q];
            leaked[q >= 64] += l;
            if (l) {
                n_leaked++;
                leaked_flips += f;
            } else if (q >= 64 && r.leak[s * 128 + (q ^ 1)]) {
                disturbed++;
                disturbed_flips += f;
            } else {
                clean_flips += f;
            }
        }
    expect_binomial(leaked[0], 64 * shots, p, "leaks at single-qubit gates");
    expect_binomial(leaked[1], 64 * shots, p, "leaks at two-qubit gates");
    expect_binomial(leaked_flips, n_leaked, 0.5, "flipped results of leaked qubits");
    // A partner found leaked at M leaked at this CZ (after the gate: no disturbance) or not;
    // here every leak happens at the gate itself, so partners are never disturbed.
    cr_expect_eq(disturbed_flips, 0, "%lu of %lu partners of qubits leaking at the gate flipped",
                 (unsigned long)disturbed_flips, (unsigned long)disturbed);
    cr_expect_eq(clean_flips, 0, "%lu results of unleaked qubits flipped in a noiseless circuit", (unsigned long)clean_flips);
    collect_free(&r);
    qp_circuit_free(&c);
}

// Qubit 0 leaks at its X gate, then is measured in 300 layers: it is seen leaked in a prefix of
// G layers, G geometric with mean mean_rounds; after returning its result is a fair coin that
// later Z measurements repeat (a random X component). Qubit 1, never measured until the end,
// still returns at the layers of others: leaked after 3 layers with probability p (1-r)^3.
Test(frame_leak, lifetime_in_measurement_layers_and_mixed_return) {
    qp_circuit c;
    parse(&c, "X 0\nREPEAT 300 {\n M 0\n}\n");
    const double p = 0.2, mean = 5, r_ret = 1 / mean;
    const uint64_t shots = 20000, L = 300;
    collect r = run(&c, p, mean, 4, shots, 12);
    uint64_t n = 0, first_flips = 0, returned = 0, gaps = 0, changed = 0;
    double sum = 0, sum2 = 0;
    for (uint64_t s = 0; s < shots; s++) {
        const uint8_t *l = r.leak + s * L, *f = r.flip + s * L;
        uint64_t g = 0;
        while (g < L && l[g]) g++;
        for (uint64_t k = g; k < L; k++) gaps += l[k];  // leaked again after returning: impossible
        if (g == 0) {
            for (uint64_t k = 0; k < L; k++) changed += f[k];
            continue;
        }
        n++;
        sum += (double)g;
        sum2 += (double)g * g;
        if (g < L) {
            returned++;
            first_flips += f[g];
            for (uint64_t k = g + 1; k < L; k++) changed += f[k] != f[g];
        }
    }
    cr_expect_eq(gaps, 0, "a qubit leaked again without a gate");
    cr_expect_eq(changed, 0, "results changed between measurements without noise");
    expect_binomial(n, shots, p, "shots leaked at the gate");
    double m = sum / (double)n, var = (1 - r_ret) / (r_ret * r_ret);
    double z = (m - mean) / sqrt(var / (double)n);
    cr_expect(fabs(z) < Z_MAX, "mean leaked layers %.3f, expected %.1f (z = %.2f)", m, mean, z);
    double sample_var = sum2 / (double)n - m * m;
    cr_expect(fabs(sample_var - var) < 0.25 * var, "variance of the lifetime %.2f, geometric %.2f", sample_var, var);
    expect_binomial(first_flips, returned, 0.5, "first results after returning that flipped");
    collect_free(&r);
    qp_circuit_free(&c);

    parse(&c, "X 1\nM 0\nM 0\nM 0\nM 1\n");
    r = run(&c, p, mean, 4, shots, 13);
    uint64_t still = 0;
    for (uint64_t s = 0; s < shots; s++) still += r.leak[s * 4 + 3];
    expect_binomial(still, shots, p * pow(1 - r_ret, 3), "unmeasured qubit still leaked after 3 layers");
    collect_free(&r);
    qp_circuit_free(&c);
}

// Per round: reset measure qubit 1, CZ it with qubit 0, measure it, detector on the result.
// Without leakage nothing fires. Both qubits leak at the CZ with probability p and return at
// each layer with probability r, independently, so a_k = P(leaked before round k's CZ) follows
// a_1 = 0, a_{k+1} = (a_k + (1 - a_k) p)(1 - r). The detector fires with probability 1/2 when
// qubit 1 is leaked at M (a fair coin) or qubit 0 was leaked at the CZ (a random Pauli on
// qubit 1, X or Y flip it): e_k = (1 - (1 - a_k)^2 (1 - p)) / 2. Checked round by round; the
// rates without the disturbance term, (a_k + (1 - a_k) p) / 2, must be rejected.
// CZ runs through the fused CX/CY/CZ kernel, SQRT_ZZ (also diagonal: Z measurements of qubit 1
// see only the disturbance) through the generic two-qubit path.
static void partner_rates(const char *gate) {
    const int rounds = 40;
    char text[256];
    sprintf(text, "REPEAT %d {\n R 1\n %s 0 1\n M 1\n DETECTOR rec[-1]\n}\n", rounds, gate);
    qp_circuit c;
    parse(&c, text);
    const double p = 0.02, mean = 4, r_ret = 1 / mean;
    const uint64_t shots = 20000;
    collect r = run(&c, p, mean, 4, shots, 14);
    double a = 0, chi_without = 0;
    for (int k = 0; k < rounds; k++) {
        uint64_t fired = 0;
        for (uint64_t s = 0; s < shots; s++) fired += r.det[s * rounds + k];
        double e = (1 - (1 - a) * (1 - a) * (1 - p)) / 2, e0 = (a + (1 - a) * p) / 2;
        char what[64];
        sprintf(what, "%s: round %d detection events", gate, k + 1);
        expect_binomial(fired, shots, e, what);
        double z0 = ((double)fired - shots * e0) / sqrt(shots * e0 * (1 - e0));
        chi_without += z0 * z0;
        a = (a + (1 - a) * p) * (1 - r_ret);
    }
    // Without the disturbance, the 40 rounds would sit about 15 standard deviations off each.
    cr_expect_gt(chi_without, rounds * Z_MAX * Z_MAX, "%s: the detector rates do not show the disturbance (chi2 %.0f)",
                 gate, chi_without);
    collect_free(&r);
    qp_circuit_free(&c);
}

Test(frame_leak, leaked_partner_raises_detector_rates_as_predicted) {
    partner_rates("CZ");
    partner_rates("SQRT_ZZ");
}

static void sample_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t first, uint64_t n, uint8_t *d,
                      uint8_t *o) {
    qp_err err = {{0}};
    cr_assert_eq(qp_frame_sample_b8(c, opt, 5, 1, first, n, d, o, &err), 0, "%s", err.msg);
}

// p = 0 is the sampler without leakage, byte for byte; p > 0 changes the bytes; the same bits
// (detectors, observables, leaked rows) whatever the batch width and however the run is cut.
Test(frame_leak, off_is_identical_and_batching_does_not_matter) {
    char path[4096];
    cr_assert_eq(qp_test_find("surface_x_d5_r5_p0.003.stim", path, sizeof path), 0);
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
    size_t rb = (c.num_detectors + 7) / 8, ob = (c.num_observables + 7) / 8;
    const uint64_t n = 3000;
    uint8_t *d_ref = calloc(n, rb), *o_ref = calloc(n, ob), *d = calloc(n, rb), *o = calloc(n, ob);
    qp_frame_options opt;
    qp_frame_options_default(&opt);
    sample_b8(&c, &opt, 0, n, d_ref, o_ref);
    opt.leakage.mean_rounds = 5;
    sample_b8(&c, &opt, 0, n, d, o);
    cr_expect_eq(memcmp(d, d_ref, n * rb), 0, "p = 0 changed the detector bytes");
    cr_expect_eq(memcmp(o, o_ref, n * ob), 0, "p = 0 changed the observable bytes");

    opt.leakage.p = 2e-3;
    sample_b8(&c, &opt, 0, n, d_ref, o_ref);
    cr_expect_neq(memcmp(d, d_ref, n * rb), 0, "leakage p = 2e-3 gave the bytes without leakage");
    uint32_t widths[] = {1, 3, 8};
    for (int i = 0; i < 3; i++) {
        opt.max_blocks = widths[i];
        memset(d, 0xAA, n * rb);
        sample_b8(&c, &opt, 0, n, d, o);
        cr_expect_eq(memcmp(d, d_ref, n * rb), 0, "detector bytes differ with %u blocks per batch", widths[i]);
        cr_expect_eq(memcmp(o, o_ref, n * ob), 0, "observable bytes differ with %u blocks per batch", widths[i]);
    }
    opt.max_blocks = 2;
    uint64_t cuts[] = {0, 1, 300, 1234, 1235, 2900, n};
    for (int i = 0; i + 1 < 7; i++)
        sample_b8(&c, &opt, cuts[i], cuts[i + 1] - cuts[i], d + cuts[i] * rb, o + cuts[i] * ob);
    cr_expect_eq(memcmp(d, d_ref, n * rb), 0, "detector bytes differ when the run is split into calls");

    collect a = run(&c, 2e-3, 5, 1, n, 5), b = run(&c, 2e-3, 5, 5, n, 5);
    uint64_t any = 0;
    for (uint64_t i = 0; i < n * a.M; i++) any += a.leak[i];
    cr_expect_gt(any, 0, "nothing leaked");
    cr_expect_eq(memcmp(a.leak, b.leak, n * a.M), 0, "leaked rows differ with 1 and 5 blocks per batch");
    cr_expect_eq(memcmp(a.flip, b.flip, n * a.M), 0, "measurement flips differ with 1 and 5 blocks per batch");
    collect_free(&a);
    collect_free(&b);
    free(d_ref);
    free(o_ref);
    free(d);
    free(o);
    qp_circuit_free(&c);
}

Test(frame_leak, bad_parameters_are_errors) {
    qp_circuit c;
    parse(&c, "CZ 0 1\nM 0 1\n");
    double bad[][2] = {{1.5, 5}, {-0.1, 5}, {NAN, 5}, {0.01, 0.5}, {0.01, 0}, {0.01, INFINITY}};
    for (int i = 0; i < 6; i++) {
        qp_frame_options opt;
        qp_frame_options_default(&opt);
        opt.leakage.p = bad[i][0];
        opt.leakage.mean_rounds = bad[i][1];
        qp_frame_sim sim;
        qp_err err = {{0}};
        cr_expect_eq(qp_frame_sim_init(&sim, &c, &opt, &err), -1, "p %g mean_rounds %g accepted", bad[i][0], bad[i][1]);
        cr_expect(strstr(err.msg, "leakage") != NULL, "%s", err.msg);
    }
    qp_circuit_free(&c);
}
