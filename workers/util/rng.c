#include "workers/util/rng.h"

void qp_rng_stream(qp_rng *rng, uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t key = qp_mix64(qp_mix64(qp_mix64(seed) ^ a) ^ qp_mix64(b + 0x632be59bd9b4e019ULL));
    for (int i = 0; i < 4; i++) {
        key += 0x9e3779b97f4a7c15ULL;
        rng->s[i] = qp_mix64(key);
    }
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3])) rng->s[0] = 1;  // never all zero
}
