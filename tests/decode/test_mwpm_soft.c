// mwpm-soft (workers/decode/mwpm_soft.h, decoder kind "mwpm-soft"), with soft readout made
// here rather than by a soft sampler:
//   - the reweighted integer weights of a hand-built circuit equal the rule's formula
//     (p_other = (p_e - q0)/(1 - 2 q0) per measurement, p' = p_other (+) e_m (+) ...,
//     2*round(log((1-p')/p') * scale / 2)), p1 = 0/1 or e = q0 leave an edge alone, several
//     measurements on one edge combine, weights are restored, bad p1 is one clear error;
//   - the measurement map (workers/circuit/measurement_map.h) reproduces the frame sampler's
//     detectors and observables from its measurement flips on every shot below (soft_shots.h);
//   - with every e_m = q0 (and some p1 exactly 0 or 1) mwpm-soft equals mwpm bit for bit
//     (predictions and weights) on SI1000 d=3 and d=5;
//   - soft readout that varies: per shot and measurement e_m drawn log-uniformly in
//     [1e-4, 0.3], the result flipped with probability e_m exactly, p1 accordingly; the rest of
//     the noise from SI1000 (p = 0.001) by the frame sampler (measurement flips taken out of the
//     sampled circuit, the decoders' circuit saying M(E[e_m]) instead). Paired comparison on the
//     same shots: D = mwpm mistakes - mwpm-soft mistakes, sd sqrt(discordant shots) under "no
//     difference"; asserted D > 5 sd at d=3 and d=5, 20,000 shots each (5,000 under
//     QECPIPE_TEST_QUICK).
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/decode/soft_shots.h"
#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/circuit/measurement_map.h"
#include "workers/circuit/surface_code.h"
#include "workers/decode/decoder.h"
#include "workers/decode/mwpm_soft.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"
#include "workers/util/rng.h"

static void parse_circuit(qp_circuit *c, const char *text) {
    qp_err err;
    cr_assert_eq(qp_circuit_parse(c, text, "test.stim", &err), 0, "%s", err.msg);
}

static void analyse(const qp_circuit *c, qp_dem *dem) {
    qp_err err;
    qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 1};
    cr_assert_eq(qp_error_analysis(c, &eo, dem, &err), 0, "%s", err.msg);
}

static double xor_p(double p, double q) { return p * (1 - q) + q * (1 - p); }

// Integer weight of probability p on graph g, as the rule says.
static int64_t int_weight(const qp_matching_graph *g, double p) {
    return 2 * (int64_t)llround(log((1 - p) / p) * g->scale / 2);
}

static int64_t edge_weight(const qp_matching_graph *g, uint32_t a, uint32_t b) {
    if (b == QP_MG_BOUNDARY) return g->boundary_weight[a];
    long k = qp_matching_graph_adj_index(g, a, b);
    cr_assert_geq(k, 0, "no edge D%u-D%u", a, b);
    return g->adj_weight[k];
}

// Measurements (record order):
//   m0 = q0, m1 = q1 (first M(0.02)); m2 = q0, m3 = q1 (M(0.04)); m4, m5 = q2 (M(0.01), M(0.02));
//   m6 = q3 (M(0.1), in no detector).
// Detectors: D0 = m0, D1 = m1, D2 = m0^m2, D3 = m1^m3 (and L0 = m3), D4 = m4^m5.
// Edges of the measurement flips and what else is on them (by hand):
//   m0 -> D0-D2: only m0's flip, p_e = 0.02, p_other = 0
//   m1 -> D1-D3: p_e = 0.02, p_other = 0
//   m2 -> D2-B:  p_e = 0.04, p_other = 0
//   m3 -> D3-B L0: m3's flip (+) X_ERROR(0.03) on q1 before it: p_other = 0.03
//   m4, m5 -> D4-B: both flips (+) X_ERROR(0.005) between them: p_other = 0.005
//   X_ERROR(0.05) on q0 before m0 flips m0 and m2: D0 alone (D0-B), no measurement's edge.
static const char *tiny_circuit =
    "R 0 1 2 3\n"
    "X_ERROR(0.05) 0\n"
    "M(0.02) 0 1\n"
    "DETECTOR rec[-2]\n"
    "DETECTOR rec[-1]\n"
    "X_ERROR(0.03) 1\n"
    "M(0.04) 0 1\n"
    "DETECTOR rec[-4] rec[-2]\n"
    "DETECTOR rec[-3] rec[-1]\n"
    "OBSERVABLE_INCLUDE(0) rec[-1]\n"
    "M(0.01) 2\n"
    "X_ERROR(0.005) 2\n"
    "M(0.02) 2\n"
    "DETECTOR rec[-2] rec[-1]\n"
    "M(0.1) 3\n";

