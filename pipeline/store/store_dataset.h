// Extendible datasets in the results store: per-shot arrays whose first dimension grows as
// ranks append, written collectively, each rank its own contiguous range of rows.
//
//   a dataset is (rows, cols) of one element type, or (rows,) when created with cols == 0;
//   rows is unlimited (extended collectively), cols is fixed; storage is chunked by rows
//   (qp_store_chunk_rows picks the chunk from what the dataset will hold). Arrays written once
//   whole (texts, model tensors) are fixed-size and contiguous instead (qp_store_dset_create_fixed).
//   Bit-packed shots are uint8 (shots, ceil(bits/8)): the bytes of a Stim .b8 file, row = shot,
//   bit k of a shot in byte k/8 at bit position k%8 (little-endian bit order).
//
// Memory buffers are row-major: row r, column c at buf[(r - row_offset) * cols + c].
// Writes are collective (every rank calls, a rank with nothing to write passes row_count 0
// and buf NULL); a deflate-compressed dataset can only be written this way (parallel HDF5
// 1.10 filters need collective I/O). Reads are independent. Unwritten rows read as garbage
// (no fill values are written, to keep writes at disk speed); write every row you extend.
#ifndef QP_STORE_DATASET_H
#define QP_STORE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/store/store.h"
#include "workers/util/err.h"

typedef enum {
    QP_STORE_U8,
    QP_STORE_U32,
    QP_STORE_U64,
    QP_STORE_I64,
    QP_STORE_F32,
    QP_STORE_F64,
} qp_store_type;

typedef struct qp_store_dset qp_store_dset;

// Bytes of one element of the type (0 for a value that is no qp_store_type).
size_t qp_store_type_size(qp_store_type type);

// Rows per chunk of a per-shot dataset whose rows are row_bytes bytes, that will hold at most
// max_rows rows (0: unknown), written in tasks of rows_per_task rows (0 or 1: no task structure):
//   - the whole dataset in one chunk of max_rows rows when it fits in QP_STORE_CHUNK_MAX_BYTES
//     (1 MiB), so a small experiment's file holds its bytes and little else;
//   - otherwise chunks of about 1 MiB made of whole tasks (or, for a task over 1 MiB, of an
//     equal part of a task), so chunk boundaries fall on task boundaries and each rank's
//     collective write of its tasks fills whole chunks instead of sharing them;
//   - 1 MiB of rows when neither fits (a task of a prime number of huge rows).
// At most 1 MiB of a chunk is ever unused, so a dataset occupies at most its bytes + 1 MiB.
// Pure (no HDF5 call); never 0.
#define QP_STORE_CHUNK_MAX_BYTES (UINT64_C(1) << 20)
uint64_t qp_store_chunk_rows(uint64_t row_bytes, uint64_t max_rows, uint64_t rows_per_task);

// Collective. Creates an empty (0, cols) dataset at an absolute path (missing groups are
// created), chunked by chunk_rows rows (0: qp_store_chunk_rows(row bytes, 0, 0), 1 MiB chunks).
// deflate is 0 (none) to 9: the shuffle and deflate filters (see docs/hdf5-layout.md for why
// it is off by default in qecpipe).
int qp_store_dset_create(qp_store *store, const char *path, qp_store_type type, uint64_t cols,
                         uint64_t chunk_rows, int deflate, qp_store_dset **out, qp_err *err);

// Collective. A bit-packed shot dataset: uint8 (0, ceil(bits_per_shot/8)) with attributes
// format = "b8" and bits_per_shot (docs/hdf5-layout.md).
int qp_store_bits_create(qp_store *store, const char *path, uint64_t bits_per_shot,
                         uint64_t chunk_rows, int deflate, qp_store_dset **out, qp_err *err);

// Collective. Creates a fixed-size (rows, cols) dataset (cols == 0: (rows,)) for an array
// written once whole: contiguous layout, exactly rows * cols elements on disk, no chunk index.
// Its rows cannot change (qp_store_dset_set_rows to another count fails); write them with
// qp_store_dset_write.
int qp_store_dset_create_fixed(qp_store *store, const char *path, qp_store_type type, uint64_t rows,
                               uint64_t cols, qp_store_dset **out, qp_err *err);

// Collective. Opens an existing dataset (element type and shape read from the file).
int qp_store_dset_open(qp_store *store, const char *path, qp_store_dset **out, qp_err *err);

// Collective. Closes and frees the handle; safe on NULL. qp_store_close and qp_store_abort
// close and free every handle still open, which must not be used (or closed) after that.
void qp_store_dset_close(qp_store_dset *dset);

uint64_t qp_store_dset_rows(const qp_store_dset *dset);
uint64_t qp_store_dset_cols(const qp_store_dset *dset);  // 1 for a (rows,) dataset
qp_store_type qp_store_dset_type(const qp_store_dset *dset);
const char *qp_store_dset_path(const qp_store_dset *dset);

// Collective. Sets the number of rows (grow, or shrink to drop rows past a resume point).
// Every rank must pass the same value; a mismatch is an error on every rank.
int qp_store_dset_set_rows(qp_store_dset *dset, uint64_t rows, qp_err *err);

// Collective, per rank: writes rows [row_offset, row_offset + row_count) from buf, which holds
// row_count * cols elements. The rows must already exist (qp_store_dset_set_rows). Ranges of
// different ranks must not overlap; row_count may be 0.
int qp_store_dset_write(qp_store_dset *dset, uint64_t row_offset, uint64_t row_count,
                        const void *buf, qp_err *err);

// Collective, per rank: writes several row ranges of this rank in ONE collective write (instead
// of one collective per range): range i is rows [offsets[i], offsets[i] + counts[i]) from
// bufs[i]. Ranges may come in any order but must not overlap (neither this rank's nor, as with
// qp_store_dset_write, other ranks'). n_ranges may be 0. The rows are staged in one buffer of
// the rank's total rows, so memory use is one extra copy of what the rank writes.
int qp_store_dset_write_ranges(qp_store_dset *dset, size_t n_ranges, const uint64_t *offsets,
                               const uint64_t *counts, const void *const *bufs, qp_err *err);

// Collective, per rank: appends after the current last row, in rank order (rank 0's rows
// first), growing the dataset by the sum of all row_count. *row_offset (may be NULL) gets
// where this rank's rows went.
int qp_store_dset_append(qp_store_dset *dset, uint64_t row_count, const void *buf,
                         uint64_t *row_offset, qp_err *err);

// Independent: reads rows [row_offset, row_offset + row_count) into buf (row_count * cols
// elements).
int qp_store_dset_read(qp_store_dset *dset, uint64_t row_offset, uint64_t row_count, void *buf,
                       qp_err *err);

#endif
