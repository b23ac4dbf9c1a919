// Files shipped with qecpipe: the configs (configs/*.yaml) and trained models (models/*.h5).
// `cmake --install` puts them in PREFIX/share/qecpipe next to PREFIX/bin/qecpipe; the binary
// finds them from its own location (/proc/self/exe), so an installed tree can be moved or
// unpacked anywhere (a module under /opt, a .deb under /usr). A binary in a build tree has no
// share/ beside it and uses the source tree it was built from.
//
// A user names a shipped file by its bare name: `qecpipe run threshold` is
// PREFIX/share/qecpipe/configs/threshold.yaml unless ./threshold exists; a file in the working
// directory (or any path with a '/') always wins.
#ifndef QP_CONFIG_SHIPPED_H
#define QP_CONFIG_SHIPPED_H

#include <stddef.h>

#include "workers/util/err.h"

typedef enum { QP_SHIPPED_CONFIG, QP_SHIPPED_MODEL } qp_shipped_kind;  // configs/*.yaml, models/*.h5

// The directory holding configs/ and models/ for a binary at exe_path: EXE_DIR/../share/qecpipe
// if it is a directory, else the source tree (compile-time QECPIPE_SOURCE_DIR) if it has
// configs/. Returns 0, or -1 (buf = "") when neither exists.
int qp_shipped_dir_for(const char *exe_path, char *buf, size_t cap);

// The same for the running binary.
int qp_shipped_dir(char *buf, size_t cap);

// The shipped file of that kind named `name` (with or without its extension) in `dir`:
// 1 and the path in buf when it exists, else 0.
int qp_shipped_lookup(const char *dir, qp_shipped_kind kind, const char *name, char *buf, size_t cap);

// What a command does with a CONFIG or --model argument: a path that exists, or that has a '/',
// is kept as written; a bare name that is not a file here becomes the shipped file of that name.
// Returns 0 with the path in buf, or -1 when a bare name is neither, with a message listing
// the shipped files of that kind and where they were looked for.
int qp_shipped_find(qp_shipped_kind kind, const char *arg, char *buf, size_t cap, qp_err *err);

// The shipped names of a kind (without extension, sorted, space-separated) in dir; "" if none.
void qp_shipped_list(const char *dir, qp_shipped_kind kind, char *buf, size_t cap);

#endif
