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
    cr_assert(qp_ler_per_round(0.6, 5) == 0.5);
}
