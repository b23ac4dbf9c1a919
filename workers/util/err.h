// Errors travel as return codes plus a message buffer; nothing in the libraries exits.
// Convention: a function that can fail takes `qp_err *err` last and returns 0 on success,
// -1 on failure with err->msg set to one line such as "F.stim:12:5: unknown gate 'FOO'".
#ifndef QP_UTIL_ERR_H
#define QP_UTIL_ERR_H

#include <stddef.h>

typedef struct {
    char msg[1024];
} qp_err;

// Formats err->msg (err may be NULL) and returns -1, so callers can `return qp_fail(...)`.
int qp_fail(qp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Prepends "prefix: " to an existing message (e.g. a file name added by an outer layer).
int qp_fail_prefix(qp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
