// Sorted sets of DEM targets (uint64, dem.h encoding) under symmetric difference: the
// sensitivity sets of the error analysis. Small (a handful of ids), so plain sorted arrays.
#ifndef QP_DEM_XOR_SET_H
#define QP_DEM_XOR_SET_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    uint64_t *v;  // (n,) strictly increasing
    uint32_t n, cap;
} qp_xor_set;

// out[0..return) = a XOR b, both sorted; out must hold na + nb values.
static inline size_t qp_xor_merge(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                                  uint64_t *out) {
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) out[n++] = a[i++];
        else if (b[j] < a[i]) out[n++] = b[j++];
        else i++, j++;
    }
    while (i < na) out[n++] = a[i++];
    while (j < nb) out[n++] = b[j++];
    return n;
}

static inline void qp_xor_set_assign(qp_xor_set *s, const uint64_t *v, size_t n) {
    qp_grow(s->v, s->cap, n);
    if (n) memmove(s->v, v, n * sizeof *v);
    s->n = (uint32_t)n;
}

// s ^= {v[0..n)} (v sorted). tmp is scratch of at least s->n + n values.
static inline void qp_xor_set_xor(qp_xor_set *s, const uint64_t *v, size_t n, uint64_t *tmp) {
    if (n == 0) return;
    size_t m = qp_xor_merge(s->v, s->n, v, n, tmp);
    qp_xor_set_assign(s, tmp, m);
}

static inline int qp_xor_set_eq(const qp_xor_set *a, const qp_xor_set *b) {
    return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
}

#endif
