// Text files kept inside the results store (a Stim circuit, a detector error model, a config):
// stored byte for byte as a uint8 (n,) dataset with a string attribute "format" (e.g. "stim",
// "dem", "yaml"), so `h5dump` shows the bytes and h5py users get them with
// bytes(f[path][:]).decode(). A dataset rather than an attribute because texts can be large and
// are objects of their own in the layout (docs/hdf5-layout.md).
#ifndef QP_STORE_TEXT_H
#define QP_STORE_TEXT_H

#include <stddef.h>

#include "pipeline/store/store.h"
#include "workers/util/err.h"

// Collective: every rank passes the same path and format; the text is taken from rank 0 only
// (other ranks may pass NULL).
int qp_store_text_write(qp_store *store, const char *path, const char *format, const char *text,
                        qp_err *err);

// Independent: *text gets a NUL-terminated qp_malloc'd copy (the caller frees it), *len its
// length (may be NULL). *format (may be NULL) gets the format attribute, also to be freed.
int qp_store_text_read(qp_store *store, const char *path, char **text, size_t *len, char **format,
                       qp_err *err);

#endif
