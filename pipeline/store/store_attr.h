// Attributes on any object of the results store (a group such as "/" or
// "/experiments/x", or a dataset): the job's metadata (config text, version, seed, ranks, shot
// counts, timings). Names in use are listed in docs/hdf5-layout.md.
//
// Setting is collective (every rank, same arguments) and replaces an existing attribute of the
// same name, whatever its type. Getting is independent. Types are scalars: a UTF-8 string
// (variable length, so config texts of any size fit), int64, uint64, double. A get of the
// wrong type is an error that names the attribute, not a silent conversion.
#ifndef QP_STORE_ATTR_H
#define QP_STORE_ATTR_H

#include <stdint.h>

#include "pipeline/store/store.h"
#include "workers/util/err.h"

int qp_store_attr_set_str(qp_store *store, const char *obj_path, const char *name,
                          const char *value, qp_err *err);
int qp_store_attr_set_i64(qp_store *store, const char *obj_path, const char *name, int64_t value,
                          qp_err *err);
int qp_store_attr_set_u64(qp_store *store, const char *obj_path, const char *name, uint64_t value,
                          qp_err *err);
int qp_store_attr_set_f64(qp_store *store, const char *obj_path, const char *name, double value,
                          qp_err *err);

// *value is allocated (qp_malloc); the caller frees it.
int qp_store_attr_get_str(qp_store *store, const char *obj_path, const char *name, char **value,
                          qp_err *err);
int qp_store_attr_get_i64(qp_store *store, const char *obj_path, const char *name, int64_t *value,
                          qp_err *err);
int qp_store_attr_get_u64(qp_store *store, const char *obj_path, const char *name,
                          uint64_t *value, qp_err *err);
int qp_store_attr_get_f64(qp_store *store, const char *obj_path, const char *name, double *value,
                          qp_err *err);

// 1 if the object exists and has the attribute, else 0.
int qp_store_attr_exists(qp_store *store, const char *obj_path, const char *name);

#endif