Test(mwpm_soft, reweighted_weights_follow_the_formula) {
    qp_circuit c;
    parse_circuit(&c, tiny_circuit);
    qp_dem dem;
    analyse(&c, &dem);
    qp_err err;
    qp_mwpm_soft *s = qp_mwpm_soft_create(&dem, &c, &err);
    cr_assert(s, "%s", err.msg);
    qp_mwpm_soft_stats st = qp_mwpm_soft_stats_of(s);
    cr_assert_eq(st.num_measurements, 7);
    cr_assert_eq(st.reweighted, 6);
    cr_assert_eq(st.invisible, 1);
    cr_assert_eq(st.soft_edges, 5);
    const qp_matching_graph *g = qp_mwpm_soft_graph(s);
    const uint32_t ea[5] = {0, 1, 2, 3, 4}, eb[5] = {2, 3, QP_MG_BOUNDARY, QP_MG_BOUNDARY, QP_MG_BOUNDARY};
    const double p_other[5] = {0, 0, 0, 0.03, 0.005};
    int64_t built[5];
    for (int e = 0; e < 5; e++) built[e] = edge_weight(g, ea[e], eb[e]);
    int64_t built_d0 = g->boundary_weight[0];
    // The built weights are the DEM's: p_e = p_other (+) the measurements' q0.
    const double p_e[5] = {0.02, 0.02, 0.04, xor_p(0.03, 0.04), xor_p(xor_p(0.005, 0.01), 0.02)};
    for (int e = 0; e < 5; e++) cr_assert_eq(built[e], int_weight(g, p_e[e]), "edge %d", e);

    // p1 per measurement: m0 e = 0.3 (p1 = 0.7: the other side of 1/2), m1 p1 = 0 (no
    // information), m2 e = q0 as float (unchanged), m3 e = 1e-4, m4 e = 0.2, m5 p1 = 1 (keeps
    // q0 = 0.02 in the combination), m6 anything (no edge).
    float p1[7] = {0.7f, 0.0f, 0.04f, 1e-4f, 0.2f, 1.0f, 0.5f};
    cr_assert_eq(qp_mwpm_soft_apply(s, p1, &err), 0, "%s", err.msg);
    double e0 = 1.0 - (double)0.7f;
    double want_p[5] = {xor_p(p_other[0], e0), -1, -1, xor_p(p_other[3], (double)1e-4f),
                        xor_p(xor_p(p_other[4], (double)0.2f), 0.02)};
    for (int e = 0; e < 5; e++) {
        int64_t got = edge_weight(g, ea[e], eb[e]);
        if (want_p[e] < 0) {
            cr_assert_eq(got, built[e], "edge %d should keep its weight", e);
            continue;
        }
        int64_t want = int_weight(g, want_p[e]);
        // p_other comes out of (p_e - q0)/(1 - 2 q0) in floating point: at most one step apart.
        cr_assert(llabs(got - want) <= 2, "edge %d: weight %lld, formula %lld", e, (long long)got, (long long)want);
        cr_assert_neq(got, built[e], "edge %d should change", e);
    }
    cr_assert_eq(g->boundary_weight[0], built_d0, "D0-B is no measurement's edge");
    qp_mwpm_soft_restore(s);
    for (int e = 0; e < 5; e++) cr_assert_eq(edge_weight(g, ea[e], eb[e]), built[e], "edge %d not restored", e);

    // A confident m0 (e tiny, p_other 0): a very dear edge, still a finite even weight.
    float sure[7] = {1e-30f, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(qp_mwpm_soft_apply(s, sure, &err), 0, "%s", err.msg);
    int64_t w0 = edge_weight(g, 0, 2);
    cr_assert(w0 > built[0] && w0 % 2 == 0 && w0 == int_weight(g, (double)1e-30f), "%lld", (long long)w0);
    qp_mwpm_soft_restore(s);

    // Decoding restores the weights too; a p1 that is not a probability is one error naming it.
    uint8_t dets = 0x01 | 0x04;  // D0 D2: m0's flip
    uint64_t obs;
    double w;
    cr_assert_eq(qp_mwpm_soft_decode_b8(s, &dets, p1, &obs, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(obs, 0);
    // Matched on the shot's weight of D0-D2 (p' = 0.3), then the built weight is back.
    cr_assert_float_eq(w, (double)int_weight(g, want_p[0]) / g->scale + g->base_weight, 3 / g->scale, "%g", w);
    cr_assert_eq(edge_weight(g, 0, 2), built[0]);
    float bad[7] = {0.5f, 0, NAN, 0, 0, 0, 0};
    cr_assert_neq(qp_mwpm_soft_apply(s, bad, &err), 0);
    cr_assert(strstr(err.msg, "measurement 2"), "%s", err.msg);
    bad[2] = 1.5f;
    cr_assert_neq(qp_mwpm_soft_decode_b8(s, &dets, bad, &obs, &w, &err), 0);
    for (int e = 0; e < 5; e++) cr_assert_eq(edge_weight(g, ea[e], eb[e]), built[e]);
    qp_mwpm_soft_free(s);
    qp_dem_free(&dem);
    qp_circuit_free(&c);
}

Test(mwpm_soft, decoder_interface_needs_circuit_and_soft_input) {
    qp_circuit c;
    parse_circuit(&c, tiny_circuit);
    qp_dem dem;
    analyse(&c, &dem);
    qp_err err;
    cr_assert_null(qp_decoder_create("mwpm-soft", &dem, &err));
    cr_assert(strstr(err.msg, "needs the circuit"), "%s", err.msg);
    qp_decoder *dec = qp_decoder_create_from_circuit("mwpm-soft", &dem, &c, &err);
    cr_assert(dec, "%s", err.msg);
    cr_assert_eq(qp_decoder_id_of(dec), QP_DEC_MWPM_SOFT);
    cr_assert(qp_decoder_soft_kinds() & (1u << QP_DEC_MWPM_SOFT));
    cr_assert_eq(qp_decoder_from_name("mwpm-soft"), QP_DEC_MWPM_SOFT);
    uint8_t dets = 0x05, pred;
    cr_assert_neq(qp_decoder_decode_batch(dec, &dets, 1, 1, &pred, NULL, &err), 0);
    cr_assert(strstr(err.msg, "soft readout"), "%s", err.msg);
    cr_assert_neq(qp_decoder_decode_batch_soft(dec, &dets, 1, 1, NULL, &pred, NULL, &err), 0);
    float p1[8] = {0.3f, 0, 0, 0, 0, 0, 0, 0};
    qp_soft_batch wrong = {p1, NULL, 8, 8};
    cr_assert_neq(qp_decoder_decode_batch_soft(dec, &dets, 1, 1, &wrong, &pred, NULL, &err), 0);
    cr_assert(strstr(err.msg, "8 measurements") && strstr(err.msg, "has 7"), "%s", err.msg);
    qp_soft_batch soft = {p1, NULL, 7, 7};
    cr_assert_eq(qp_decoder_decode_batch_soft(dec, &dets, 1, 1, &soft, &pred, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(pred, 0);
    // A hard decoder takes soft input and ignores it.
    qp_decoder *plain = qp_decoder_create("mwpm", &dem, &err);
    uint8_t pp;
    cr_assert_eq(qp_decoder_decode_batch_soft(plain, &dets, 1, 1, &soft, &pp, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(pp, pred);
    qp_decoder_free(plain);
    qp_decoder_free(dec);
    qp_dem_free(&dem);
    qp_circuit_free(&c);
}

// ---- Surface-code shots with soft readout made here -----------------------------------------

static void si1000(qp_circuit *c, uint32_t d, double p) {
    qp_err err;
    qp_surface_params sp = qp_surface_params_si1000('z', d, d, p);
    cr_assert_eq(qp_surface_code_generate(c, &sp, &err), 0, "%s", err.msg);
}

typedef struct {
    uint64_t soft_wrong, hard_wrong, discordant, identical;
} comparison;

static comparison compare(const qp_circuit *decode_circuit, const qp_soft_shots *s, int require_identical) {
    qp_dem dem;
    analyse(decode_circuit, &dem);
    qp_err err;
    qp_decoder *soft = qp_decoder_create_from_circuit("mwpm-soft", &dem, decode_circuit, &err);
    cr_assert(soft, "%s", err.msg);
    // Every measurement flip of a surface-code memory circuit is one graph edge.
    qp_mwpm_soft *ms = qp_mwpm_soft_create(&dem, decode_circuit, &err);
    cr_assert(ms, "%s", err.msg);
    qp_mwpm_soft_stats st = qp_mwpm_soft_stats_of(ms);
    cr_assert_eq(st.reweighted, s->M, "%u of %u measurements reweighted (invisible %u, not graphlike %u, no edge %u)",
                 st.reweighted, s->M, st.invisible, st.not_graphlike, st.no_edge);
    qp_mwpm_soft_free(ms);
    qp_decoder *hard = qp_decoder_create("mwpm", &dem, &err);
    cr_assert(hard, "%s", err.msg);
    uint8_t *ps = calloc(s->shots, s->obs_bytes), *ph = calloc(s->shots, s->obs_bytes);
    double *ws = calloc(s->shots, sizeof *ws), *wh = calloc(s->shots, sizeof *wh);
    qp_soft_batch sb = {s->p1, NULL, s->M, s->M};
    cr_assert_eq(qp_decoder_decode_batch_soft(soft, s->dets, s->shots, s->det_bytes, &sb, ps, ws, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(qp_decoder_decode_batch(hard, s->dets, s->shots, s->det_bytes, ph, wh, &err), 0, "%s", err.msg);
    comparison r = {0};
    for (uint64_t t = 0; t < s->shots; t++) {
        int sw = memcmp(ps + t * s->obs_bytes, s->obs + t * s->obs_bytes, s->obs_bytes) != 0;
        int hw = memcmp(ph + t * s->obs_bytes, s->obs + t * s->obs_bytes, s->obs_bytes) != 0;
        r.soft_wrong += sw;
        r.hard_wrong += hw;
        r.discordant += sw != hw;
        int same = memcmp(ps + t * s->obs_bytes, ph + t * s->obs_bytes, s->obs_bytes) == 0 && ws[t] == wh[t];
        r.identical += same;
        if (require_identical)
            cr_assert(same, "shot %llu: mwpm-soft (pred %u, weight %.17g) differs from mwpm (pred %u, weight %.17g)",
                      (unsigned long long)t, ps[t * s->obs_bytes], ws[t], ph[t * s->obs_bytes], wh[t]);
    }
    free(ps);
    free(ph);
    free(ws);
    free(wh);
    qp_decoder_free(soft);
    qp_decoder_free(hard);
    qp_dem_free(&dem);
    return r;
}

// e_m = q0 everywhere (p1 = q0 or 1 - q0 as float; one measurement in 16 p1 exactly 0 or 1,
// i.e. no soft information): the reweighting must change nothing at all.
static void equal_when_readout_says_q0(uint32_t d) {
    qp_circuit c;
    si1000(&c, d, 0.002);  // M(0.01)
    uint64_t shots = qp_test_quick() ? 1000 : 4000;
    qp_soft_shots s;  // sampled with the circuit's own M(0.01), no readout flips added
    qp_err err;
    cr_assert_eq(qp_soft_shots_make(&s, &c, shots, 7 + d, NULL, 0.0, &err), 0, "%s", err.msg);
    for (uint64_t i = 0; i < shots * s.M; i++) {
        float q = 0.01f;
        if (i % 16 == 5) q = 0.0f;
        s.p1[i] = s.p1[i] > 0.5f ? 1.0f - q : q;
    }
    comparison r = compare(&c, &s, 1);
    cr_assert_eq(r.identical, shots);
    cr_assert(r.hard_wrong > 0, "d=%u: no mistakes at all: the comparison says nothing", d);
    printf("mwpm_soft d=%u, e_m = q0: %llu shots identical to mwpm (%llu mistakes each)\n", d,
           (unsigned long long)r.identical, (unsigned long long)r.hard_wrong);
    qp_soft_shots_free(&s);
    qp_circuit_free(&c);
}

Test(mwpm_soft, equals_mwpm_when_readout_says_q0_d3) { equal_when_readout_says_q0(3); }
Test(mwpm_soft, equals_mwpm_when_readout_says_q0_d5) { equal_when_readout_says_q0(5); }

// Spread readout errors: the soft decoder must make fewer mistakes than mwpm on the same shots.
static void fewer_mistakes_with_soft_readout(uint32_t d) {
    const double mean_e = qp_soft_log_uniform_mean();
    qp_circuit sample, decode;
    si1000(&sample, d, 0.001);
    qp_soft_set_measurement_flip(&sample.top, -1);  // readout errors come only from the soft draw
    si1000(&decode, d, 0.001);
    qp_soft_set_measurement_flip(&decode.top, mean_e);  // mwpm's best single flip probability
    uint64_t shots = qp_test_quick() ? 5000 : 20000;
    qp_soft_shots s;
    qp_err err;
    cr_assert_eq(qp_soft_shots_make(&s, &sample, shots, 100 + d, qp_soft_log_uniform_e, 0, &err), 0, "%s", err.msg);
    comparison r = compare(&decode, &s, 0);
    double D = (double)r.hard_wrong - (double)r.soft_wrong, sd = sqrt((double)r.discordant), z = sd > 0 ? D / sd : 0;
    printf("mwpm_soft d=%u, e_m log-uniform [1e-4, 0.3] (mean %.4f), SI1000 p=0.001, %llu shots: mwpm %llu mistakes, "
           "mwpm-soft %llu; difference %.0f = %.1f sd (discordant %llu)\n",
           d, mean_e, (unsigned long long)shots, (unsigned long long)r.hard_wrong, (unsigned long long)r.soft_wrong, D,
           z, (unsigned long long)r.discordant);
    cr_assert(z > 5, "d=%u: mwpm-soft %llu mistakes vs mwpm %llu: only %.1f sd apart", d,
              (unsigned long long)r.soft_wrong, (unsigned long long)r.hard_wrong, z);
    qp_soft_shots_free(&s);
    qp_circuit_free(&sample);
    qp_circuit_free(&decode);
}

Test(mwpm_soft, fewer_mistakes_than_mwpm_d3, .timeout = 300) { fewer_mistakes_with_soft_readout(3); }
Test(mwpm_soft, fewer_mistakes_than_mwpm_d5, .timeout = 300) { fewer_mistakes_with_soft_readout(5); }
