// Extendible, chunked datasets of the results store: create / open, collective extend,
// collective hyperslab writes (each rank its own row range), appends in rank order,
// independent reads. See store_dataset.h.
#include "pipeline/store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store_attr.h"
#include "workers/util/alloc.h"

static qp_store_dset *dset_new(qp_store *s, const char *path, hid_t id, qp_store_type type,
                               int ndims, uint64_t cols, uint64_t rows) {
    qp_store_dset *d = qp_calloc(1, sizeof *d);
    d->store = s;
    d->id = id;
    d->type = type;
    d->ndims = ndims;
    d->cols = cols;
    d->rows = rows;
    d->path = qp_strdup(path);
    d->next = s->dsets;
    if (s->dsets) s->dsets->prev = d;
    s->dsets = d;
    return d;
}

uint64_t qp_store_chunk_rows(uint64_t row_bytes, uint64_t max_rows, uint64_t rows_per_task) {
    const uint64_t target = QP_STORE_CHUNK_MAX_BYTES;
    if (row_bytes == 0) row_bytes = 1;
    if (rows_per_task == 0) rows_per_task = 1;
    uint64_t fit = target / row_bytes ? target / row_bytes : 1;  // rows in 1 MiB
    if (max_rows > 0 && max_rows <= fit) return max_rows;         // the whole dataset, one chunk
    if (rows_per_task <= fit) return fit / rows_per_task * rows_per_task;  // whole tasks
    // A task over 1 MiB: the largest equal part of it that fits, if not much below 1 MiB
    // (k = number of parts; a few candidates past the smallest k suffice).
    uint64_t k0 = (rows_per_task + fit - 1) / fit;
    for (uint64_t k = k0; k < 2 * k0; k++)
        if (rows_per_task % k == 0) return rows_per_task / k;
    return fit;
}

// Collective. The one place datasets are created: chunked by rows with an unlimited first
// dimension (chunk_rows > 0), or fixed-size contiguous (chunk_rows == 0, rows given).
static int dset_create(qp_store *s, const char *path, qp_store_type type, uint64_t cols, uint64_t rows,
                       uint64_t chunk_rows, int deflate, qp_store_dset **out, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *out = NULL;
    int rc = 0;
    if (!s->writable)
        rc = qp_fail(err, "%s: %s: store is open read-only", s->file_path, path);
    else if (path[0] != '/')
        rc = qp_fail(err, "%s: dataset path '%s' is not absolute", s->file_path, path);
    else if (deflate < 0 || deflate > 9)
        rc = qp_fail(err, "%s: %s: deflate level %d not in 0..9", s->file_path, path, deflate);
    else if (qp_store_type_size(type) == 0)
        rc = qp_fail(err, "%s: %s: unknown element type %d", s->file_path, path, (int)type);
    if (qp_store_agree(s->comm, rc, err) != 0) return -1;

    int ndims = cols == 0 ? 1 : 2;
    uint64_t row_elems = cols == 0 ? 1 : cols;
    int fixed = chunk_rows == 0;
    hsize_t dims[2] = {fixed ? rows : 0, row_elems};
    hsize_t maxdims[2] = {fixed ? rows : H5S_UNLIMITED, row_elems};
    hsize_t chunk[2] = {chunk_rows, row_elems};
    hid_t space = H5Screate_simple(ndims, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (fixed) {
        H5Pset_layout(dcpl, H5D_CONTIGUOUS);
    } else {
        H5Pset_chunk(dcpl, ndims, chunk);
        // Shuffle groups the bytes of each significance together, which is what lets deflate
        // shrink float weights and sparse b8 rows.
        if (deflate > 0) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, (unsigned)deflate);
        }
    }
    // No fill values: writing them would double the I/O of every extend. Callers write every
    // row they extend (see store_dataset.h).
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    hid_t lcpl = qp_store_lcpl();
    hid_t id = H5Dcreate2(s->file, path, qp_store_file_type(type), space, lcpl, dcpl, H5P_DEFAULT);
    rc = id < 0 ? qp_store_h5_fail(s, err, "cannot create dataset %s", path) : 0;
    H5Pclose(lcpl);  // after the failure is read: every HDF5 call clears the error stack
    H5Pclose(dcpl);
    H5Sclose(space);
    if (qp_store_agree(s->comm, rc, err) != 0) {
        if (id >= 0) H5Dclose(id);
        return -1;
    }
    *out = dset_new(s, path, id, type, ndims, row_elems, fixed ? rows : 0);
    return 0;
}

int qp_store_dset_create(qp_store *s, const char *path, qp_store_type type, uint64_t cols,
                         uint64_t chunk_rows, int deflate, qp_store_dset **out, qp_err *err) {
    if (chunk_rows == 0)
        chunk_rows = qp_store_chunk_rows((cols ? cols : 1) * qp_store_type_size(type), 0, 0);
    return dset_create(s, path, type, cols, 0, chunk_rows, deflate, out, err);
}

