// A growable byte array that the encoders append to; the shot writer flushes it to disk.
#ifndef QP_FORMATS_BYTE_BUFFER_H
#define QP_FORMATS_BYTE_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

typedef struct {
    uint8_t *data;  // (capacity), the first len bytes valid
    size_t len;
    size_t capacity;
} qp_byte_buffer;

static inline void qp_byte_buffer_reserve(qp_byte_buffer *b, size_t extra) { qp_grow(b->data, b->capacity, b->len + extra); }

static inline void qp_byte_buffer_push(qp_byte_buffer *b, uint8_t byte) {
    if (b->len == b->capacity) qp_byte_buffer_reserve(b, 1);
    b->data[b->len++] = byte;
}

static inline void qp_byte_buffer_append(qp_byte_buffer *b, const void *bytes, size_t n) {
    if (n == 0) return;
    qp_byte_buffer_reserve(b, n);
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

// Appends the decimal digits of v.
static inline void qp_byte_buffer_append_u64(qp_byte_buffer *b, uint64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    qp_byte_buffer_reserve(b, (size_t)n);
    while (n) b->data[b->len++] = (uint8_t)digits[--n];
}

static inline void qp_byte_buffer_free(qp_byte_buffer *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->capacity = 0;
}

#endif
