#include "pipeline/formats/byte_source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workers/util/alloc.h"

enum { SOURCE_BLOCK_BYTES = 256 * 1024 };

void qp_source_init_fd(qp_byte_source *src, int fd) {
    memset(src, 0, sizeof *src);
    src->fd = fd;
    src->block_capacity = SOURCE_BLOCK_BYTES;
    src->block = qp_malloc(src->block_capacity);
    src->data = src->block;
    src->line = 1;
}

void qp_source_init_mem(qp_byte_source *src, const uint8_t *data, size_t len) {
    memset(src, 0, sizeof *src);
    src->fd = -1;
    src->data = data;
    src->len = len;
    src->line = 1;
}

void qp_source_free(qp_byte_source *src) {
    free(src->block);
    src->block = NULL;
}

int qp_source_refill(qp_byte_source *src) {
    if (src->pos < src->len) return src->data[src->pos];
    if (src->fd < 0 || src->read_errno) return -1;
    src->base += src->len;
    src->pos = 0;
    src->len = 0;
    for (;;) {
        ssize_t got = read(src->fd, src->block, src->block_capacity);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            src->read_errno = errno ? errno : EIO;
            return -1;
        }
        src->len = (size_t)got;
        break;
    }
    return src->len ? src->data[0] : -1;
}

size_t qp_source_read(qp_byte_source *src, uint8_t *dst, size_t n) {
    size_t done = 0;
    while (done < n) {
        size_t avail = src->len - src->pos;
        if (avail == 0) {
            if (qp_source_refill(src) < 0) break;
            continue;
        }
        size_t take = n - done < avail ? n - done : avail;
        memcpy(dst + done, src->data + src->pos, take);
        src->pos += take;
        done += take;
    }
    return done;
}

int qp_source_seek(qp_byte_source *src, uint64_t offset) {
    if (src->fd < 0) {
        uint64_t total = src->base + src->len;
        if (offset > total) {
            errno = EINVAL;
            return -1;
        }
        src->pos = (size_t)(offset - src->base);
    } else {
        if (offset >= src->base && offset <= src->base + src->len) {  // inside the window
            src->pos = (size_t)(offset - src->base);
        } else {
            if (lseek(src->fd, (off_t)offset, SEEK_SET) < 0) return -1;
            src->base = offset;
            src->len = 0;
            src->pos = 0;
        }
    }
    src->line = 1;  // line numbers are unknown after a seek; only binary formats seek
    src->line_start = offset;
    return 0;
}
