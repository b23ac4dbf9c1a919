// Cross-check on circuits the Stim vectors do not cover (SI1000 noise: CZ + H, M(5p), idle
// depolarisation): the frame sampler and the DEM sampler (on the circuit's error model from
// workers/dem/error_analysis) are independent implementations, so their per-detector event
// rates, observable flip rate and co-firing rate of consecutive detector pairs must agree:
// |z| < 5 each, and over the single detectors the aggregate (sum z^2 - k)/sqrt(2k) < 3.1, with
// 100,000 shots each. The aggregate leaves out the pair rates: a pair's count is correlated with
// its two detectors' counts, so mixing them would inflate the statistic's variance (the test was
// flaky that way); each pair still has to pass |z| < 5.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "tests/sim/frame_counts.h"
#include "workers/circuit/surface_code.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/dem_sampler.h"
#include "workers/sim/frame_sample.h"

static void counts_from_b8(const uint8_t *recs, uint64_t n, uint64_t bits, uint64_t *single, uint64_t *pair) {
    size_t rb = (bits + 7) / 8;
    for (uint64_t s = 0; s < n; s++)
        for (uint64_t k = 0; k < bits; k++) {
            int a = (recs[s * rb + k / 8] >> (k % 8)) & 1;
            single[k] += a;
            if (pair && k + 1 < bits) pair[k] += a & ((recs[s * rb + (k + 1) / 8] >> ((k + 1) % 8)) & 1);
        }
}

static void compare(const char *name, qp_surface_params sp) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
    qp_dem d;
    qp_error_analysis_options eo = {0, 0, 0};
    cr_assert_eq(qp_error_analysis(&c, &eo, &d, &err), 0, "%s: %s", name, err.msg);
    const uint64_t n = 100000, D = c.num_detectors, K = c.num_observables;
    cr_assert_eq(d.num_detectors, D);
    size_t db = (D + 7) / 8, ob = (K + 7) / 8;
    uint8_t *fd = malloc(n * db), *fo = malloc(n * ob), *dd = malloc(n * db), *dob = malloc(n * ob);
    cr_assert_eq(qp_frame_sample_b8(&c, NULL, 31, 0, 0, n, fd, fo, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_sample(&d, 32, 0, 0, n, dd, dob, &err), 0, "%s", err.msg);
    uint64_t *f1 = calloc(D, 8), *f2 = calloc(D, 8), *d1 = calloc(D, 8), *d2 = calloc(D, 8);
    uint64_t fobs[64] = {0}, dobs[64] = {0};
    counts_from_b8(fd, n, D, f1, f2);
    counts_from_b8(dd, n, D, d1, d2);
    counts_from_b8(fo, n, K, fobs, NULL);
    counts_from_b8(dob, n, K, dobs, NULL);
    double worst = 0, sum = 0;
    uint64_t k_used = 0;
    for (uint64_t k = 0; k < D; k++) {
        for (int kind = 0; kind < 2; kind++) {
            if (kind == 1 && k + 1 == D) continue;
            uint64_t a = kind ? f2[k] : f1[k], b = kind ? d2[k] : d1[k];
            double z = frame_counts_z(a, n, b, n);
            cr_expect(fabs(z) < 5, "%s: %s %lu: frame %lu vs DEM %lu of %lu (z = %.2f)", name,
                      kind ? "pair D,D+1 at" : "detector", (unsigned long)k, (unsigned long)a, (unsigned long)b,
                      (unsigned long)n, z);
            if (fabs(z) > fabs(worst)) worst = z;
            if (kind == 0 && a + b) sum += z * z, k_used++;
        }
    }
    double chi = k_used ? (sum - k_used) / sqrt(2.0 * k_used) : 0;
    cr_expect(chi < 3.1, "%s: aggregate (sum z^2 - k)/sqrt(2k) = %.2f over %lu", name, chi, (unsigned long)k_used);
    double zo = frame_counts_z(fobs[0], n, dobs[0], n);
    cr_expect(fabs(zo) < 5, "%s: observable frame %lu vs DEM %lu (z = %.2f)", name, (unsigned long)fobs[0],
              (unsigned long)dobs[0], zo);
    printf("%-22s %4lu detectors: worst z = %+.2f, aggregate %+.2f (k=%lu), obs %.4f vs %.4f (z = %+.2f)\n", name,
           (unsigned long)D, worst, chi, (unsigned long)k_used, (double)fobs[0] / n, (double)dobs[0] / n, zo);
    free(fd), free(fo), free(dd), free(dob), free(f1), free(f2), free(d1), free(d2);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(frame_vs_dem, si1000_and_uniform, .timeout = 300) {
    compare("si1000_x_d3_r3_p0.003", qp_surface_params_si1000('x', 3, 3, 0.003));
    compare("si1000_z_d3_r5_p0.002", qp_surface_params_si1000('z', 3, 5, 0.002));
    compare("si1000_x_d5_r5_p0.002", qp_surface_params_si1000('x', 5, 5, 0.002));
    compare("uniform_z_d5_r3_p0.004", qp_surface_params_uniform('z', 5, 3, 0.004));
}
