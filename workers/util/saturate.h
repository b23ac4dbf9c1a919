// Saturating uint64 arithmetic: sizes that may overflow (a REPEAT count times its body) stick at
// UINT64_MAX instead of wrapping, so a limit check on them stays right.
#ifndef QP_UTIL_SATURATE_H
#define QP_UTIL_SATURATE_H

#include <stdint.h>

static inline uint64_t qp_sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
static inline uint64_t qp_sat_mul(uint64_t a, uint64_t b) { return b && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

#endif
