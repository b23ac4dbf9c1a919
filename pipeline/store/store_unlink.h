// Removing objects from the results store: a resumed job drops what an interrupted
// experiment half-wrote before writing it again. (HDF5 does not reclaim the space; the file
// keeps its size, its contents are exactly the new ones.)
#ifndef QP_STORE_UNLINK_H
#define QP_STORE_UNLINK_H

#include "pipeline/store/store.h"
#include "workers/util/err.h"

// Collective. Unlinks the group or dataset at an absolute path; a missing path is not an error.
int qp_store_unlink(qp_store *store, const char *path, qp_err *err);

#endif
