// DEM sampler: per-detector and observable rates agree with Stim's circuit-sampled shots in
// the vectors (|z| < 5 for every detector), bytes do not depend on how a run is split into
// calls, and mechanisms with p = 1 / p = 0 behave exactly.
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/dem/dem.h"
#include "workers/sim/dem_sampler.h"
#include "workers/util/alloc.h"

static double bit_rate(const uint8_t *recs, size_t rec_bytes, uint64_t shots, uint64_t bit) {
    uint64_t c = 0;
    for (uint64_t s = 0; s < shots; s++) c += (recs[s * rec_bytes + bit / 8] >> (bit % 8)) & 1;
    return (double)c / (double)shots;
}

static double two_sample_z(double p1, uint64_t n1, double p2, uint64_t n2) {
    double p = (p1 * n1 + p2 * n2) / (double)(n1 + n2);
    double var = p * (1 - p) * (1.0 / n1 + 1.0 / n2);
    if (var <= 0) return p1 == p2 ? 0 : INFINITY;
    return (p1 - p2) / sqrt(var);
}

static void check_case(const char *name) {
    char path[4096];
    if (qp_test_find(name, path, sizeof path) != 0) cr_assert_fail("missing %s", name);
    char base[4096];
    snprintf(base, sizeof base, "%.*s", (int)(strlen(path) - 4), path);  // strip ".dem"
    qp_dem d;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse_file(&d, path, &err), 0, "%s", err.msg);
    char dets_path[4200], obs_path[4200];
    snprintf(dets_path, sizeof dets_path, "%s.dets.b8", base);
    snprintf(obs_path, sizeof obs_path, "%s.obs.b8", base);
    size_t dl = 0, ol = 0;
    uint8_t *stim_dets = (uint8_t *)qp_test_read_file(dets_path, &dl);
    uint8_t *stim_obs = (uint8_t *)qp_test_read_file(obs_path, &ol);
    cr_assert(stim_dets && stim_obs);
    size_t rb = (d.num_detectors + 7) / 8;
    uint64_t stim_shots = dl / rb;
    cr_assert_eq(stim_shots, ol);
    const uint64_t N = 60000;
    uint8_t *ours = qp_malloc(N * rb), *ours_obs = qp_malloc(N);
    qp_dem_sampler s;
    cr_assert_eq(qp_dem_sampler_init(&s, &d, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_sampler_sample(&s, 7, 1, 0, N, ours, ours_obs, &err), 0, "%s", err.msg);
    double worst = 0;
    for (uint64_t k = 0; k < d.num_detectors; k++) {
        double z = two_sample_z(bit_rate(ours, rb, N, k), N, bit_rate(stim_dets, rb, stim_shots, k), stim_shots);
        if (fabs(z) > fabs(worst)) worst = z;
        cr_expect_lt(fabs(z), 5.0, "%s detector %llu: z = %.2f", name, (unsigned long long)k, z);
    }
    double zo = two_sample_z(bit_rate(ours_obs, 1, N, 0), N, bit_rate(stim_obs, 1, stim_shots, 0), stim_shots);
    cr_expect_lt(fabs(zo), 5.0, "%s observable: z = %.2f", name, zo);
    fprintf(stderr, "%s: worst detector z %.2f, observable z %.2f\n", name, worst, zo);
    qp_dem_sampler_free(&s);
    free(ours);
    free(ours_obs);
    free(stim_dets);
    free(stim_obs);
    qp_dem_free(&d);
}

Test(dem_sampler, rates_match_stim_circuit_shots) {
    check_case("surface_x_d3_r3_p0.003.dem");
    check_case("surface_z_d3_r3_p0.003.dem");
    check_case("surface_x_d5_r5_p0.003.dem");
}

Test(dem_sampler, rates_match_stim_on_more_vectors) {
    QP_TEST_NEED_VECTORS(dir);
    (void)dir;  // check_case finds the files itself
    check_case("surface_x_d7_r7_p0.005.dem");
    check_case("surface_z_d5_r5_p0.001.dem");
}

