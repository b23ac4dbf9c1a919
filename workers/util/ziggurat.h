// Standard normal draws by the ziggurat method (Marsaglia & Tsang 2000), from one 64-bit random
// word in about 99 % of draws: the soft-readout sampler draws one normal per measurement per
// shot, where Box-Muller's log, sqrt and sincos cost more than the rest of the sampler.
//
// The density exp(-x^2/2) is covered by 128 layers of equal area v: a base layer (the
// rectangle [0, r] x [0, f(r)] plus the tail beyond r) and 127 rectangles stacked on it, the
// top one ending at x = 0. r is solved numerically at init (bisection until the stack closes
// at f = 1; r = 3.4426...), so no constant is copied from anywhere. A draw picks a layer
// (7 bits) and a sign (1 bit) and a point of the layer's rectangle (53 bits); inside the part
// under the curve it is accepted at once, in a wedge by a second uniform, in the tail by
// Marsaglia's exponential method. Exact in distribution (up to the 53-bit uniforms).
//
// No global state: the tables live in the struct the caller keeps (2 KB).
#ifndef QP_UTIL_ZIGGURAT_H
#define QP_UTIL_ZIGGURAT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "workers/util/rng.h"

#define QP_ZIGGURAT_LAYERS 128

typedef struct {
    double r;                           // right edge of the base layer's rectangle
    double v;                           // area of every layer
    double w[QP_ZIGGURAT_LAYERS];       // w[k]: width of layer k's rectangle
    double inner[QP_ZIGGURAT_LAYERS];   // inner[k]: x below which layer k lies under the curve
    double fw[QP_ZIGGURAT_LAYERS];      // f at layer k's bottom edge
    double ft[QP_ZIGGURAT_LAYERS];      // f at layer k's top edge
} qp_ziggurat;

void qp_ziggurat_init(qp_ziggurat *z);

// The slow path (wedges and tail), out of line.
double qp_ziggurat_slow(const qp_ziggurat *z, qp_rng *r, unsigned layer, double x);

// One standard normal draw. The sign (bit 7) is applied branch-free: a branch on a random bit
// mispredicts half the time, which cost more than the rest of the draw.
static inline double qp_ziggurat_normal(const qp_ziggurat *z, qp_rng *r) {
    uint64_t bits = qp_rng_u64(r);
    unsigned layer = (unsigned)(bits & (QP_ZIGGURAT_LAYERS - 1));
    double x = (double)(bits >> 11) * 0x1.0p-53 * z->w[layer];
    if (!(x < z->inner[layer])) x = qp_ziggurat_slow(z, r, layer, x);
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    u ^= (bits & 0x80) << 56;
    memcpy(&x, &u, sizeof x);
    return x;
}

#endif
