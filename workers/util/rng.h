// Random streams. qecpipe's results depend only on (job seed, stream ids), never on ranks
// or batch sizes, so every consumer derives its own independent stream:
//
//   qp_rng_stream(&rng, seed, a, b)   e.g. a = experiment index, b = task index
//
// The stream key is mixed with SplitMix64 (seed, a, b each folded through the finaliser)
// and expanded into xoshiro256** state. xoshiro256** has period 2^256-1, passes BigCrush,
// and costs ~1 ns per 64 bits; distinct keys give statistically independent streams.
#ifndef QP_UTIL_RNG_H
#define QP_UTIL_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} qp_rng;

void qp_rng_stream(qp_rng *rng, uint64_t seed, uint64_t a, uint64_t b);

static inline uint64_t qp_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t qp_rng_u64(qp_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = qp_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = qp_rng_rotl(s[3], 45);
    return result;
}

// Uniform double in [0, 1) with 53 random bits.
static inline double qp_rng_uniform(qp_rng *r) { return (double)(qp_rng_u64(r) >> 11) * 0x1.0p-53; }

// SplitMix64 finaliser: a bijective 64-bit mixer, also handy for hashing ids.
static inline uint64_t qp_mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
