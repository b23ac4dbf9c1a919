// Correlated matching (workers/decode/correlated.h, decoder kind "mwpm-corr"):
//   - the reweighting rule on a hand-built DEM where only the correlation gives the right
//     answer (plain MWPM predicts the wrong observable, mwpm-corr the right one), and the rule
//     table's implied weight checked by hand;
//   - a DEM without `^` has no rules and decodes exactly as "mwpm";
//   - decoding leaves the graph's weights as built (the second pass's lowering is undone);
//   - agreement with PyMatching's `--enable_correlations` predictions (NAME.pymatching_corr.01)
//     on >= 99.5 % of shots for every case of the vectors (the 1000-round case: its first 300
//     shots, for time), printing both mistake counts and our µs/shot (printed, not asserted);
//   - correlated beats plain MWPM on the vectors' 20,000-shot files at p = 0.003 and 0.005 for
//     d = 5 and d = 7, both bases pooled (40,000 shots per (d, p)). Test: over the same shots,
//     D = mwpm mistakes - corr mistakes is a difference of paired counts; under "no
//     difference" its sd is sqrt(discordant shots) (shots where exactly one decoder is wrong).
//     Asserted: D > 0 for each (d, p), and D > 3 sd for the pooled d = 7 cases and for all
//     eight files pooled (the vectors' PyMatching counts put the smaller cells at ~2-3 sd;
//     bench/bench_corr.c runs the 200,000-shot version with our simulator).
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"  // paths are short in practice
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/test_support.h"
#include "workers/decode/correlated.h"
#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"
#include "workers/util/rng.h"

static qp_dem parse_dem(const char *text) {
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, text, "test.dem", &err), 0, "%s", err.msg);
    return dem;
}

// Hand-built Y-type mechanism. Detectors D0 D1 (no path to D2 D3), D2 D3.
//   error(0.1)  D0 D1 ^ D2 D3 L0   the correlated fault (e.g. a Y = X ^ Z)
//   error(0.05) D0 D1              so edge D0-D1 has marginal 0.1 (+) 0.05 = 0.14
//   error(0.3)  D2 / error(0.3) D3 cheap boundary edges, weight log(0.7/0.3) = 0.847 each
//   error(0.001) D0 / D1           expensive boundary edges
// Syndrome {D0, D1, D2, D3} (the Y fault happened, L0 flipped):
//   plain MWPM: D0-D1 (log(0.86/0.14) = 1.815) + D2-B + D3-B (1.695) = 3.51 < D0-D1 + D2-D3
//   (1.815 + log(0.9/0.1) = 4.01): predicts L0 = 0, wrong.
//   correlated: the first pass used D0-D1; joint(D0D1, D2D3) = 0.1, q = min(0.5, 0.1/0.14) =
//   0.5, so D2-D3 gets weight 0 and the second pass matches D2-D3: L0 = 1, right.
static const char *y_dem =
    "error(0.1) D0 D1 ^ D2 D3 L0\n"
    "error(0.05) D0 D1\n"
    "error(0.3) D2\n"
    "error(0.3) D3\n"
    "error(0.001) D0\n"
    "error(0.001) D1\n";

