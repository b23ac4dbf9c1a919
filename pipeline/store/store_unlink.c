#include "pipeline/store/store_unlink.h"

#include "pipeline/store/store_internal.h"

int qp_store_unlink(qp_store *store, const char *path, qp_err *err) {
    int rc = 0;
    if (qp_store_exists(store, path) && H5Ldelete(store->file, path, H5P_DEFAULT) < 0)
        rc = qp_store_h5_fail(store, err, "removing %s", path);
    return qp_store_agree(store->comm, rc, err);
}