Test(dem_sampler, bytes_do_not_depend_on_call_split) {
    qp_dem d;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse(&d, "error(0.01) D0 D1\nerror(0.2) D2 ^ D9 L0\nrepeat 3 {\n error(0.05) D3\n shift_detectors 1\n}\n", "t", &err), 0, "%s", err.msg);
    size_t rb = (d.num_detectors + 7) / 8;
    const uint64_t N = 5000;
    uint8_t *whole = qp_malloc(N * rb), *parts = qp_malloc(N * rb), *ow = qp_malloc(N), *op = qp_malloc(N);
    cr_assert_eq(qp_dem_sample(&d, 99, 3, 0, N, whole, ow, &err), 0);
    uint64_t cuts[] = {0, 1, 1000, 1024, 3333, 4097, N};
    for (int i = 0; i + 1 < 7; i++)
        cr_assert_eq(qp_dem_sample(&d, 99, 3, cuts[i], cuts[i + 1] - cuts[i], parts + cuts[i] * rb, op + cuts[i], &err), 0);
    cr_expect_eq(memcmp(whole, parts, N * rb), 0);
    cr_expect_eq(memcmp(ow, op, N), 0);
    // A different stream gives different shots.
    cr_assert_eq(qp_dem_sample(&d, 99, 4, 0, N, parts, op, &err), 0);
    cr_expect_neq(memcmp(whole, parts, N * rb), 0);
    // Padding bits above detector 9 stay zero.
    for (uint64_t s = 0; s < N; s++) cr_expect_eq(whole[s * rb + 1] & 0xFC, 0);
    free(whole);
    free(parts);
    free(ow);
    free(op);
    qp_dem_free(&d);
}

Test(dem_sampler, certain_and_impossible_mechanisms) {
    qp_dem d;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse(&d, "error(1) D0 D3 L1\nerror(0) D1\nerror(0.5) D2\n", "t", &err), 0);
    const uint64_t N = 20000;
    uint8_t *dets = qp_malloc(N), *obs = qp_malloc(N);
    cr_assert_eq(qp_dem_sample(&d, 1, 2, 0, N, dets, obs, &err), 0);
    uint64_t d2 = 0;
    for (uint64_t s = 0; s < N; s++) {
        cr_assert_eq(dets[s] & 0x0B, 0x09, "shot %llu: %02x", (unsigned long long)s, dets[s]);
        cr_assert_eq(obs[s], 0x02);
        d2 += (dets[s] >> 2) & 1;
    }
    double z = ((double)d2 - N * 0.5) / sqrt(N * 0.25);
    cr_expect_lt(fabs(z), 5.0, "p=0.5 mechanism fired %llu/%llu", (unsigned long long)d2, (unsigned long long)N);
    free(dets);
    free(obs);
    qp_dem_free(&d);
}

// The whole chain on circuits the vectors do not cover: SI1000 noise on the CZ schedule (and
// uniform noise, Z basis): circuit -> our error analysis -> DEM sampler agrees per detector
// and on the observable with our circuit (Pauli-frame) sampler, |z| < 5.
#include "workers/circuit/surface_code.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"

