// Scalar attributes (string, int64, uint64, double) on groups and datasets of the results
// store. See store_attr.h.
#include "pipeline/store/store_attr.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store_internal.h"
#include "workers/util/alloc.h"

typedef enum { ATTR_STR, ATTR_I64, ATTR_U64, ATTR_F64 } attr_kind;

static const char *kind_name(attr_kind k) {
    switch (k) {
    case ATTR_STR: return "string";
    case ATTR_I64: return "int64";
    case ATTR_U64: return "uint64";
    case ATTR_F64: return "double";
    }
    return "?";
}

// A variable-length UTF-8 string type (the caller closes it).
static hid_t vlen_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static hid_t open_object(qp_store *s, const char *obj_path, qp_err *err) {
    if (!qp_store_exists(s, obj_path)) {
        qp_fail(err, "%s: no object %s", s->file_path, obj_path);
        return H5I_INVALID_HID;
    }
    hid_t obj = H5Oopen(s->file, obj_path, H5P_DEFAULT);
    if (obj < 0) qp_store_h5_fail(s, err, "cannot open %s", obj_path);
    return obj;
}

// Collective: replaces attribute `name` of obj_path with a scalar of the given kind.
static int attr_set(qp_store *s, const char *obj_path, const char *name, attr_kind kind,
                    const void *value, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    int rc = 0;
    hid_t obj = H5I_INVALID_HID;
    if (!s->writable)
        rc = qp_fail(err, "%s: %s: cannot set attribute %s: store is open read-only",
                     s->file_path, obj_path, name);
    else if ((obj = open_object(s, obj_path, err)) < 0)
        rc = -1;
    if (qp_store_agree(s->comm, rc, err) != 0) {
        if (obj >= 0) H5Oclose(obj);
        return -1;
    }
    hid_t ftype, mtype, vtype = H5I_INVALID_HID;
    switch (kind) {
    case ATTR_STR: ftype = mtype = vtype = vlen_string_type(); break;
    case ATTR_I64: ftype = H5T_STD_I64LE, mtype = H5T_NATIVE_INT64; break;
    case ATTR_U64: ftype = H5T_STD_U64LE, mtype = H5T_NATIVE_UINT64; break;
    default: ftype = H5T_IEEE_F64LE, mtype = H5T_NATIVE_DOUBLE; break;
    }
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        rc = qp_store_h5_fail(s, err, "%s: cannot replace attribute %s", obj_path, name);
    if (rc == 0) {
        hid_t space = H5Screate(H5S_SCALAR);
        hid_t attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr < 0 || H5Awrite(attr, mtype, value) < 0)
            rc = qp_store_h5_fail(s, err, "%s: cannot write attribute %s", obj_path, name);
        if (attr >= 0) H5Aclose(attr);
        H5Sclose(space);
    }
    if (vtype >= 0) H5Tclose(vtype);
    H5Oclose(obj);
    return qp_store_agree(s->comm, rc, err);
}

int qp_store_attr_set_str(qp_store *s, const char *obj_path, const char *name, const char *value,
                          qp_err *err) {
    return attr_set(s, obj_path, name, ATTR_STR, &value, err);
}
int qp_store_attr_set_i64(qp_store *s, const char *obj_path, const char *name, int64_t value,
                          qp_err *err) {
    return attr_set(s, obj_path, name, ATTR_I64, &value, err);
}
int qp_store_attr_set_u64(qp_store *s, const char *obj_path, const char *name, uint64_t value,
                          qp_err *err) {
    return attr_set(s, obj_path, name, ATTR_U64, &value, err);
}
int qp_store_attr_set_f64(qp_store *s, const char *obj_path, const char *name, double value,
                          qp_err *err) {
    return attr_set(s, obj_path, name, ATTR_F64, &value, err);
}

// Checks that the stored type belongs to `kind` (class, and sign for integers).
static int type_matches(hid_t ftype, attr_kind kind) {
    H5T_class_t cls = H5Tget_class(ftype);
    switch (kind) {
    case ATTR_STR: return cls == H5T_STRING;
    case ATTR_F64: return cls == H5T_FLOAT;
    case ATTR_I64: return cls == H5T_INTEGER && H5Tget_sign(ftype) == H5T_SGN_2;
    case ATTR_U64: return cls == H5T_INTEGER && H5Tget_sign(ftype) == H5T_SGN_NONE;
    }
    return 0;
}

