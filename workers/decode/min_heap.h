// A 4-ary min-heap of (distance, node) pairs for Dijkstra searches with lazy deletion
// (stale entries are skipped by the caller). The caller owns it; no global state.
#ifndef QP_DECODE_MIN_HEAP_H
#define QP_DECODE_MIN_HEAP_H

#include <stdint.h>
#include <stddef.h>

#include "workers/util/alloc.h"

typedef struct {
    int64_t dist;
    uint32_t node;
} qp_heap_item;

typedef struct {
    qp_heap_item *items;  // (len) heap-ordered
    size_t len, cap;
} qp_min_heap;

static inline void qp_heap_push(qp_min_heap *h, int64_t dist, uint32_t node) {
    qp_grow(h->items, h->cap, h->len + 1);
    size_t i = h->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (h->items[parent].dist <= dist) break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i].dist = dist;
    h->items[i].node = node;
}

// Requires len > 0.
static inline qp_heap_item qp_heap_pop(qp_min_heap *h) {
    qp_heap_item top = h->items[0];
    qp_heap_item last = h->items[--h->len];
    size_t i = 0, n = h->len;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t best = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t d = c + 1; d < end; d++)
            if (h->items[d].dist < h->items[best].dist) best = d;
        if (h->items[best].dist >= last.dist) break;
        h->items[i] = h->items[best];
        i = best;
    }
    if (n) h->items[i] = last;
    return top;
}

#endif
