// The results store's file lifecycle: create / open / resume, flush, close-and-rename, abort,
// groups. See store.h for the promises; store_dataset.c, store_attr.c and store_journal.c
// hold the rest of the module.
#include "pipeline/store/store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scheduler/collectives.h"
#include "workers/util/alloc.h"

// ---------------------------------------------------------------------------------------------
// Helpers shared by the module (declared in store_internal.h).

typedef struct {
    char desc[512];
    int found;
} h5_innermost;

static herr_t h5_walk_innermost(unsigned n, const H5E_error2_t *e, void *data) {
    h5_innermost *inner = data;
    if (n == 0 && e->desc) {  // walking upward: entry 0 is where the error was detected
        snprintf(inner->desc, sizeof inner->desc, "%s", e->desc);
        inner->found = 1;
    }
    return 0;
}

int qp_store_h5_fail(const qp_store *store, qp_err *err, const char *fmt, ...) {
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    h5_innermost inner = {.found = 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_walk_innermost, &inner);
    H5Eclear2(H5E_DEFAULT);
    const char *file = store ? store->file_path : "hdf5";
    if (inner.found) return qp_fail(err, "%s: %s: %s", file, what, inner.desc);
    return qp_fail(err, "%s: %s", file, what);
}

int qp_store_agree(MPI_Comm comm, int rc, qp_err *err) {
    qp_err local = {{0}};
    if (!err) err = &local;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = rc == 0 ? size : rank, first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size) return 0;
    char msg[sizeof err->msg];
    if (rank == first) memcpy(msg, err->msg, sizeof msg);
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, comm);
    msg[sizeof msg - 1] = 0;
    return qp_fail(err, "%s", msg);
}

hid_t qp_store_mem_type(qp_store_type type) {
    switch (type) {
    case QP_STORE_U8: return H5T_NATIVE_UINT8;
    case QP_STORE_U32: return H5T_NATIVE_UINT32;
    case QP_STORE_U64: return H5T_NATIVE_UINT64;
    case QP_STORE_I64: return H5T_NATIVE_INT64;
    case QP_STORE_F32: return H5T_NATIVE_FLOAT;
    case QP_STORE_F64: return H5T_NATIVE_DOUBLE;
    }
    return H5I_INVALID_HID;
}

hid_t qp_store_file_type(qp_store_type type) {
    switch (type) {
    case QP_STORE_U8: return H5T_STD_U8LE;
    case QP_STORE_U32: return H5T_STD_U32LE;
    case QP_STORE_U64: return H5T_STD_U64LE;
    case QP_STORE_I64: return H5T_STD_I64LE;
    case QP_STORE_F32: return H5T_IEEE_F32LE;
    case QP_STORE_F64: return H5T_IEEE_F64LE;
    }
    return H5I_INVALID_HID;
}

size_t qp_store_type_size(qp_store_type type) {
    switch (type) {
    case QP_STORE_U8: return 1;
    case QP_STORE_U32: return 4;
    case QP_STORE_U64: return 8;
    case QP_STORE_I64: return 8;
    case QP_STORE_F32: return 4;
    case QP_STORE_F64: return 8;
    }
    return 0;
}

hid_t qp_store_lcpl(void) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    H5Pset_char_encoding(lcpl, H5T_CSET_UTF8);
    return lcpl;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle.

static qp_store *store_new(const char *path, MPI_Comm comm, int writable) {
    qp_store *s = qp_calloc(1, sizeof *s);
    s->file = H5I_INVALID_HID;
    MPI_Comm_dup(comm, &s->comm);
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->size);
    s->writable = writable;
    s->final_path = qp_strdup(path);
    size_t n = strlen(path) + sizeof ".partial";
    s->file_path = qp_malloc(n);
    snprintf(s->file_path, n, writable ? "%s.partial" : "%s", path);
    return s;
}

static void store_free(qp_store *s) {
    if (s->owns_claim) qp_output_release(s->claim);
    MPI_Comm_free(&s->comm);
    free(s->final_path);
    free(s->file_path);
    free(s);
}

// File access: MPI-IO over the store's communicator. Metadata writes at flush/close are done
// collectively (fewer, larger writes); metadata reads stay independent so a single rank can
// read attributes and datasets on its own.
static hid_t store_fapl(const qp_store *s) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, s->comm, MPI_INFO_NULL);
    H5Pset_coll_metadata_write(fapl, 1);
    return fapl;
}

static int path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

