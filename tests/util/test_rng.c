#include <criterion/criterion.h>
#include <math.h>

#include "workers/util/rng.h"

Test(rng, streams_are_deterministic_and_distinct) {
    qp_rng a, b, c;
    qp_rng_stream(&a, 42, 1, 2);
    qp_rng_stream(&b, 42, 1, 2);
    qp_rng_stream(&c, 42, 2, 1);
    int same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = qp_rng_u64(&a), y = qp_rng_u64(&b), z = qp_rng_u64(&c);
        cr_assert_eq(x, y);
        same_ac += x == z;
    }
    cr_assert_eq(same_ac, 0, "swapping stream ids must give a different stream");
}

Test(rng, uniform_mean_and_bit_balance) {
    qp_rng r;
    qp_rng_stream(&r, 7, 0, 0);
    const int n = 1000000;
    double sum = 0;
    long ones = 0;
    for (int i = 0; i < n; i++) {
        sum += qp_rng_uniform(&r);
        ones += __builtin_popcountll(qp_rng_u64(&r));
    }
    // mean of U[0,1): sd of the sample mean is sqrt(1/12/n); allow 5 sd.
    cr_assert(fabs(sum / n - 0.5) < 5 * sqrt(1.0 / 12 / n), "mean %f", sum / n);
    double bits = 64.0 * n, z = (ones - bits / 2) / sqrt(bits / 4);
    cr_assert(fabs(z) < 5, "bit balance z=%f", z);
}
