// Draws from a block's noise stream shared by the frame simulator's noise channels and its
// leakage dynamics (frame_sim.c, frame_leak.c): geometric skipping and small uniform integers.
#ifndef QP_SIM_FRAME_DRAW_H
#define QP_SIM_FRAME_DRAW_H

#include <math.h>
#include <stdint.h>

#include "workers/util/rng.h"

// Advances *pos to the next position in [*pos, end) hit with probability p (inv_log1mp =
// 1/log(1-p)); returns 0 when there is none.
static inline int qp_draw_next_hit(qp_rng *r, double inv_log1mp, uint64_t *pos, uint64_t end) {
    double u = (double)((qp_rng_u64(r) >> 11) + 1) * 0x1.0p-53;  // (0, 1]
    double gap = log(u) * inv_log1mp;
    if (!(gap < (double)(end - *pos))) {
        *pos = end;
        return 0;
    }
    *pos += (uint64_t)gap;
    return 1;
}

// Uniform integer in [0, n) from one 64-bit draw (bias < 2^-32).
static inline uint32_t qp_draw_below(qp_rng *r, uint32_t n) {
    return (uint32_t)(((qp_rng_u64(r) >> 32) * n) >> 32);
}

#endif