int qp_store_dset_create_fixed(qp_store *s, const char *path, qp_store_type type, uint64_t rows,
                               uint64_t cols, qp_store_dset **out, qp_err *err) {
    return dset_create(s, path, type, cols, rows, 0, 0, out, err);
}

int qp_store_bits_create(qp_store *s, const char *path, uint64_t bits_per_shot,
                         uint64_t chunk_rows, int deflate, qp_store_dset **out, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    uint64_t bytes_per_shot = (bits_per_shot + 7) / 8;
    // A zero-bit record has zero bytes in b8, but HDF5 has no zero-width column: such a
    // dataset keeps one zero byte per shot, and bits_per_shot = 0 says so.
    if (bytes_per_shot == 0) bytes_per_shot = 1;
    if (qp_store_dset_create(s, path, QP_STORE_U8, bytes_per_shot, chunk_rows, deflate, out, err))
        return -1;
    if (qp_store_attr_set_str(s, path, "format", "b8", err) ||
        qp_store_attr_set_u64(s, path, "bits_per_shot", bits_per_shot, err)) {
        qp_store_dset_close(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int type_from_file(hid_t ftype, qp_store_type *type) {
    static const qp_store_type all[] = {QP_STORE_U8,  QP_STORE_U32, QP_STORE_U64,
                                        QP_STORE_I64, QP_STORE_F32, QP_STORE_F64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (H5Tequal(ftype, qp_store_file_type(all[i])) > 0 ||
            H5Tequal(ftype, qp_store_mem_type(all[i])) > 0) {
            *type = all[i];
            return 0;
        }
    }
    return -1;
}

int qp_store_dset_open(qp_store *s, const char *path, qp_store_dset **out, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    *out = NULL;
    int rc = 0;
    hid_t id = H5I_INVALID_HID;
    qp_store_type type = QP_STORE_U8;
    int ndims = 0;
    hsize_t dims[2] = {0, 1};
    if (!qp_store_exists(s, path)) {
        rc = qp_fail(err, "%s: no dataset %s", s->file_path, path);
    } else if ((id = H5Dopen2(s->file, path, H5P_DEFAULT)) < 0) {
        rc = qp_store_h5_fail(s, err, "cannot open dataset %s", path);
    } else {
        hid_t ftype = H5Dget_type(id), space = H5Dget_space(id);
        ndims = H5Sget_simple_extent_ndims(space);
        if (type_from_file(ftype, &type) != 0)
            rc = qp_fail(err, "%s: %s: element type is not one of u8 u32 u64 i64 f32 f64",
                         s->file_path, path);
        else if (ndims != 1 && ndims != 2)
            rc = qp_fail(err, "%s: %s: has %d dimensions, expected 1 or 2", s->file_path, path,
                         ndims);
        else
            H5Sget_simple_extent_dims(space, dims, NULL);
        H5Tclose(ftype);
        H5Sclose(space);
    }
    if (qp_store_agree(s->comm, rc, err) != 0) {
        if (id >= 0) H5Dclose(id);
        return -1;
    }
    *out = dset_new(s, path, id, type, ndims, ndims == 2 ? dims[1] : 1, dims[0]);
    return 0;
}

void qp_store_dset_close(qp_store_dset *d) {
    if (!d) return;
    if (d->prev) d->prev->next = d->next;
    else d->store->dsets = d->next;
    if (d->next) d->next->prev = d->prev;
    H5Dclose(d->id);
    H5Eclear2(H5E_DEFAULT);
    free(d->path);
    free(d);
}

void qp_store_dset_close_all(qp_store *s) {
    while (s->dsets) qp_store_dset_close(s->dsets);
}

uint64_t qp_store_dset_rows(const qp_store_dset *d) { return d->rows; }
uint64_t qp_store_dset_cols(const qp_store_dset *d) { return d->cols; }
qp_store_type qp_store_dset_type(const qp_store_dset *d) { return d->type; }
const char *qp_store_dset_path(const qp_store_dset *d) { return d->path; }

// Sets the extent without checking that the ranks agree (the caller computed rows
// collectively); returns this rank's status, not yet agreed.
static int set_rows_local(qp_store_dset *d, uint64_t rows, qp_err *err) {
    if (rows == d->rows) return 0;
    hsize_t dims[2] = {rows, d->cols};
    if (H5Dset_extent(d->id, dims) < 0)
        return qp_store_h5_fail(d->store, err, "%s: cannot set rows to %llu", d->path,
                                (unsigned long long)rows);
    // Shrinking leaves the edge chunk in HDF5's chunk cache, cut back and dirty; flushed later
    // (at close) it would overwrite rows written collectively in between (a resume cutting a
    // wave back, then writing it again). Flush it now, before any such write.
    if (rows < d->rows && H5Dflush(d->id) < 0)
        return qp_store_h5_fail(d->store, err, "%s: cannot flush after cutting back to %llu rows", d->path,
                                (unsigned long long)rows);
    d->rows = rows;
    return 0;
}

int qp_store_dset_set_rows(qp_store_dset *d, uint64_t rows, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    qp_store *s = d->store;
    uint64_t range[2] = {rows, ~rows};  // min of rows and max of rows in one reduction
    MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_UINT64_T, MPI_MIN, s->comm);
    if (range[0] != ~range[1])
        return qp_fail(err, "%s: %s: ranks disagree on the new row count (%llu..%llu)",
                       s->file_path, d->path, (unsigned long long)range[0],
                       (unsigned long long)~range[1]);
    if (!s->writable)
        return qp_fail(err, "%s: %s: store is open read-only", s->file_path, d->path);
    return qp_store_agree(s->comm, set_rows_local(d, rows, err), err);
}

// File and memory dataspaces selecting rows [offset, offset + count) (nothing when count == 0).
static void select_rows(const qp_store_dset *d, uint64_t offset, uint64_t count, hid_t *file_space,
                        hid_t *mem_space) {
    *file_space = H5Dget_space(d->id);
    hsize_t start[2] = {offset, 0}, n[2] = {count, d->cols};
    if (count == 0) {
        H5Sselect_none(*file_space);
        *mem_space = H5Scopy(*file_space);
        H5Sselect_none(*mem_space);
        return;
    }
    H5Sselect_hyperslab(*file_space, H5S_SELECT_SET, start, NULL, n, NULL);
    *mem_space = H5Screate_simple(d->ndims, n, NULL);
}

static int check_range(const qp_store_dset *d, uint64_t offset, uint64_t count, const void *buf,
                       const char *what, qp_err *err) {
    const qp_store *s = d->store;
    if (offset > d->rows || count > d->rows - offset)
        return qp_fail(err, "%s: %s: cannot %s rows %llu..%llu: dataset has %llu rows",
                       s->file_path, d->path, what, (unsigned long long)offset,
                       (unsigned long long)(offset + count), (unsigned long long)d->rows);
    if (count > 0 && !buf)
        return qp_fail(err, "%s: %s: %s of %llu rows with no buffer", s->file_path, d->path, what,
                       (unsigned long long)count);
    return 0;
}

// The collective H5Dwrite itself; returns this rank's status, not yet agreed.
static int write_rows(qp_store_dset *d, uint64_t row_offset, uint64_t row_count, const void *buf,
                      qp_err *err) {
    hid_t file_space, mem_space;
    select_rows(d, row_offset, row_count, &file_space, &mem_space);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    static const char dummy = 0;  // HDF5 rejects a NULL buffer even for an empty selection
    herr_t w = H5Dwrite(d->id, qp_store_mem_type(d->type), mem_space, file_space, dxpl,
                        buf ? buf : &dummy);
    int rc = w < 0 ? qp_store_h5_fail(d->store, err, "%s: cannot write rows %llu..%llu", d->path,
                                      (unsigned long long)row_offset,
                                      (unsigned long long)(row_offset + row_count))
                   : 0;
    H5Pclose(dxpl);
    H5Sclose(mem_space);
    H5Sclose(file_space);
    return rc;
}

int qp_store_dset_write(qp_store_dset *d, uint64_t row_offset, uint64_t row_count,
                        const void *buf, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    qp_store *s = d->store;
    int rc = check_range(d, row_offset, row_count, buf, "write", err);
    if (rc == 0 && !s->writable)
        rc = qp_fail(err, "%s: %s: store is open read-only", s->file_path, d->path);
    // Agree before the collective H5Dwrite: a rank that bailed out alone would hang the rest.
    if (qp_store_agree(s->comm, rc, err) != 0) return -1;
    return qp_store_agree(s->comm, write_rows(d, row_offset, row_count, buf, err), err);
}

typedef struct {
    uint64_t offset, count;
    const void *buf;
} row_range;

static int by_offset(const void *a, const void *b) {
    const row_range *x = a, *y = b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

int qp_store_dset_write_ranges(qp_store_dset *d, size_t n_ranges, const uint64_t *offsets,
                               const uint64_t *counts, const void *const *bufs, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    qp_store *s = d->store;
    // HDF5 pairs memory elements with the file selection in file order, not in the order the
    // hyperslabs were added: sort the ranges and stage their rows in that order.
    row_range *ranges = qp_malloc((n_ranges + 1) * sizeof *ranges);
    size_t n = 0;
    uint64_t total = 0;
    int rc = s->writable ? 0 : qp_fail(err, "%s: %s: store is open read-only", s->file_path, d->path);
    for (size_t i = 0; i < n_ranges && rc == 0; i++) {
        rc = check_range(d, offsets[i], counts[i], bufs[i], "write", err);
        if (counts[i] == 0) continue;
        ranges[n++] = (row_range){offsets[i], counts[i], bufs[i]};
        total += counts[i];
    }
    qsort(ranges, n, sizeof *ranges, by_offset);
    for (size_t i = 1; i < n && rc == 0; i++)
        if (ranges[i].offset < ranges[i - 1].offset + ranges[i - 1].count)
            rc = qp_fail(err, "%s: %s: write ranges overlap at row %llu", s->file_path, d->path,
                         (unsigned long long)ranges[i].offset);
    if (qp_store_agree(s->comm, rc, err) != 0) {
        free(ranges);
        return -1;
    }
    size_t row_bytes = (size_t)d->cols * qp_store_type_size(d->type);
    uint8_t *staged = qp_malloc((size_t)total * row_bytes + 1);
    hid_t file_space = H5Dget_space(d->id), mem_space;
    H5Sselect_none(file_space);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(staged + at * row_bytes, ranges[i].buf, (size_t)ranges[i].count * row_bytes);
        at += ranges[i].count;
        hsize_t start[2] = {ranges[i].offset, 0}, cnt[2] = {ranges[i].count, d->cols};
        H5Sselect_hyperslab(file_space, H5S_SELECT_OR, start, NULL, cnt, NULL);
    }
    if (total > 0) {
        hsize_t mem_dims[1] = {total * d->cols};
        mem_space = H5Screate_simple(1, mem_dims, NULL);
    } else {
        mem_space = H5Scopy(file_space);
        H5Sselect_none(mem_space);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t w = H5Dwrite(d->id, qp_store_mem_type(d->type), mem_space, file_space, dxpl, staged);
    rc = w < 0 ? qp_store_h5_fail(s, err, "%s: cannot write %zu row ranges", d->path, n) : 0;
    H5Pclose(dxpl);
    H5Sclose(mem_space);
    H5Sclose(file_space);
    free(staged);
    free(ranges);
    return qp_store_agree(s->comm, rc, err);
}

// Few synchronisations on purpose (one gather, three agreements, plus HDF5's own in the extent
// and the write): on a busy node every collective can cost a scheduler time slice.
int qp_store_dset_append(qp_store_dset *d, uint64_t row_count, const void *buf,
                         uint64_t *row_offset, qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    qp_store *s = d->store;
    uint64_t *counts = qp_malloc((size_t)s->size * sizeof *counts);
    MPI_Allgather(&row_count, 1, MPI_UINT64_T, counts, 1, MPI_UINT64_T, s->comm);
    uint64_t before = 0, total = 0;
    for (int r = 0; r < s->size; r++) {
        if (r < s->rank) before += counts[r];
        total += counts[r];
    }
    free(counts);
    uint64_t offset = d->rows + before;
    int rc = 0;
    if (!s->writable)
        rc = qp_fail(err, "%s: %s: store is open read-only", s->file_path, d->path);
    else if (row_count > 0 && !buf)
        rc = qp_fail(err, "%s: %s: append of %llu rows with no buffer", s->file_path, d->path,
                     (unsigned long long)row_count);
    if (qp_store_agree(s->comm, rc, err) != 0) return -1;
    if (qp_store_agree(s->comm, set_rows_local(d, d->rows + total, err), err) != 0) return -1;
    if (qp_store_agree(s->comm, write_rows(d, offset, row_count, buf, err), err) != 0) return -1;
    if (row_offset) *row_offset = offset;
    return 0;
}

int qp_store_dset_read(qp_store_dset *d, uint64_t row_offset, uint64_t row_count, void *buf,
                       qp_err *err) {
    qp_err local;
    if (!err) err = &local;
    if (check_range(d, row_offset, row_count, buf, "read", err) != 0) return -1;
    if (row_count == 0) return 0;
    hid_t file_space, mem_space;
    select_rows(d, row_offset, row_count, &file_space, &mem_space);
    herr_t r = H5Dread(d->id, qp_store_mem_type(d->type), mem_space, file_space, H5P_DEFAULT, buf);
    int rc = r < 0 ? qp_store_h5_fail(d->store, err, "%s: cannot read rows %llu..%llu", d->path,
                                      (unsigned long long)row_offset,
                                      (unsigned long long)(row_offset + row_count))
                   : 0;
    H5Sclose(mem_space);
    H5Sclose(file_space);
    return rc;
}
