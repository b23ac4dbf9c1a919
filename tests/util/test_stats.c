#include <criterion/criterion.h>
#include <math.h>

#include "workers/util/stats.h"

Test(stats, wilson_interval_contains_rate_and_matches_reference) {
    double lo, hi;
    // Reference: 10 of 100 at 95 %: Wilson (0.0552, 0.1744).
    qp_wilson_interval(10, 100, 1.96, &lo, &hi);
    cr_assert(fabs(lo - 0.05523) < 1e-4 && fabs(hi - 0.17437) < 1e-4, "(%f, %f)", lo, hi);
    qp_wilson_interval(0, 1000, 1.96, &lo, &hi);
    cr_assert(lo == 0 && hi > 0 && hi < 0.005, "zero errors: (%f, %f)", lo, hi);
    qp_wilson_interval(1000, 1000, 1.96, &lo, &hi);
    cr_assert(hi == 1 && lo > 0.995, "all errors: (%f, %f)", lo, hi);
}

Test(stats, ler_per_round_inverts_composition) {
    double eps = 0.01;
    // Composing r independent rounds of flip probability eps: (1 - (1-2eps)^r) / 2.
    double total = 0.5 * (1 - pow(1 - 2 * eps, 25));
    cr_assert(fabs(qp_ler_per_round(total, 25) - eps) < 1e-12);
    // A long experiment: 1,000,000 rounds of 3e-7 give a total of 0.226; the rate comes back.
    total = 0.5 * (1 - pow(1 - 2 * 3e-7, 1e6));
    cr_assert(fabs(qp_ler_per_round(total, 1000000) - 3e-7) < 1e-15, "%.17g", qp_ler_per_round(total, 1000000));
    // Just below saturation the rate is defined and below 0.5; at or above 0.5 none exists.
    double near = qp_ler_per_round(0.4999, 1000);
    cr_assert(near > 0 && near < 0.5, "%g", near);
    cr_assert(isnan(qp_ler_per_round(0.5, 1000)), "LER 0.5 must be saturated, not %g", qp_ler_per_round(0.5, 1000));
    cr_assert(isnan(qp_ler_per_round(0.6, 5)), "LER 0.6 must be saturated, not %g", qp_ler_per_round(0.6, 5));
    cr_assert(isnan(qp_ler_per_round(0.555, 2500)), "%g", qp_ler_per_round(0.555, 2500));
}
