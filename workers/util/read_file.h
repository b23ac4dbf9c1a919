// Reading a whole file into memory: the one place that knows how (circuits, DEMs and the texts
// experiments store all come in this way).
#ifndef QP_UTIL_READ_FILE_H
#define QP_UTIL_READ_FILE_H

#include <stddef.h>

#include "workers/util/err.h"

// The file's bytes and a terminating 0 (malloc'ed; *len, if not NULL, gets the byte count), or
// NULL with err "PATH: cannot open: REASON" / "PATH: read error".
char *qp_read_file(const char *path, size_t *len, qp_err *err);

#endif
