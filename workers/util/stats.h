// Logical error rate statistics shared by every command that counts mistakes.
#ifndef QP_UTIL_STATS_H
#define QP_UTIL_STATS_H

#include <stdint.h>

// Wilson score interval for `errors` out of `shots` at z standard deviations (z = 1.96 for
// 95 %). Well-behaved at 0 and `shots` errors, unlike the normal approximation.
void qp_wilson_interval(uint64_t errors, uint64_t shots, double z, double *lo, double *hi);

// Logical error rate per round from a whole-experiment rate, assuming independent rounds:
// 1 - (1 - 2 p)^(1/rounds) over 2 (the convention of Google's 2023 and 2024 papers).
// Saturated: a total rate of 0.5 or more (a long experiment whose logical state is scrambled)
// has no per-round rate (independent rounds never exceed 0.5, and reach it only in the limit),
// so the result is NaN, which callers show as "saturated", never as a rate.
double qp_ler_per_round(double ler, uint64_t rounds);

#endif
