#include "workers/util/stats.h"

#include <math.h>

void qp_wilson_interval(uint64_t errors, uint64_t shots, double z, double *lo, double *hi) {
    if (shots == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double n = (double)shots, p = errors / n, z2 = z * z;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

double qp_ler_per_round(double ler, uint64_t rounds) {
    if (rounds == 0) return ler;
    double base = 1 - 2 * ler;
    if (!(base > 0)) return NAN;  // saturated (or NaN in): no per-round rate gives this total
    return 0.5 * (1 - pow(base, 1.0 / (double)rounds));
}
