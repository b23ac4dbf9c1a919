// Streaming reader of Stim shot-data files. It reads records in batches into a caller
// buffer, (max_records, bytes_per_record) in the b8 layout of record_bits.h, without ever
// loading the whole file. Records hold num_detectors bits followed by num_observables bits
// (appended observables); to read a separate observables file, open a second reader with
// num_detectors = 0 and num_observables = K and join the two with qp_records_join.
//
// Errors name the file and the line:column (01, hits, dets) or byte offset (b8, r8, ptb64)
// of the bad input. After an error the reader stays failed.
//
// Seeking (for sharding a file across ranks): b8 and 01 seek to any record by offset
// arithmetic; ptb64 seeks to the record's group of 64 and skips inside it.
#ifndef QP_FORMATS_SHOT_READER_H
#define QP_FORMATS_SHOT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/formats/record_bits.h"
#include "pipeline/formats/shot_format.h"
#include "workers/util/err.h"

typedef struct qp_shot_reader qp_shot_reader;

// Opens `path` ("-" reads standard input). num_detectors + num_observables must be >= 1. For b8 and ptb64 regular
// files the size is checked up front (a size that is not a whole number of records or
// groups is an error naming the byte offset where the incomplete part starts).
int qp_shot_reader_open(qp_shot_reader **reader, const char *path, qp_shot_format format, uint64_t num_detectors,
                        uint64_t num_observables, qp_err *err);

// Reads from memory (data must outlive the reader); `name` is used in error messages.
int qp_shot_reader_open_mem(qp_shot_reader **reader, const char *name, const uint8_t *data, size_t len,
                            qp_shot_format format, uint64_t num_detectors, uint64_t num_observables, qp_err *err);

// Reads detectors from one file and observables from another (Stim's --obs_out pair, or an
// archived experiment's detection_events.b8 + obs_flips_actual.01) as one stream of joined
// records of D + K bits. Both files must hold the same number of records; a mismatch is an
// error naming the observables file and the record count. Seekable if both parts are.
int qp_shot_reader_open_split(qp_shot_reader **reader, const char *dets_path, qp_shot_format dets_format,
                              const char *obs_path, qp_shot_format obs_format, uint64_t num_detectors,
                              uint64_t num_observables, qp_err *err);

// Reads up to max_records records into records (max_records, bytes_per_record), padding
// bits zero. Returns the number read (0 at end of data; 0 also for max_records = 0), or -1
// on bad input.
int64_t qp_shot_reader_read(qp_shot_reader *reader, uint8_t *records, size_t max_records, qp_err *err);

// Positions the reader so that the next record read is record `record_index` (0-based).
// Supported for b8, 01 and ptb64; record_index may equal the record count (then reads
// return 0) but not exceed it when the size is known.
int qp_shot_reader_seek(qp_shot_reader *reader, uint64_t record_index, qp_err *err);

// Index of the next record to be read (= records read so far, after any seek).
uint64_t qp_shot_reader_position(const qp_shot_reader *reader);

const qp_record_shape *qp_shot_reader_shape(const qp_shot_reader *reader);

void qp_shot_reader_close(qp_shot_reader *reader);

// Number of records in a file. b8 and ptb64 by size alone (error if the size is not a whole
// number of records/groups, naming the byte offset); other formats by decoding the file
// (so any malformed record is reported too).
int qp_shot_file_count_records(const char *path, qp_shot_format format, uint64_t num_detectors,
                               uint64_t num_observables, uint64_t *num_records, qp_err *err);

// Reads a whole file into a new buffer (*num_records, bytes_per_record); free() it.
int qp_shot_file_read_all(const char *path, qp_shot_format format, uint64_t num_detectors, uint64_t num_observables,
                          uint8_t **records, uint64_t *num_records, qp_err *err);

#endif
