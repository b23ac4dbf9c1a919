// Must-show 2: our detection-event and observable-flip rates agree with Stim's shots in the
// reference vectors. Per detector and observable: pooled two-sample binomial z-test, |z| < 5.
// Over all k detectors of a circuit: sum z^2 is chi-square(k) under equal rates; we require
// (sum z^2 - k) / sqrt(2k) < 3.1 (normal approximation, one-sided 0.1 % level).
// Our shots: 100,000 (d <= 5), 50,000 (d = 7), 20,000 for the 1000-round circuit.
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <string.h>

#include "tests/sim/frame_counts.h"
#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sample.h"
#include "workers/util/bits.h"

// Counts set bits per position of b8 records (Stim's shots).
//   counts is (num_bits); file holds n records of ceil(num_bits/8) bytes.
static uint64_t b8_counts(const char *path, uint64_t num_bits, uint64_t *counts) {
    size_t len = 0;
    char *buf = qp_test_read_file(path, &len);
    cr_assert(buf, "cannot read %s", path);
    size_t rb = (num_bits + 7) / 8;
    cr_assert_eq(len % rb, 0, "%s: %zu bytes is not a multiple of %zu", path, len, rb);
    uint64_t n = len / rb;
    for (uint64_t s = 0; s < n; s++)
        for (uint64_t k = 0; k < num_bits; k++) counts[k] += ((uint8_t)buf[s * rb + k / 8] >> (k % 8)) & 1u;
    free(buf);
    return n;
}

static void compare_one(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.stim", dir, name);
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
    uint64_t nd = c.num_detectors, no = c.num_observables;
    uint64_t *stim_det = calloc(nd + 1, 8), *stim_obs = calloc(no + 1, 8);
    snprintf(path, sizeof path, "%s/%s.dets.b8", dir, name);
    uint64_t n_stim = b8_counts(path, nd, stim_det);
    snprintf(path, sizeof path, "%s/%s.obs.b8", dir, name);
    cr_assert_eq(b8_counts(path, no, stim_obs), n_stim);

    uint64_t n_ours = nd > 10000 ? 20000 : nd > 200 ? 50000 : 100000;
    qp_frame_sim sim;
    cr_assert_eq(qp_frame_sim_init(&sim, &c, NULL, &err), 0, "%s", err.msg);
    frame_counts fc = {n_ours, calloc(nd + 1, 8), calloc(no + 1, 8)};
    qp_frame_sink sink = {&fc, frame_counts_dets, frame_counts_obs, NULL, NULL, NULL};
    cr_assert_eq(qp_frame_sim_run_shots(&sim, 99, 0, 0, n_ours, &sink, &err), 0, "%s", err.msg);

    double worst = 0, sum_z2 = 0;
    uint64_t worst_k = 0, k_used = 0;
    for (uint64_t k = 0; k < nd; k++) {
        double z = frame_counts_z(fc.det[k], n_ours, stim_det[k], n_stim);
        cr_expect(fabs(z) < 5, "%s: detector %lu: ours %lu/%lu vs Stim %lu/%lu, z = %.2f", name, (unsigned long)k,
                  (unsigned long)fc.det[k], (unsigned long)n_ours, (unsigned long)stim_det[k], (unsigned long)n_stim, z);
        if (fabs(z) > fabs(worst)) worst = z, worst_k = k;
        if (fc.det[k] + stim_det[k]) sum_z2 += z * z, k_used++;
    }
    double chi_norm = k_used ? (sum_z2 - (double)k_used) / sqrt(2.0 * (double)k_used) : 0;
    cr_expect(chi_norm < 3.1, "%s: sum z^2 = %.1f over %lu detectors, (sum - k)/sqrt(2k) = %.2f", name, sum_z2,
              (unsigned long)k_used, chi_norm);
    for (uint64_t k = 0; k < no; k++) {
        double z = frame_counts_z(fc.obs[k], n_ours, stim_obs[k], n_stim);
        cr_expect(fabs(z) < 5, "%s: observable %lu: ours %lu/%lu vs Stim %lu/%lu, z = %.2f", name, (unsigned long)k,
                  (unsigned long)fc.obs[k], (unsigned long)n_ours, (unsigned long)stim_obs[k], (unsigned long)n_stim, z);
        printf("%-28s ours %6lu shots vs Stim %5lu: worst detector z = %+.2f (D%lu), chi (sum z^2 - k)/sqrt(2k) = %+.2f "
               "(k=%lu), obs rate %.4f vs %.4f z = %+.2f\n",
               name, (unsigned long)n_ours, (unsigned long)n_stim, worst, (unsigned long)worst_k, chi_norm,
               (unsigned long)k_used, (double)fc.obs[k] / n_ours, (double)stim_obs[k] / n_stim, z);
    }
    free(stim_det);
    free(stim_obs);
    free(fc.det);
    free(fc.obs);
    qp_frame_sim_free(&sim);
    qp_circuit_free(&c);
}

Test(frame_vs_stim, every_reference_circuit, .timeout = 600) {
    QP_TEST_VECTORS_OR_SHIPPED(dir);
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open %s", dir);
    struct dirent *e;
    int circuits = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".stim") != 0) continue;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
        compare_one(dir, name);
        circuits++;
    }
    closedir(d);
    cr_assert_gt(circuits, 0);
}
