// Test helper for the frame-simulator tests: a sink that counts, per detector and per
// observable, how many of the shots [0, num_shots) fired; and Stim b8 counts for comparison.
#ifndef QP_TESTS_SIM_FRAME_COUNTS_H
#define QP_TESTS_SIM_FRAME_COUNTS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "workers/sim/frame_sim.h"

typedef struct {
    uint64_t num_shots;
    uint64_t *det;  // (num_detectors) shots with a detection event
    uint64_t *obs;  // (num_observables) shots with an observable flip
} frame_counts;

static inline uint64_t frame_counts_row(const uint64_t *row, size_t stride, uint64_t batch_first,
                                        uint64_t num_shots) {
    uint64_t c = 0;
    for (size_t w = 0; w < stride; w++) {
        uint64_t s0 = batch_first + 64 * w;
        if (s0 >= num_shots) break;
        uint64_t v = row[w];
        if (num_shots - s0 < 64) v &= (1ULL << (num_shots - s0)) - 1;
        c += (uint64_t)__builtin_popcountll(v);
    }
    return c;
}

static inline int frame_counts_dets(void *ctx, uint64_t batch_first, uint64_t first_det, size_t n,
                                    const uint64_t *rows, size_t stride, qp_err *err) {
    frame_counts *fc = ctx;
    for (size_t i = 0; i < n; i++) fc->det[first_det + i] += frame_counts_row(rows + i * stride, stride, batch_first, fc->num_shots);
    return 0;
}

static inline int frame_counts_obs(void *ctx, uint64_t batch_first, uint32_t n, const uint64_t *rows,
                                   size_t stride, qp_err *err) {
    frame_counts *fc = ctx;
    for (uint32_t i = 0; i < n; i++) fc->obs[i] += frame_counts_row(rows + (size_t)i * stride, stride, batch_first, fc->num_shots);
    return 0;
}

// Two-sample binomial z statistic (pooled); 0 when neither sample has an event.
static inline double frame_counts_z(uint64_t k1, uint64_t n1, uint64_t k2, uint64_t n2) {
    double p1 = (double)k1 / n1, p2 = (double)k2 / n2, p = (double)(k1 + k2) / (n1 + n2);
    double var = p * (1 - p) * (1.0 / n1 + 1.0 / n2);
    return var > 0 ? (p1 - p2) / sqrt(var) : 0.0;
}

// Per-bit counts of a b8 file's records: counts[k] += shots whose bit k is set.
static inline void frame_counts_b8(const uint8_t *recs, uint64_t shots, size_t record_bytes, size_t nbits,
                                   uint64_t *counts) {
    for (uint64_t s = 0; s < shots; s++)
        for (size_t k = 0; k < nbits; k++) counts[k] += (recs[s * record_bytes + k / 8] >> (k % 8)) & 1;
}

// Upper tail P(X >= x) of a chi-square(k) variable (Wilson-Hilferty cube-root normal
// approximation, accurate to a few percent of p well beyond p = 0.001 for k >= 1).
static inline double frame_counts_chi2_p(double x, double k) {
    if (k <= 0) return 1;
    double h = 2.0 / (9.0 * k);
    double z = (cbrt(x / k) - (1 - h)) / sqrt(h);
    return 0.5 * erfc(z / sqrt(2.0));
}

// Compares two samples bit by bit: every |z| < 5 and the chi-square of sum z^2 over bits with
// events has p > 0.001. Returns 1 when both hold; *worst and *chi_p describe the comparison.
static inline int frame_counts_match(const uint64_t *a, uint64_t na, const uint64_t *b, uint64_t nb, size_t nbits,
                                     double *worst, size_t *worst_bit, double *chi_p) {
    double sum = 0;
    size_t used = 0;
    *worst = 0;
    *worst_bit = 0;
    for (size_t k = 0; k < nbits; k++) {
        if (a[k] + b[k] == 0 || a[k] + b[k] == na + nb) continue;
        double z = frame_counts_z(a[k], na, b[k], nb);
        sum += z * z;
        used++;
        if (fabs(z) > fabs(*worst)) *worst = z, *worst_bit = k;
    }
    *chi_p = frame_counts_chi2_p(sum, (double)used);
    return fabs(*worst) < 5 && *chi_p > 0.001;
}

#endif
