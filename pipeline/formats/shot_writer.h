// Streaming writer of Stim shot-data files, byte-identical to what Stim writes. Records come
// in the b8 layout of record_bits.h. The output is claimed and written as pipeline/output
// promises: a regular PATH gets PATH.partial, which close() flushes, fsyncs and renames to
// PATH; on any failure (and on abort) the partial file is deleted, so no file ever appears
// under PATH unless it is complete. A special file (a device, a FIFO) is written in place;
// "-" is standard output. A second writer of the same PATH is refused, naming the holder.
//
// ptb64 buffers records until a group of 64 is complete; closing with a record count that is
// not a multiple of 64 is an error (and leaves nothing behind).
#ifndef QP_FORMATS_SHOT_WRITER_H
#define QP_FORMATS_SHOT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/formats/byte_buffer.h"
#include "pipeline/formats/record_bits.h"
#include "pipeline/formats/shot_format.h"
#include "workers/util/err.h"

typedef struct qp_shot_writer qp_shot_writer;

// Claims PATH and creates PATH.partial. num_detectors + num_observables must be >= 1.
int qp_shot_writer_open(qp_shot_writer **writer, const char *path, qp_shot_format format, uint64_t num_detectors,
                        uint64_t num_observables, qp_err *err);

// Writes records of D + K bits as two files: detectors to dets_path, observables to
// obs_path (Stim's --obs_out). Both appear only if both close cleanly.
int qp_shot_writer_open_split(qp_shot_writer **writer, const char *dets_path, qp_shot_format dets_format,
                              const char *obs_path, qp_shot_format obs_format, uint64_t num_detectors,
                              uint64_t num_observables, qp_err *err);

// dets only: the letter for bits [0, num_detectors): 'D' (default) or 'M' for measurements.
void qp_shot_writer_set_det_prefix(qp_shot_writer *writer, char prefix);

// Appends n records (n, bytes_per_record). Returns 0 or -1 (I/O error).
int qp_shot_writer_write(qp_shot_writer *writer, const uint8_t *records, size_t n, qp_err *err);

// Flushes, fsyncs and renames PATH.partial to PATH, releases the claim, frees the writer. On
// failure the partial file is removed and -1 returned; the writer is freed either way.
int qp_shot_writer_close(qp_shot_writer *writer, qp_err *err);

// Deletes PATH.partial and frees the writer (for a run that failed elsewhere). NULL is fine.
void qp_shot_writer_abort(qp_shot_writer *writer);

uint64_t qp_shot_writer_records_written(const qp_shot_writer *writer);

// Encodes n records in `format` and appends the bytes to out (no file involved).
// For ptb64, n must be a multiple of 64. Returns 0, or -1 if it is not.
int qp_shot_encode(qp_shot_format format, const qp_record_shape *shape, const uint8_t *records, size_t n,
                   qp_byte_buffer *out, qp_err *err);

#endif
