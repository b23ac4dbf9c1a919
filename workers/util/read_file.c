// Reading a whole file (see read_file.h).
#include "workers/util/read_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

char *qp_read_file(const char *path, size_t *len_out, qp_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        qp_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        qp_grow(buf, cap, len + 65536);
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        qp_fail(err, "%s: read error", path);
        return NULL;
    }
    buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}
