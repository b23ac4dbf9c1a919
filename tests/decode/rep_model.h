// A folded detector error model small enough to write by hand, with its own sampler, for
// the windowed-decoding tests (tests/decode/test_window.c, tests/job/mpitest_window_ranks.c):
// a distance-3 repetition code under phenomenological noise, 300 rounds, unequal
// probabilities so that exact matchers do not face ties that change the prediction.
#ifndef QP_TEST_REP_MODEL_H
#define QP_TEST_REP_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Detectors 2r, 2r+1 per round r; data errors on three qubits, measurement errors per stabilizer.
#define REP_ROUNDS 300
static const char *rep_dem =
    "error(0.011) D0 L0\nerror(0.008) D0 D1\nerror(0.013) D1\n"
    "repeat 299 {\n"
    "  error(0.009) D0 D2\n  error(0.012) D1 D3\n"
    "  error(0.011) D2 L0\n  error(0.008) D2 D3\n  error(0.013) D3\n"
    "  shift_detectors 2\n"
    "}\n"
    "error(0.009) D0 D2\nerror(0.012) D1 D3\n";

// Samples n shots of rep_dem: dets (n, bytes) b8, obs (n) actual flips.
static inline void sample_rep(uint64_t seed, size_t n, uint8_t *dets, size_t bytes, uint8_t *obs) {
    uint64_t s = seed;
    memset(dets, 0, n * bytes);
    for (size_t k = 0; k < n; k++) {
        uint8_t *rec = dets + k * bytes;
        obs[k] = 0;
#define FLIP(d) (rec[(d) >> 3] ^= (uint8_t)(1u << ((d) & 7)))
#define DRAW(p) (((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 11) * 0x1.0p-53 < (p))
        for (int r = 0; r < REP_ROUNDS; r++) {
            int a = 2 * r, b = 2 * r + 1;
            if (r > 0) {
                if (DRAW(0.009)) FLIP(a - 2), FLIP(a);
                if (DRAW(0.012)) FLIP(b - 2), FLIP(b);
            }
            if (DRAW(0.011)) FLIP(a), obs[k] ^= 1;
            if (DRAW(0.008)) FLIP(a), FLIP(b);
            if (DRAW(0.013)) FLIP(b);
        }
        int a = 2 * REP_ROUNDS, b = a + 1;  // the tail: final time-like errors
        if (DRAW(0.009)) FLIP(a - 2), FLIP(a);
        if (DRAW(0.012)) FLIP(b - 2), FLIP(b);
#undef FLIP
#undef DRAW
    }
}

#endif
