// Ziggurat normal draws (workers/util/ziggurat.h): the solved base edge, and 2,000,000 draws'
// mean, variance and tail probabilities P(|X| > t) and P(X > t) against the normal's, each
// within 5 standard deviations.
#include <criterion/criterion.h>
#include <math.h>

#include "workers/util/ziggurat.h"

Test(ziggurat, layers_close_the_stack) {
    qp_ziggurat z;
    qp_ziggurat_init(&z);
    // Marsaglia & Tsang's r for 128 layers is 3.442619855899 (checked, not used).
    cr_expect(fabs(z.r - 3.442619855899) < 1e-9, "r = %.12f", z.r);
    cr_expect_eq(z.inner[QP_ZIGGURAT_LAYERS - 1], 0);
    for (int k = 1; k < QP_ZIGGURAT_LAYERS; k++) {
        cr_expect(z.w[k] * (z.ft[k] - z.fw[k]) - z.v < 1e-12, "layer %d area %.15g vs %.15g", k,
                  z.w[k] * (z.ft[k] - z.fw[k]), z.v);
        cr_expect(z.inner[k] < z.w[k]);
    }
    cr_expect(fabs(z.ft[QP_ZIGGURAT_LAYERS - 1] - 1) < 1e-12);
}

Test(ziggurat, draws_are_standard_normal) {
    qp_ziggurat z;
    qp_ziggurat_init(&z);
    qp_rng r;
    qp_rng_stream(&r, 1, 2, 3);
    const long n = 2000000;
    const double ts[] = {0.25, 0.5, 1, 1.5, 2, 2.5, 3, 3.4, 3.6, 4, 4.5};
    enum { NT = sizeof ts / sizeof ts[0] };
    long above[NT] = {0}, abs_above[NT] = {0};
    double sum = 0, sum2 = 0;
    for (long i = 0; i < n; i++) {
        double x = qp_ziggurat_normal(&z, &r);
        sum += x, sum2 += x * x;
        for (int k = 0; k < NT; k++) above[k] += x > ts[k], abs_above[k] += fabs(x) > ts[k];
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    cr_expect(fabs(mean) < 5 / sqrt((double)n), "mean %.6f", mean);
    cr_expect(fabs(var - 1) < 5 * sqrt(2.0 / n), "variance %.6f", var);
    for (int k = 0; k < NT; k++) {
        double q = 0.5 * erfc(ts[k] / sqrt(2));
        double z1 = (above[k] - n * q) / sqrt(n * q * (1 - q));
        double z2 = (abs_above[k] - 2 * n * q) / sqrt(n * 2 * q * (1 - 2 * q));
        cr_expect(fabs(z1) < 5, "P(X > %g): %ld of %ld, expected %.1f (z = %.2f)", ts[k], above[k], n, n * q, z1);
        cr_expect(fabs(z2) < 5, "P(|X| > %g): %ld of %ld, expected %.1f (z = %.2f)", ts[k], abs_above[k], n, 2 * n * q, z2);
    }
}