// Independent. For ATTR_STR, *(char **)out gets a qp_malloc'd copy.
static int attr_get(qp_store *s, const char *obj_path, const char *name, attr_kind kind, void *out,
                    qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    hid_t obj = open_object(s, obj_path, err);
    if (obj < 0) return -1;
    int rc = 0;
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        H5Oclose(obj);
        return qp_fail(err, "%s: %s: no attribute %s", s->file_path, obj_path, name);
    }
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ftype = attr >= 0 ? H5Aget_type(attr) : H5I_INVALID_HID;
    hid_t space = attr >= 0 ? H5Aget_space(attr) : H5I_INVALID_HID;
    if (attr < 0 || ftype < 0 || space < 0) {
        rc = qp_store_h5_fail(s, err, "%s: cannot open attribute %s", obj_path, name);
    } else if (!type_matches(ftype, kind) || H5Sget_simple_extent_npoints(space) != 1) {
        rc = qp_fail(err, "%s: %s: attribute %s is not a scalar %s", s->file_path, obj_path, name,
                     kind_name(kind));
    } else if (kind == ATTR_STR && H5Tis_variable_str(ftype) > 0) {
        hid_t mtype = vlen_string_type();
        char *vl = NULL;
        if (H5Aread(attr, mtype, &vl) < 0)
            rc = qp_store_h5_fail(s, err, "%s: cannot read attribute %s", obj_path, name);
        else
            *(char **)out = qp_strdup(vl ? vl : "");
        if (vl) H5free_memory(vl);
        H5Tclose(mtype);
    } else if (kind == ATTR_STR) {  // fixed-length string (as h5py writes numpy bytes)
        size_t n = H5Tget_size(ftype);
        char *buf = qp_calloc(n + 1, 1);
        hid_t mtype = H5Tcopy(ftype);
        if (H5Aread(attr, mtype, buf) < 0) {
            rc = qp_store_h5_fail(s, err, "%s: cannot read attribute %s", obj_path, name);
            free(buf);
        } else {
            *(char **)out = buf;
        }
        H5Tclose(mtype);
    } else {
        hid_t mtype = kind == ATTR_I64   ? H5T_NATIVE_INT64
                      : kind == ATTR_U64 ? H5T_NATIVE_UINT64
                                         : H5T_NATIVE_DOUBLE;
        if (H5Aread(attr, mtype, out) < 0)
            rc = qp_store_h5_fail(s, err, "%s: cannot read attribute %s", obj_path, name);
    }
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    if (attr >= 0) H5Aclose(attr);
    H5Oclose(obj);
    return rc;
}

int qp_store_attr_get_str(qp_store *s, const char *obj_path, const char *name, char **value,
                          qp_err *err) {
    *value = NULL;
    return attr_get(s, obj_path, name, ATTR_STR, value, err);
}
int qp_store_attr_get_i64(qp_store *s, const char *obj_path, const char *name, int64_t *value,
                          qp_err *err) {
    return attr_get(s, obj_path, name, ATTR_I64, value, err);
}
int qp_store_attr_get_u64(qp_store *s, const char *obj_path, const char *name, uint64_t *value,
                          qp_err *err) {
    return attr_get(s, obj_path, name, ATTR_U64, value, err);
}
int qp_store_attr_get_f64(qp_store *s, const char *obj_path, const char *name, double *value,
                          qp_err *err) {
    return attr_get(s, obj_path, name, ATTR_F64, value, err);
}

int qp_store_attr_exists(qp_store *s, const char *obj_path, const char *name) {
    if (!qp_store_exists(s, obj_path)) return 0;
    hid_t obj = H5Oopen(s->file, obj_path, H5P_DEFAULT);
    if (obj < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int e = H5Aexists(obj, name) > 0;
    H5Oclose(obj);
    H5Eclear2(H5E_DEFAULT);
    return e;
}
