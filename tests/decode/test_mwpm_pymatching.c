// Agreement with PyMatching 2 on the reference vectors: for every case in MANIFEST.txt
// (../shared/vectors, or the tests/data subset when absent), decode NAME.dets.b8 with
// NAME.dem and compare with NAME.pymatching.01 (PyMatching's predictions):
//   - predictions agree on >= 99.5 % of shots (differences only from ties and rounding);
//   - our mistakes vs NAME.obs.b8 are within 3 sd of PyMatching's (pymatching_mistakes),
//     sd = sqrt(max(ours, theirs)), at least 1.
// PyMatching's mistakes are also recounted from its predictions file and must equal the
// MANIFEST. To keep the suite short, the 1000-round case (24,000 detectors) decodes its first
// 1,000 shots (PyMatching's count recounted on the same shots); QECPIPE_DECODE_FULL=1 decodes
// all 5,000.
// Also: bad input (non-graphlike DEM; record size mismatch) gets one clear error.
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"  // paths are short in practice
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"

typedef qp_test_vector_case vector_case;  // tests/test_support.h

static void check_case(const char *dir, const vector_case *c) {
    char path[4096];
    qp_err err;
    qp_dem dem;
    qp_dem_init(&dem);
    snprintf(path, sizeof path, "%s/%s.dem", dir, c->name);
    cr_assert_eq(qp_dem_parse_file(&dem, path, &err), 0, "%s", err.msg);
    qp_decoder *dec = qp_decoder_create("mwpm", &dem, &err);
    cr_assert(dec, "%s: %s", c->name, err.msg);
    qp_dem_free(&dem);
    cr_assert_eq(qp_decoder_num_detectors(dec), c->detectors);
    size_t len_dets, len_obs, len_pm;
    snprintf(path, sizeof path, "%s/%s.dets.b8", dir, c->name);
    uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len_dets);
    snprintf(path, sizeof path, "%s/%s.obs.b8", dir, c->name);
    uint8_t *obs = (uint8_t *)qp_test_read_file(path, &len_obs);
    snprintf(path, sizeof path, "%s/%s.pymatching.01", dir, c->name);
    char *pm = qp_test_read_file(path, &len_pm);
    cr_assert(dets && obs && pm, "%s: missing files", c->name);
    size_t bps = (c->detectors + 7) / 8;
    cr_assert_eq(len_dets, c->shots * bps);
    cr_assert_eq(len_obs, c->shots);
    cr_assert_eq(len_pm, c->shots * 2);  // "0\n" or "1\n" per shot (one observable)
    uint64_t shots = c->shots;
    if (c->detectors > 5000 && !getenv("QECPIPE_DECODE_FULL") && shots > 1000) shots = 1000;
    uint64_t pm_recount = 0;
    for (uint64_t s = 0; s < c->shots; s++) pm_recount += (pm[2 * s] == '1') != (obs[s] & 1);
    cr_assert_eq(pm_recount, c->pm_mistakes, "%s: PyMatching file has %llu mistakes, MANIFEST %llu", c->name,
                 (unsigned long long)pm_recount, (unsigned long long)c->pm_mistakes);
    uint64_t pm_mistakes = 0;
    for (uint64_t s = 0; s < shots; s++) pm_mistakes += (pm[2 * s] == '1') != (obs[s] & 1);
    uint8_t *pred = malloc(c->shots);
    double *weights = malloc(c->shots * sizeof *weights);
    cr_assert_eq(qp_decoder_decode_batch(dec, dets, shots, bps, pred, weights, &err), 0, "%s: %s", c->name, err.msg);
    uint64_t agree = 0, ours = 0;
    for (uint64_t s = 0; s < shots; s++) {
        int theirs = pm[2 * s] == '1';
        agree += (pred[s] & 1) == theirs;
        ours += (pred[s] & 1) != (obs[s] & 1);
        cr_assert(weights[s] > -1e9 && weights[s] < 1e9);
    }
    double agreement = (double)agree / (double)shots;
    double sd = sqrt((double)(ours > pm_mistakes ? ours : pm_mistakes));
    if (sd < 1) sd = 1;
    fprintf(stderr, "%-28s shots=%-6llu agree=%.5f mistakes=%llu pymatching=%llu\n", c->name,
            (unsigned long long)shots, agreement, (unsigned long long)ours, (unsigned long long)pm_mistakes);
    cr_assert_geq(agreement, 0.995, "%s: agreement %.4f < 0.995", c->name, agreement);
    cr_assert_leq(fabs((double)ours - (double)pm_mistakes), 3 * sd, "%s: %llu mistakes vs PyMatching %llu",
                  c->name, (unsigned long long)ours, (unsigned long long)pm_mistakes);
    free(pred);
    free(weights);
    free(dets);
    free(obs);
    free(pm);
    qp_decoder_free(dec);
}

static void check_dir(const char *dir, int include_long) {
    vector_case cases[64];
    int read = qp_test_read_manifest(dir, cases, 64);
    cr_assert(read >= 0, "cannot read %s/MANIFEST.txt", dir);
    size_t n = (size_t)read;
    cr_assert_gt(n, 0);
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (!include_long && cases[i].detectors > 5000) continue;
        check_case(dir, &cases[i]);
        checked++;
    }
    cr_assert_gt(checked, 0);
}

Test(mwpm_pymatching, shipped_subset) { check_dir(qp_test_data_dir(), 1); }

Test(mwpm_pymatching, shared_vectors, .timeout = 600) {
    QP_TEST_NEED_VECTORS(dir);
    check_dir(dir, 1);
}

// ---- bad input ------------------------------------------------------------------------------

Test(mwpm_pymatching, non_graphlike_dem_names_the_line) {
    const char *text =
        "error(0.1) D0 D1\n"
        "error(0.1) D1 D2 ^ D0\n"
        "error(0.01) D0 D1 D2\n";
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, text, "bad.dem", &err), 0, "%s", err.msg);
    qp_decoder *dec = qp_decoder_create("mwpm", &dem, &err);
    cr_assert_null(dec);
    cr_assert(strstr(err.msg, "line 3") != NULL, "message does not name line 3: %s", err.msg);
    cr_assert(strstr(err.msg, "not graphlike") != NULL, "%s", err.msg);
    cr_assert(strchr(err.msg, '\n') == NULL);
    qp_dem_free(&dem);
}

Test(mwpm_pymatching, record_size_mismatch_rejected_before_decoding) {
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, "error(0.1) D0 D1\nerror(0.1) D8\n", "ok.dem", &err), 0, "%s", err.msg);
    qp_decoder *dec = qp_decoder_create("mwpm", &dem, &err);
    cr_assert(dec, "%s", err.msg);
    uint8_t dets[3] = {0}, pred[3] = {0x55, 0x55, 0x55};
    cr_assert_eq(qp_decoder_decode_batch(dec, dets, 3, 1, pred, NULL, &err), -1);  // 9 detectors need 2 bytes
    cr_assert(strstr(err.msg, "9 detectors") != NULL, "%s", err.msg);
    cr_assert_eq(pred[0], 0x55, "decoded before rejecting the record size");
    qp_decoder_free(dec);
    qp_dem_free(&dem);
}

Test(mwpm_pymatching, unknown_decoder_kind) {
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, "error(0.1) D0\n", "ok.dem", &err), 0, "%s", err.msg);
    cr_assert_null(qp_decoder_create("bogus", &dem, &err));
    cr_assert(strstr(err.msg, "bogus") != NULL);
    qp_dem_free(&dem);
}