static void check_chain(qp_surface_params sp) {
    qp_err err = {{0}};
    qp_circuit c;
    cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
    qp_dem d;
    qp_error_analysis_options opt = {1, 1, 0};
    cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s", err.msg);
    cr_assert_eq(d.num_detectors, c.num_detectors);
    size_t rb = (c.num_detectors + 7) / 8;
    const uint64_t N = 40000;
    uint8_t *fd = qp_malloc(N * rb), *fo = qp_malloc(N), *dd = qp_malloc(N * rb), *dob = qp_malloc(N);
    cr_assert_eq(qp_frame_sample_b8(&c, NULL, 11, 0, 0, N, fd, fo, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_sample(&d, 12, 0, 0, N, dd, dob, &err), 0, "%s", err.msg);
    double worst = 0;
    for (uint64_t k = 0; k < c.num_detectors; k++) {
        double z = two_sample_z(bit_rate(dd, rb, N, k), N, bit_rate(fd, rb, N, k), N);
        if (fabs(z) > fabs(worst)) worst = z;
        cr_expect_lt(fabs(z), 5.0, "detector %llu: z = %.2f", (unsigned long long)k, z);
    }
    double zo = two_sample_z(bit_rate(dob, 1, N, 0), N, bit_rate(fo, 1, N, 0), N);
    cr_expect_lt(fabs(zo), 5.0, "observable: z = %.2f", zo);
    // Pairs: P(D_i and D_j) for every pair of the first 64 detectors (correlations are what
    // merged and decomposed mechanisms get right or wrong), and detector-observable pairs.
    uint64_t np = c.num_detectors < 64 ? c.num_detectors : 64;
    double worst_pair = 0;
    for (uint64_t i = 0; i < np; i++) {
        for (uint64_t j = i + 1; j <= np; j++) {
            uint64_t a = 0, b = 0;
            for (uint64_t s = 0; s < N; s++) {
                int bi_d = (dd[s * rb + i / 8] >> (i % 8)) & 1, bi_f = (fd[s * rb + i / 8] >> (i % 8)) & 1;
                int bj_d = j < np ? (dd[s * rb + j / 8] >> (j % 8)) & 1 : dob[s] & 1;
                int bj_f = j < np ? (fd[s * rb + j / 8] >> (j % 8)) & 1 : fo[s] & 1;
                a += bi_d & bj_d;
                b += bi_f & bj_f;
            }
            double z = two_sample_z((double)a / N, N, (double)b / N, N);
            if (fabs(z) > fabs(worst_pair)) worst_pair = z;
            cr_expect_lt(fabs(z), 5.0, "pair (%llu, %llu): z = %.2f", (unsigned long long)i, (unsigned long long)j, z);
        }
    }
    fprintf(stderr, "chain (worst pair z %.2f) ", worst_pair);
    fprintf(stderr, "chain basis %c d%u r%llu: worst detector z %.2f, observable z %.2f\n", sp.basis, sp.distance,
            (unsigned long long)sp.rounds, worst, zo);
    free(fd);
    free(fo);
    free(dd);
    free(dob);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(dem_sampler, dem_shots_match_circuit_shots_si1000_and_uniform) {
    check_chain(qp_surface_params_si1000('z', 3, 5, 0.004));
    check_chain(qp_surface_params_si1000('x', 5, 3, 0.003));
    check_chain(qp_surface_params_uniform('z', 3, 6, 0.01));
}

Test(dem_sampler, folded_model_samples_like_its_unrolled_text) {
    const char *folded =
        "error(0.2) D0\n"
        "repeat 50 {\n    error(0.05) D0 D1 ^ D2 L0\n    error(0.01) D1\n"
        "    repeat 2 {\n        error(0.3) D3\n        shift_detectors 1\n    }\n}\n"
        "error(0.25) D1 D0\n";
    // The same model written out by hand: pass r starts at detector offset 2r.
    char *unrolled = qp_malloc(1 << 16);
    size_t w = (size_t)sprintf(unrolled, "error(0.2) D0\n");
    for (int r = 0; r < 50; r++) {
        int o = 2 * r;
        w += (size_t)sprintf(unrolled + w, "error(0.05) D%d D%d ^ D%d L0\nerror(0.01) D%d\nerror(0.3) D%d\nerror(0.3) D%d\n",
                             o, o + 1, o + 2, o + 1, o + 3, o + 4);
    }
    sprintf(unrolled + w, "error(0.25) D101 D100\n");
    qp_dem a, b;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse(&a, folded, "folded", &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_parse(&b, unrolled, "unrolled", &err), 0, "%s", err.msg);
    cr_assert_eq(a.num_detectors, b.num_detectors);
    size_t rb = (a.num_detectors + 7) / 8;
    const uint64_t N = 3000;
    uint8_t *da = qp_malloc(N * rb), *db = qp_malloc(N * rb), *oa = qp_malloc(N), *ob = qp_malloc(N);
    cr_assert_eq(qp_dem_sample(&a, 5, 6, 100, N, da, oa, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_sample(&b, 5, 6, 100, N, db, ob, &err), 0, "%s", err.msg);
    cr_expect_eq(memcmp(da, db, N * rb), 0);
    cr_expect_eq(memcmp(oa, ob, N), 0);
    // A model folded 10^7 times compiles to a handful of mechanisms (10^8 detectors would pass
    // the sampler's 2^26).
    qp_dem huge;
    cr_assert_eq(qp_dem_parse(&huge, "repeat 10000000 {\n    error(0.1) D0 D1\n    shift_detectors 1\n}\n", "t", &err), 0);
    qp_dem_sampler s;
    cr_assert_eq(qp_dem_sampler_init(&s, &huge, &err), 0, "%s", err.msg);
    cr_expect_eq(s.num_mechs, 1);
    qp_dem_sampler_free(&s);
    qp_dem_free(&huge);
    free(da);
    free(db);
    free(oa);
    free(ob);
    free(unrolled);
    qp_dem_free(&a);
    qp_dem_free(&b);
}

// The sampler holds 128 bytes per detector per batch: at most 2^26 detectors (a lone
// `error(0.1) D4294967000` aborted allocating 550 GB). The limit itself initialises.
Test(dem_sampler, at_most_2_26_detectors) {
    qp_dem d;
    qp_err err;
    qp_dem_sampler s;
    cr_assert_eq(qp_dem_parse(&d, "error(0.1) D67108863\n", "ok.dem", &err), 0, "%s", err.msg);
    cr_expect_eq(qp_dem_sampler_init(&s, &d, &err), 0, "%s", err.msg);
    qp_dem_sampler_free(&s);
    qp_dem_free(&d);
    cr_assert_eq(qp_dem_parse(&d, "error(0.1) D4294967000\n", "big.dem", &err), 0, "%s", err.msg);
    cr_expect_neq(qp_dem_sampler_init(&s, &d, &err), 0);
    cr_expect(strstr(err.msg, "the model has 4294967001 detectors; the DEM sampler allocates per detector and takes at most 67108864") != NULL,
              "%s", err.msg);
    qp_dem_free(&d);
}