// Whether PATH begins with HDF5's signature. A PATH.partial without one was cut off before its
// superblock reached the disk (a crash right after creation): it holds nothing to resume.
static int has_hdf5_signature(const char *path) {
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return got == sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

int qp_store_claim(const char *path, MPI_Comm comm, qp_output **claim, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    int rank, rc = 0;
    MPI_Comm_rank(comm, &rank);
    *claim = NULL;
    if (rank == 0) {
        rc = qp_output_claim(path, claim, err);
        qp_output_kind kind = rc == 0 ? qp_output_kind_of(*claim) : QP_OUTPUT_ATOMIC;
        if (kind != QP_OUTPUT_ATOMIC) {
            rc = kind == QP_OUTPUT_STDOUT
                     ? qp_fail(err, "%s: an HDF5 file cannot be written to standard output; name a file", path)
                     : qp_fail(err, "%s: not a regular file (a device, FIFO or socket); an HDF5 file needs a "
                                    "regular file or a new name",
                               path);
            qp_output_release(*claim);
            *claim = NULL;
        }
    }
    return qp_bcast_status(comm, rc, err);
}

typedef enum { OPEN_CREATE, OPEN_RESUME, OPEN_RESUME_OR_CREATE } open_how;

// Collective. Creates or reopens PATH.partial under rank 0's claim (NULL on the other ranks).
static int open_claimed(qp_output *claim, MPI_Comm comm, open_how how, qp_store **out, int *resumed,
                        qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);  // errors are reported through qp_err instead
    int rank;
    MPI_Comm_rank(comm, &rank);
    // The claim names the final file (a symlink's target); every rank writes that one.
    char *final = rank == 0 ? qp_strdup(qp_output_final_path(claim)) : NULL;
    qp_bcast_string(comm, &final);
    qp_store *s = store_new(final, comm, 1);
    free(final);
    s->claim = claim;
    int state = 0;  // rank 0: 0 no partial, 1 resumable partial, 2 partial without a superblock
    if (rank == 0 && path_exists(s->file_path)) state = has_hdf5_signature(s->file_path) ? 1 : 2;
    MPI_Bcast(&state, 1, MPI_INT, 0, s->comm);
    int resume = how == OPEN_RESUME || (how == OPEN_RESUME_OR_CREATE && state == 1);
    if (resumed) *resumed = resume;
    if (how == OPEN_RESUME && state == 0) {
        qp_fail(err, "%s: cannot open: no such file", s->file_path);
        store_free(s);
        return -1;
    }
    hid_t fapl = store_fapl(s);
    int rc = 0;
    if (resume) {
        s->file = H5Fopen(s->file_path, H5F_ACC_RDWR, fapl);
        if (s->file < 0) rc = qp_store_h5_fail(s, err, "cannot open as HDF5");
    } else {
        s->file = H5Fcreate(s->file_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (s->file < 0) rc = qp_store_h5_fail(s, err, "cannot create");
    }
    H5Pclose(fapl);  // after the failure is read: every HDF5 call clears the error stack
    if (qp_store_agree(s->comm, rc, err) != 0) {
        if (s->file >= 0) H5Fclose(s->file);
        MPI_Barrier(s->comm);
        if (s->rank == 0 && !resume) qp_output_discard(claim);
        store_free(s);
        return -1;
    }
    s->created = !resume;
    *out = s;
    return 0;
}

// Collective. Claims PATH, then opens it as `how` says; the store owns the claim.
static int claim_and_open(const char *path, MPI_Comm comm, open_how how, qp_store **out, int *resumed,
                          qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *out = NULL;
    qp_output *claim;
    if (qp_store_claim(path, comm, &claim, err) != 0) return -1;
    if (open_claimed(claim, comm, how, out, resumed, err) != 0) {
        qp_output_release(claim);
        return -1;
    }
    (*out)->owns_claim = 1;
    return 0;
}

int qp_store_create_claimed(qp_output *claim, MPI_Comm comm, int resume, qp_store **out, int *resumed,
                            qp_err *err) {
    return open_claimed(claim, comm, resume ? OPEN_RESUME_OR_CREATE : OPEN_CREATE, out, resumed, err);
}

int qp_store_create(const char *path, MPI_Comm comm, qp_store **out, qp_err *err) {
    return claim_and_open(path, comm, OPEN_CREATE, out, NULL, err);
}

int qp_store_create_or_resume(const char *path, MPI_Comm comm, qp_store **out, int *resumed,
                              qp_err *err) {
    return claim_and_open(path, comm, OPEN_RESUME_OR_CREATE, out, resumed, err);
}

int qp_store_open(const char *path, MPI_Comm comm, qp_store_mode mode, qp_store **out,
                  qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *out = NULL;
    if (mode == QP_STORE_RESUME) return claim_and_open(path, comm, OPEN_RESUME, out, NULL, err);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    qp_store *s = store_new(path, comm, 0);
    // Check existence first: HDF5's message for a missing file is long and buries the errno.
    int missing = 0;
    if (s->rank == 0) missing = !path_exists(s->file_path);
    MPI_Bcast(&missing, 1, MPI_INT, 0, s->comm);
    if (missing) {
        qp_fail(err, "%s: cannot open: no such file", s->file_path);
        store_free(s);
        return -1;
    }
    hid_t fapl = store_fapl(s);
    s->file = H5Fopen(s->file_path, H5F_ACC_RDONLY, fapl);
    int rc = s->file < 0 ? qp_store_h5_fail(s, err, "cannot open as HDF5") : 0;
    H5Pclose(fapl);
    if (qp_store_agree(s->comm, rc, err) != 0) {
        if (s->file >= 0) H5Fclose(s->file);
        store_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

// Closes every object still open in the file (dataset handles the caller forgot, attributes
// left open by an error path), so that H5Fclose really closes the file.
static void close_open_objects(qp_store *s) {
    ssize_t n = H5Fget_obj_count(s->file, H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE |
                                               H5F_OBJ_ATTR | H5F_OBJ_LOCAL);
    if (n <= 0) return;
    hid_t *ids = qp_malloc((size_t)n * sizeof *ids);
    n = H5Fget_obj_ids(s->file,
                       H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR |
                           H5F_OBJ_LOCAL,
                       (size_t)n, ids);
    for (ssize_t i = 0; i < n; i++) {
        switch (H5Iget_type(ids[i])) {
        case H5I_DATASET: H5Dclose(ids[i]); break;
        case H5I_GROUP: H5Gclose(ids[i]); break;
        case H5I_DATATYPE: H5Tclose(ids[i]); break;
        case H5I_ATTR: H5Aclose(ids[i]); break;
        default: break;
        }
    }
    free(ids);
}

int qp_store_close(qp_store *s, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    if (!s) return 0;
    int rc = 0;
    qp_store_dset_close_all(s);
    close_open_objects(s);
    if (H5Fclose(s->file) < 0) rc = qp_store_h5_fail(s, err, "cannot close");
    s->file = H5I_INVALID_HID;
    qp_store_reserve_release(s);
    rc = qp_store_agree(s->comm, rc, err);
    if (rc == 0 && s->writable) {
        // Every rank has closed (agree is a collective); only now is the file complete.
        int crc = s->rank == 0 ? qp_output_commit(s->claim, err) : 0;
        rc = qp_store_agree(s->comm, crc, err);
    }
    store_free(s);  // releases a claim the store took itself
    return rc;
}

void qp_store_abort(qp_store *s) {
    if (!s) return;
    qp_store_dset_close_all(s);
    close_open_objects(s);
    H5Fclose(s->file);
    H5Eclear2(H5E_DEFAULT);
    qp_store_reserve_release(s);
    MPI_Barrier(s->comm);
    if (s->rank == 0 && s->writable && s->created && !s->journaled) qp_output_discard(s->claim);
    MPI_Barrier(s->comm);
    store_free(s);
}

int qp_store_flush(qp_store *s, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    int rc = H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0 ? qp_store_h5_fail(s, err, "cannot flush") : 0;
    return qp_store_agree(s->comm, rc, err);
}

int qp_store_group_create(qp_store *s, const char *path, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    int rc = 0;
    if (path[0] != '/') {
        rc = qp_fail(err, "%s: group path '%s' is not absolute", s->file_path, path);
    } else if (!qp_store_exists(s, path)) {
        hid_t lcpl = qp_store_lcpl();
        hid_t g = H5Gcreate2(s->file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0)
            rc = qp_store_h5_fail(s, err, "cannot create group %s", path);
        else
            H5Gclose(g);
        H5Pclose(lcpl);
    }
    return qp_store_agree(s->comm, rc, err);
}

int qp_store_exists(qp_store *s, const char *path) {
    if (strcmp(path, "/") == 0) return 1;
    if (path[0] != '/') return 0;
    // H5Lexists needs every intermediate link to exist: check prefix by prefix.
    size_t n = strlen(path);
    char *prefix = qp_malloc(n + 1);
    int exists = 1;
    for (size_t i = 1; i <= n && exists; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        memcpy(prefix, path, i);
        prefix[i] = 0;
        htri_t e = H5Lexists(s->file, prefix, H5P_DEFAULT);
        if (e <= 0) exists = 0;
    }
    free(prefix);
    H5Eclear2(H5E_DEFAULT);
    return exists;
}

typedef struct {
    char **names;
    size_t n, cap;
} name_list;

static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    name_list *list = data;
    qp_grow(list->names, list->cap, list->n + 1);
    list->names[list->n++] = qp_strdup(name);
    return 0;
}

int qp_store_group_list(qp_store *s, const char *path, char ***names, size_t *n, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *names = NULL;
    *n = 0;
    if (!qp_store_exists(s, path)) return qp_fail(err, "%s: no group %s", s->file_path, path);
    hid_t g = H5Gopen2(s->file, path, H5P_DEFAULT);
    if (g < 0) return qp_store_h5_fail(s, err, "%s is not a group", path);
    name_list list = {NULL, 0, 0};
    hsize_t idx = 0;
    herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &list);
    int rc = r < 0 ? qp_store_h5_fail(s, err, "cannot list group %s", path) : 0;
    H5Gclose(g);
    if (rc != 0) {
        qp_store_names_free(list.names, list.n);
        return -1;
    }
    *names = list.names;
    *n = list.n;
    return 0;
}

void qp_store_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

MPI_Comm qp_store_comm(const qp_store *s) { return s->comm; }
const char *qp_store_final_path(const qp_store *s) { return s->final_path; }
const char *qp_store_file_path(const qp_store *s) { return s->file_path; }
