// Buffered input for the shot readers: bytes from a file descriptor (read in 256 KiB blocks,
// never the whole file) or from a memory block (used by the fuzzer and tests). It knows the
// absolute byte offset of every byte and, for text formats, the current line and the offset
// where that line starts, so decoders can report "FILE:line:column" or "byte offset N".
#ifndef QP_FORMATS_BYTE_SOURCE_H
#define QP_FORMATS_BYTE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int fd;                 // -1 for a memory source
    uint8_t *block;         // owned read buffer (fd sources), block_capacity bytes
    size_t block_capacity;
    const uint8_t *data;    // current window: block, or the whole memory source
    size_t len;             // valid bytes in data
    size_t pos;             // next byte to hand out, index into data
    uint64_t base;          // absolute offset of data[0]
    uint64_t line;          // 1-based line of the next byte
    uint64_t line_start;    // absolute offset of the first byte of that line
    int read_errno;         // errno of a failed read(2), 0 if none
} qp_byte_source;

void qp_source_init_fd(qp_byte_source *src, int fd);
void qp_source_init_mem(qp_byte_source *src, const uint8_t *data, size_t len);
void qp_source_free(qp_byte_source *src);  // frees the block; does not close fd

// Refills the window; returns the next byte or -1 at end of input (or on a read error,
// recorded in read_errno).
int qp_source_refill(qp_byte_source *src);

static inline int qp_source_peek(qp_byte_source *src) {
    if (src->pos < src->len) return src->data[src->pos];
    return qp_source_refill(src);
}

// Consumes and returns the next byte (-1 at end), advancing the line count on '\n'.
static inline int qp_source_get(qp_byte_source *src) {
    int c = qp_source_peek(src);
    if (c < 0) return c;
    src->pos++;
    if (c == '\n') {
        src->line++;
        src->line_start = src->base + src->pos;
    }
    return c;
}

static inline uint64_t qp_source_offset(const qp_byte_source *src) { return src->base + src->pos; }

// 1-based column of the next byte on the current line.
static inline uint64_t qp_source_column(const qp_byte_source *src) {
    return qp_source_offset(src) - src->line_start + 1;
}

// Copies up to n bytes to dst (binary formats; does not count lines). Returns bytes copied;
// fewer than n only at end of input.
size_t qp_source_read(qp_byte_source *src, uint8_t *dst, size_t n);

// Moves to absolute byte offset `offset` (fd must be seekable). Returns 0 or -1 (errno set).
int qp_source_seek(qp_byte_source *src, uint64_t offset);

#endif