Test(correlated, y_mechanism_needs_the_correlation) {
    qp_dem dem = parse_dem(y_dem);
    qp_err err;
    qp_correlated *c = qp_correlated_create(&dem, &err);
    cr_assert(c, "%s", err.msg);
    // Rules: D0-D1 -> D2-D3 and D2-D3 -> D0-D1 (one pair, both directions).
    cr_assert_eq(qp_correlated_num_rules(c), 2);
    uint8_t all = 0x0f;  // D0..D3
    uint64_t obs = 9, first = 9;
    double w = 0;
    cr_assert_eq(qp_correlated_decode_b8(c, &all, &obs, &w, &first, &err), 0, "%s", err.msg);
    cr_assert_eq(first, 0, "plain MWPM should take the boundary for D2 D3");
    cr_assert_eq(obs, 1, "correlated matching should match D2-D3 (L0)");
    // Second-pass weight: D0-D1 at its own weight + D2-D3 lowered to 0.
    cr_assert_float_eq(w, log(0.86 / 0.14), 1e-4, "weight %g", w);
    // The same through the decoder interface, against "mwpm".
    qp_decoder *corr = qp_decoder_create("mwpm-corr", &dem, &err);
    qp_decoder *plain = qp_decoder_create("mwpm", &dem, &err);
    cr_assert(corr && plain, "%s", err.msg);
    cr_assert_str_eq(qp_decoder_kind_name(corr), "mwpm-corr");
    cr_assert_eq(qp_decoder_num_detectors(corr), 4);
    cr_assert_eq(qp_decoder_num_observables(corr), 1);
    uint8_t shots[3] = {0x0f, 0x0c, 0x03}, pc[3], pp[3];
    double wc[3], wp[3];
    cr_assert_eq(qp_decoder_decode_batch(corr, shots, 3, 1, pc, wc, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_decoder_decode_batch(plain, shots, 3, 1, pp, wp, &err), 0, "%s", err.msg);
    cr_assert_eq(pc[0], 1);
    cr_assert_eq(pp[0], 0);
    // {D2, D3} alone: the first pass uses only boundary edges, which imply nothing: same answer.
    cr_assert_eq(pc[1], 0);
    cr_assert_eq(pp[1], 0);
    cr_assert_float_eq(wc[1], wp[1], 1e-12);
    // {D0, D1} alone: D2-D3 gets lowered but there is nothing to match there: same answer.
    cr_assert_eq(pc[2], pp[2]);
    cr_assert_float_eq(wc[2], wp[2], 1e-12);
    qp_decoder_free(corr);
    qp_decoder_free(plain);
    qp_correlated_free(c);
    qp_dem_free(&dem);
}

// The implied probability is joint / marginal of the USED edge, capped at 0.5: with a rarer
// correlated fault the lowered weight is log((1-q)/q) with q = 0.02 / (0.02 (+) 0.2) = 0.02/0.212,
// and whether the second pass flips depends on it. Here D2-D3 alone costs log(0.98/0.02) = 3.89
// against the boundary pair 2 log(0.7/0.3) = 1.69; lowered it costs log(0.192/0.02) = 2.26 > 1.69,
// so even the correlated decoder keeps the boundary (the rule is not "set to zero").
Test(correlated, implied_weight_is_conditional_not_zero) {
    qp_dem dem = parse_dem(
        "error(0.02) D0 D1 ^ D2 D3 L0\n"
        "error(0.2) D0 D1\n"
        "error(0.3) D2\n"
        "error(0.3) D3\n"
        "error(0.001) D0\n"
        "error(0.001) D1\n");
    qp_err err;
    qp_correlated *c = qp_correlated_create(&dem, &err);
    cr_assert(c, "%s", err.msg);
    uint8_t all = 0x0f;
    uint64_t obs = 9, first = 9;
    double w = 0;
    cr_assert_eq(qp_correlated_decode_b8(c, &all, &obs, &w, &first, &err), 0, "%s", err.msg);
    cr_assert_eq(first, 0);
    cr_assert_eq(obs, 0, "q = %g: D2-D3 should stay dearer than the boundary pair", 0.02 / 0.212);
    // Make the boundary dearer than the lowered edge (but not than the plain edge): now it flips.
    qp_dem_free(&dem);
    qp_correlated_free(c);
    dem = parse_dem(
        "error(0.02) D0 D1 ^ D2 D3 L0\n"
        "error(0.2) D0 D1\n"
        "error(0.2) D2\n"
        "error(0.2) D3\n"
        "error(0.001) D0\n"
        "error(0.001) D1\n");
    // boundary pair 2 log(4) = 2.77: between lowered 2.26 and plain 3.89.
    c = qp_correlated_create(&dem, &err);
    cr_assert(c, "%s", err.msg);
    cr_assert_eq(qp_correlated_decode_b8(c, &all, &obs, &w, &first, &err), 0, "%s", err.msg);
    cr_assert_eq(first, 0);
    cr_assert_eq(obs, 1);
    double m = 0.02 * 0.8 + 0.2 * 0.98, q = 0.02 / m;  // marginal of D0-D1, implied q for D2-D3
    cr_assert_float_eq(w, log((1 - m) / m) + log((1 - q) / q), 1e-4, "weight %g", w);
    qp_correlated_free(c);
    qp_dem_free(&dem);
}

// A DEM without `^`: no rules, and mwpm-corr equals mwpm exactly on every shot (prediction and
// weight). The DEM is the shipped d=3 case with its decomposed errors dropped.
Test(correlated, no_decomposition_equals_mwpm) {
    char path[4096];
    snprintf(path, sizeof path, "%s/surface_x_d3_r3_p0.003.dem", qp_test_data_dir());
    char *text = qp_test_read_file(path, NULL);
    cr_assert(text, "cannot read %s", path);
    size_t len = strlen(text), out = 0, dropped = 0;
    char *kept = malloc(len + 1);
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
        if (memchr(line, '^', n)) dropped++;
        else {
            memcpy(kept + out, line, n);
            out += n;
        }
        line += n;
    }
    kept[out] = 0;
    cr_assert_gt(dropped, 0);
    qp_dem dem = parse_dem(kept);
    qp_err err;
    qp_correlated *c = qp_correlated_create(&dem, &err);
    cr_assert(c, "%s", err.msg);
    cr_assert_eq(qp_correlated_num_rules(c), 0);
    qp_correlated_free(c);
    qp_decoder *corr = qp_decoder_create("mwpm-corr", &dem, &err);
    qp_decoder *plain = qp_decoder_create("mwpm", &dem, &err);
    cr_assert(corr && plain, "%s", err.msg);
    size_t nd;
    snprintf(path, sizeof path, "%s/surface_x_d3_r3_p0.003.dets.b8", qp_test_data_dir());
    uint8_t *dets = (uint8_t *)qp_test_read_file(path, &nd);
    cr_assert(dets);
    size_t shots = nd / 3;  // 24 detectors
    uint8_t *pc = malloc(shots), *pp = malloc(shots);
    double *wc = malloc(shots * sizeof *wc), *wp = malloc(shots * sizeof *wp);
    cr_assert_eq(qp_decoder_decode_batch(corr, dets, shots, 3, pc, wc, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_decoder_decode_batch(plain, dets, shots, 3, pp, wp, &err), 0, "%s", err.msg);
    for (size_t s = 0; s < shots; s++) {
        cr_assert_eq(pc[s], pp[s], "shot %zu", s);
        cr_assert_eq(wc[s], wp[s], "shot %zu", s);
    }
    free(pc);
    free(pp);
    free(wc);
    free(wp);
    free(dets);
    free(kept);
    free(text);
    qp_decoder_free(corr);
    qp_decoder_free(plain);
    qp_dem_free(&dem);
}

Test(correlated, bad_dem_fails_like_mwpm) {
    qp_dem dem = parse_dem("error(0.1) D0 D1\nerror(0.01) D0 D1 D2\n");
    qp_err err;
    cr_assert_null(qp_decoder_create("mwpm-corr", &dem, &err));
    cr_assert(strstr(err.msg, "line 2") && strstr(err.msg, "not graphlike"), "%s", err.msg);
    qp_dem_free(&dem);
}

// ---- the second pass's lowered weights are undone --------------------------------------------

// After decoding many shots of a DEM with correlations, the graph's weights are exactly those of
// a freshly built graph, and decoding a shot again gives the same answer.
Test(correlated, decoding_restores_the_weights) {
    char path[4096];
    cr_assert_eq(qp_test_find("surface_x_d5_r5_p0.003.dem", path, sizeof path), 0);
    qp_err err;
    qp_dem dem;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse_file(&dem, path, &err), 0, "%s", err.msg);
    qp_correlated *c = qp_correlated_create(&dem, &err);
    qp_matching_graph fresh;
    cr_assert_eq(qp_matching_graph_from_dem(&fresh, &dem, &err), 0, "%s", err.msg);
    qp_dem_free(&dem);
    cr_assert(c && qp_correlated_num_rules(c) > 0);
    const qp_matching_graph *g = qp_correlated_graph(c);
    size_t bps = (g->num_detectors + 7) / 8, lowered_shots = 0;
    qp_rng rng;
    qp_rng_stream(&rng, 77, 1, 0);
    uint8_t rec[64] = {0};
    cr_assert_leq(bps, sizeof rec);
    for (int s = 0; s < 2000; s++) {
        memset(rec, 0, sizeof rec);
        for (int e = 0; e < 4; e++) {  // a few random events
            uint32_t v = (uint32_t)(qp_rng_u64(&rng) % g->num_detectors);
            rec[v / 8] ^= (uint8_t)(1u << (v % 8));
        }
        uint64_t o1, o2, first;
        double w1, w2;
        cr_assert_eq(qp_correlated_decode_b8(c, rec, &o1, &w1, &first, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_correlated_decode_b8(c, rec, &o2, &w2, NULL, &err), 0, "%s", err.msg);
        cr_assert(o1 == o2 && w1 == w2, "shot %d decodes differently the second time", s);
        lowered_shots += o1 != first;
    }
    size_t num_adj = g->adj_start[g->num_detectors];
    cr_assert_eq(memcmp(g->adj_weight, fresh.adj_weight, num_adj * sizeof *g->adj_weight), 0);
    cr_assert_eq(memcmp(g->boundary_weight, fresh.boundary_weight, g->num_detectors * sizeof *g->boundary_weight), 0);
    cr_assert_gt(lowered_shots, 0, "no shot changed its prediction in the second pass: the test saw no lowering");
    qp_matching_graph_free(&fresh);
    qp_correlated_free(c);
}

// ---- reference vectors ---------------------------------------------------------------------

typedef qp_test_vector_case vector_case;  // tests/test_support.h

typedef struct {
    uint64_t shots, plain, corr, discordant;
} paired_counts;

// Decodes one case with mwpm-corr (first pass = plain MWPM), checks agreement with
// PyMatching's correlated predictions, and returns the paired mistake counts.
static paired_counts check_case(const char *dir, const vector_case *c) {
    char path[4096];
    qp_err err;
    qp_dem dem;
    qp_dem_init(&dem);
    snprintf(path, sizeof path, "%s/%s.dem", dir, c->name);
    cr_assert_eq(qp_dem_parse_file(&dem, path, &err), 0, "%s", err.msg);
    qp_correlated *dec = qp_correlated_create(&dem, &err);
    cr_assert(dec, "%s: %s", c->name, err.msg);
    qp_dem_free(&dem);
    cr_assert_eq(qp_correlated_graph(dec)->num_detectors, c->detectors);
    size_t len_dets, len_obs, len_pm;
    snprintf(path, sizeof path, "%s/%s.dets.b8", dir, c->name);
    uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len_dets);
    snprintf(path, sizeof path, "%s/%s.obs.b8", dir, c->name);
    uint8_t *obs = (uint8_t *)qp_test_read_file(path, &len_obs);
    snprintf(path, sizeof path, "%s/%s.pymatching_corr.01", dir, c->name);
    char *pm = qp_test_read_file(path, &len_pm);
    cr_assert(dets && obs && pm, "%s: missing files", c->name);
    size_t bps = (c->detectors + 7) / 8;
    cr_assert_eq(len_dets, c->shots * bps);
    cr_assert_eq(len_obs, c->shots);
    cr_assert_eq(len_pm, c->shots * 2);
    uint64_t pm_recount = 0;
    for (uint64_t s = 0; s < c->shots; s++) pm_recount += (pm[2 * s] == '1') != (obs[s] & 1);
    cr_assert_eq(pm_recount, c->pm_corr_mistakes, "%s: PyMatching corr file has %llu mistakes, MANIFEST %llu",
                 c->name, (unsigned long long)pm_recount, (unsigned long long)c->pm_corr_mistakes);
    uint64_t shots = c->shots;
    if (c->detectors > 5000 && shots > 300) shots = 300;  // the 1000-round case: ~1 ms per shot
    if (qp_test_quick() && shots > 2000) shots = 2000;
    paired_counts pc = {.shots = shots};
    uint64_t agree = 0, pm_mistakes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t s = 0; s < shots; s++) {
        uint64_t o, first;
        cr_assert_eq(qp_correlated_decode_b8(dec, dets + s * bps, &o, NULL, &first, &err), 0, "%s shot %llu: %s",
                     c->name, (unsigned long long)s, err.msg);
        int truth = obs[s] & 1, theirs = pm[2 * s] == '1';
        int wrong_corr = (int)(o & 1) != truth, wrong_plain = (int)(first & 1) != truth;
        agree += (int)(o & 1) == theirs;
        pm_mistakes += theirs != truth;
        pc.corr += wrong_corr;
        pc.plain += wrong_plain;
        pc.discordant += wrong_corr != wrong_plain;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-3) / (double)shots;
    double agreement = (double)agree / (double)shots;
    fprintf(stderr,
            "%-28s shots=%-6llu agree_pm_corr=%.5f corr_mistakes=%-5llu pymatching_corr=%-5llu mwpm=%-5llu us_per_shot=%.1f\n",
            c->name, (unsigned long long)shots, agreement, (unsigned long long)pc.corr,
            (unsigned long long)pm_mistakes, (unsigned long long)pc.plain, us);
    cr_assert_geq(agreement, 0.995, "%s: agreement with PyMatching corr %.4f < 0.995", c->name, agreement);
    free(dets);
    free(obs);
    free(pm);
    qp_correlated_free(dec);
    return pc;
}

