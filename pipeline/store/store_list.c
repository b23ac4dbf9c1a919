#include "pipeline/store/store_list.h"

#include <stdlib.h>

#include "pipeline/store/store_internal.h"
#include "workers/util/alloc.h"

typedef struct {
    char **names;
    size_t n, cap;
} name_list;

static herr_t collect(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    name_list *l = data;
    qp_grow(l->names, l->cap, l->n + 1);
    l->names[l->n++] = qp_strdup(name);
    return 0;
}

int qp_store_list(qp_store *store, const char *group, char ***names, size_t *n, qp_err *err) {
    *names = NULL;
    *n = 0;
    if (!qp_store_exists(store, group)) return 0;
    hid_t g = H5Gopen2(store->file, group, H5P_DEFAULT);
    if (g < 0) return qp_store_h5_fail(store, err, "opening group %s", group);
    name_list l = {0};
    hsize_t idx = 0;
    herr_t rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &l);
    H5Gclose(g);
    if (rc < 0) {
        qp_store_names_free(l.names, l.n);
        return qp_store_h5_fail(store, err, "listing group %s", group);
    }
    *names = l.names;
    *n = l.n;
    return 0;
}

void qp_store_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}
