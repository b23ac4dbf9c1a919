// Text blobs in the results store: uint8 (n,) datasets plus a "format" attribute. See
// store_text.h.
#include "pipeline/store/store_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_dataset.h"
#include "pipeline/store/store_internal.h"
#include "workers/util/alloc.h"

int qp_store_text_write(qp_store *s, const char *path, const char *format, const char *text,
                        qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    uint64_t len = s->rank == 0 && text ? strlen(text) : 0;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, s->comm);
    qp_store_dset *d;  // written once: contiguous, exactly len bytes on disk
    if (qp_store_dset_create_fixed(s, path, QP_STORE_U8, len, 0, &d, err) != 0) return -1;
    // An empty contiguous dataset has no address to write to (every rank knows len).
    int rc = len == 0 ? 0 : qp_store_dset_write(d, 0, s->rank == 0 ? len : 0, s->rank == 0 ? text : NULL, err);
    qp_store_dset_close(d);
    if (rc == 0) rc = qp_store_attr_set_str(s, path, "format", format, err);
    return rc;
}

int qp_store_text_read(qp_store *s, const char *path, char **text, size_t *len, char **format,
                       qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *text = NULL;
    if (format) *format = NULL;
    if (!qp_store_exists(s, path)) return qp_fail(err, "%s: no text %s", s->file_path, path);
    hid_t id = H5Dopen2(s->file, path, H5P_DEFAULT);
    if (id < 0) return qp_store_h5_fail(s, err, "cannot open text %s", path);
    // Opened directly (not qp_store_dset_open, which is collective): reads are independent.
    int rc = 0;
    hid_t space = H5Dget_space(id), ftype = H5Dget_type(id);
    hsize_t n = 0;
    if (H5Sget_simple_extent_ndims(space) != 1 || H5Tget_class(ftype) != H5T_INTEGER ||
        H5Tget_size(ftype) != 1) {
        rc = qp_fail(err, "%s: %s: not a text (expected a uint8 (n,) dataset)", s->file_path, path);
    } else {
        H5Sget_simple_extent_dims(space, &n, NULL);
        char *buf = qp_malloc((size_t)n + 1);
        if (n > 0 && H5Dread(id, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            rc = qp_store_h5_fail(s, err, "cannot read text %s", path);
            free(buf);
        } else {
            buf[n] = 0;
            *text = buf;
            if (len) *len = (size_t)n;
        }
    }
    H5Tclose(ftype);
    H5Sclose(space);
    H5Dclose(id);
    if (rc == 0 && format && qp_store_attr_get_str(s, path, "format", format, err) != 0) {
        free(*text);
        *text = NULL;
        rc = -1;
    }
    return rc;
}
