// Listing the members of a group in the results store (e.g. the experiments of a job).
#ifndef QP_STORE_LIST_H
#define QP_STORE_LIST_H

#include <stddef.h>

#include "pipeline/store/store.h"
#include "workers/util/err.h"

// Independent. *names (n entries, each malloc'd, sorted by name) lists the links in the group
// at an absolute path; free with qp_store_names_free. A missing group gives n = 0.
int qp_store_list(qp_store *store, const char *group, char ***names, size_t *n, qp_err *err);
void qp_store_names_free(char **names, size_t n);

#endif
