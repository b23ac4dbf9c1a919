// The exact maximum-likelihood decoder: the joint distribution of (syndrome, observables) built
// by one butterfly per mechanism, then one decision per syndrome. See ml.h.
#include "workers/decode/ml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/dem/dem_flatten.h"
#include "workers/util/alloc.h"

struct qp_ml {
    uint64_t num_detectors;
    uint32_t num_observables;
    uint8_t *best;    // (2^D,) the likeliest observable mask per syndrome
    float *margin;    // (2^D,) ln(P(best) / P(runner-up)) per syndrome
};

// Step 3 for one mechanism: P'[x] = (1 - p) P[x] + p P[x ^ m], visiting each pair once as
// (x, x ^ m) with x's copy of m's highest bit clear.
static void fold_mechanism(double *P, unsigned bits, uint64_t m, double p) {
    if (m == 0 || p == 0) return;  // flips nothing observable, or never happens
    unsigned h = 63 - (unsigned)__builtin_clzll(m);
    uint64_t half = 1ull << h, low = m & (half - 1), n = 1ull << bits;
    double q = 1 - p;
    for (uint64_t base = 0; base < n; base += 2 * half) {
        double *a = P + base, *b = P + base + half;  // b[lo ^ low] pairs with a[lo]
        for (uint64_t lo = 0; lo < half; lo++) {
            double x = a[lo], y = b[lo ^ low];
            a[lo] = q * x + p * y;
            b[lo ^ low] = q * y + p * x;
        }
    }
}

int qp_ml_joint(const qp_dem *dem, double **table, uint64_t *num_detectors, uint32_t *num_observables,
                qp_err *err) {
    *table = NULL;
    uint64_t D = dem->num_detectors;
    uint32_t K = dem->num_observables;
    if (K > QP_ML_MAX_OBSERVABLES || D + K > QP_ML_MAX_BITS)
        return qp_fail(err, "ml decoder: the model has %llu detectors and %u observables; exact maximum "
                            "likelihood tabulates 2^(detectors + observables) outcomes and is limited to "
                            "%d bits (%d MB of float64) and %d observables, e.g. d=3 with 3 rounds",
                       (unsigned long long)D, K, QP_ML_MAX_BITS, (int)((8ull << QP_ML_MAX_BITS) >> 20),
                       QP_ML_MAX_OBSERVABLES);
    qp_dem_flat flat;
    // Step 1. Each mechanism costs one pass over the table (~0.04 s at 25 bits): a model within
    // the size limit has a few hundred; QP_ML_MAX_MECHANISMS stops a runaway repeat block.
    if (qp_dem_flatten(dem, &flat, QP_ML_MAX_MECHANISMS, err) != 0) return qp_fail_prefix(err, "ml decoder");
    unsigned bits = (unsigned)(D + K);
    double *P = qp_calloc((size_t)1 << bits, sizeof *P);
    P[0] = 1;  // step 2
    int rc = 0;
    for (size_t i = 0; i < flat.num_mechs && rc == 0; i++) {  // step 3
        const qp_dem_mechanism *mech = &flat.mechs[i];
        if (!(mech->probability >= 0 && mech->probability <= 1)) {
            rc = qp_fail(err, "ml decoder: error mechanism %zu has probability %g, outside [0, 1]", i,
                         mech->probability);
            break;
        }
        uint64_t m = mech->observables << D;
        for (uint32_t j = 0; j < mech->num_dets; j++) m ^= 1ull << flat.dets[mech->first_det + j];
        fold_mechanism(P, bits, m, mech->probability);
    }
    qp_dem_flat_free(&flat);
    if (rc != 0) {
        free(P);
        return -1;
    }
    *table = P;
    *num_detectors = D;
    *num_observables = K;
    return 0;
}

qp_ml *qp_ml_create(const qp_dem *dem, qp_err *err) {
    double *P;
    uint64_t D;
    uint32_t K;
    if (qp_ml_joint(dem, &P, &D, &K, err) != 0) return NULL;
    qp_ml *ml = qp_calloc(1, sizeof *ml);
    ml->num_detectors = D;
    ml->num_observables = K;
    uint64_t syndromes = 1ull << D, masks = 1ull << K;
    ml->best = qp_malloc(syndromes);
    ml->margin = qp_malloc(syndromes * sizeof *ml->margin);
    for (uint64_t s = 0; s < syndromes; s++) {  // step 4
        uint64_t best = 0;
        double top = P[s], second = -1;
        for (uint64_t L = 1; L < masks; L++) {
            double v = P[s | L << D];
            if (v > top) {
                second = top;
                top = v;
                best = L;
            } else if (v > second) {
                second = v;
            }
        }
        ml->best[s] = (uint8_t)best;
        ml->margin[s] = second > 0 ? (float)log(top / second) : INFINITY;
    }
    free(P);
    return ml;
}

void qp_ml_free(qp_ml *ml) {
    if (!ml) return;
    free(ml->best);
    free(ml->margin);
    free(ml);
}

uint64_t qp_ml_num_detectors(const qp_ml *ml) { return ml->num_detectors; }
uint32_t qp_ml_num_observables(const qp_ml *ml) { return ml->num_observables; }

void qp_ml_decode_b8(const qp_ml *ml, const uint8_t *det_b8, uint64_t *obs_out, double *margin_out) {
    uint64_t s = 0;
    for (uint64_t b = 0; b < (ml->num_detectors + 7) / 8; b++) s |= (uint64_t)det_b8[b] << (8 * b);
    s &= (1ull << ml->num_detectors) - 1;  // padding bits of the last byte
    *obs_out = ml->best[s];
    if (margin_out) *margin_out = ml->margin[s];
}
