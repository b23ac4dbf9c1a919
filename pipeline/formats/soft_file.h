// Soft shot files (`simulate --soft-out F`, `decode --soft-in F`; issue 15,
// SOFT_INTERFACE.md item 3): raw little-endian float32, no header. Per shot: the circuit's
// num_measurements values p1 = P(result 1 | signal) in record order, then, only when the
// sampler ran with leakage, num_measurements values pleak = P(leaked | signal). A result the
// readout model does not apply to has p1 exactly 0 or 1. See docs/soft-readout.md.
//
// The writer keeps pipeline/output's promises (F.partial renamed when complete, one writer per
// file, devices and FIFOs written in place, "-" = stdout). The reader checks up front that a
// regular file's size is a whole number of shots, and reads shots in batches (bounded memory).
#ifndef QP_FORMATS_SOFT_FILE_H
#define QP_FORMATS_SOFT_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "workers/util/err.h"

typedef struct qp_soft_writer qp_soft_writer;
typedef struct qp_soft_reader qp_soft_reader;

// values_per_shot = num_measurements (x 2 with leakage), >= 1.
int qp_soft_writer_open(qp_soft_writer **w, const char *path, uint64_t values_per_shot, qp_err *err);
// Appends n shots (n, values_per_shot) floats.
int qp_soft_writer_write(qp_soft_writer *w, const float *values, size_t n, qp_err *err);
// Completes the file (rename of F.partial) and frees the writer, also on failure.
int qp_soft_writer_close(qp_soft_writer *w, qp_err *err);
// Removes the partial file and frees the writer. Safe on NULL.
void qp_soft_writer_abort(qp_soft_writer *w);

// Opens path ("-": standard input) holding shots of num_measurements values, doubled when
// with_leakage. A regular file whose size is not a whole number of shots is refused:
// "F: N bytes is not a whole number of shots of M float32 values (B bytes each)".
int qp_soft_reader_open(qp_soft_reader **r, const char *path, uint64_t num_measurements, int with_leakage,
                        qp_err *err);
// Shots in the file (regular files), or UINT64_MAX when unknown (pipes).
uint64_t qp_soft_reader_num_shots(const qp_soft_reader *r);
// Reads up to max_shots shots into values (max_shots, values per shot). Returns the number read
// (0 at the end), or -1 (I/O error, or a pipe ending inside a shot: the byte offset is named).
int64_t qp_soft_reader_read(qp_soft_reader *r, float *values, size_t max_shots, qp_err *err);
// The next read starts at shot `shot` (regular files only; shot <= the number of shots).
int qp_soft_reader_seek(qp_soft_reader *r, uint64_t shot, qp_err *err);
void qp_soft_reader_close(qp_soft_reader *r);

#endif