static void check_dir(const char *dir) {
    vector_case cases[64];
    int read = qp_test_read_manifest(dir, cases, 64);
    cr_assert(read >= 0, "cannot read %s/MANIFEST.txt", dir);
    size_t n = (size_t)read;
    cr_assert_gt(n, 0);
    // Pooled over bases: cell [d==7][p==0.005] for d in {5,7}, p in {0.003,0.005}.
    paired_counts cell[2][2] = {{{0}}};
    int full_cells = 0;
    for (size_t i = 0; i < n; i++) {
        paired_counts pc = check_case(dir, &cases[i]);
        const vector_case *c = &cases[i];
        if ((c->d != 5 && c->d != 7) || c->rounds != c->d) continue;
        if (fabs(c->p - 0.003) > 1e-9 && fabs(c->p - 0.005) > 1e-9) continue;
        paired_counts *x = &cell[c->d == 7][fabs(c->p - 0.005) < 1e-9];
        x->shots += pc.shots;
        x->plain += pc.plain;
        x->corr += pc.corr;
        x->discordant += pc.discordant;
        full_cells++;
    }
    if (qp_test_quick()) {
        fprintf(stderr, "NOTICE: quick mode (sanitizers): 2,000 shots per case, no pooled comparison\n");
        return;
    }
    if (full_cells < 8) {
        fprintf(stderr, "NOTICE: only %d of the 8 d=5/7 p=0.003/0.005 files present: no pooled comparison\n",
                full_cells);
        return;
    }
    paired_counts all = {0}, d7 = {0};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            paired_counts *x = &cell[a][b];
            double diff = (double)x->plain - (double)x->corr, sd = sqrt((double)x->discordant);
            fprintf(stderr, "pooled d=%d p=%.3f shots=%llu mwpm=%llu corr=%llu diff=%.0f sd=%.1f (%.1f sigma)\n",
                    a ? 7 : 5, b ? 0.005 : 0.003, (unsigned long long)x->shots, (unsigned long long)x->plain,
                    (unsigned long long)x->corr, diff, sd, sd > 0 ? diff / sd : 0);
            cr_assert_gt(x->plain, x->corr, "d=%d p=%.3f: correlated %llu mistakes, plain %llu", a ? 7 : 5,
                         b ? 0.005 : 0.003, (unsigned long long)x->corr, (unsigned long long)x->plain);
            paired_counts *acc[2] = {&all, &d7};
            for (int t = 0; t < (a ? 2 : 1); t++) {
                acc[t]->plain += x->plain;
                acc[t]->corr += x->corr;
                acc[t]->discordant += x->discordant;
            }
        }
    paired_counts *tot[2] = {&d7, &all};
    const char *label[2] = {"d=7 both p", "all eight"};
    for (int t = 0; t < 2; t++) {
        double diff = (double)tot[t]->plain - (double)tot[t]->corr, sd = sqrt((double)tot[t]->discordant);
        fprintf(stderr, "pooled %s: mwpm=%llu corr=%llu diff=%.0f sd=%.1f (%.1f sigma)\n", label[t],
                (unsigned long long)tot[t]->plain, (unsigned long long)tot[t]->corr, diff, sd, diff / sd);
        cr_assert_gt(diff, 3 * sd, "%s: correlated gains %.0f mistakes, not > 3 sd = %.1f", label[t], diff, 3 * sd);
    }
}

Test(correlated, shipped_subset_agrees_with_pymatching) { check_dir(qp_test_data_dir()); }

Test(correlated, shared_vectors, .timeout = 600) {
    QP_TEST_NEED_VECTORS(dir);
    check_dir(dir);
}
