// Per-format record codecs (codec_<format>.c), used by the shot reader and writer.
//
// Decoders read from a byte source into records laid out as in record_bits.h; the caller
// zeroes the output first. They return 1 when a record (or batch) was decoded, 0 at a clean
// end of input (the end falls between records), -1 on malformed input with err set to one
// line "NAME:line:column: ..." (text formats) or "NAME: byte offset N: ..." (binary formats).
// Encoders append the exact bytes Stim writes for n records to `out`.
#ifndef QP_FORMATS_CODEC_H
#define QP_FORMATS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/formats/byte_buffer.h"
#include "pipeline/formats/byte_source.h"
#include "pipeline/formats/record_bits.h"
#include "workers/util/err.h"

int qp_decode_01(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err);
int qp_decode_hits(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err);
int qp_decode_dets(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err);
int qp_decode_r8(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err);
// b8: decodes up to max_records records (max_records, bytes_per_record); *num_decoded gets the count.
int qp_decode_b8(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *records,
                 size_t max_records, size_t *num_decoded, qp_err *err);
// ptb64: decodes one group of 64 records (64, bytes_per_record); words is scratch (num_bits * 8 bytes).
int qp_decode_ptb64(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *words,
                    uint8_t *records, qp_err *err);

void qp_encode_01(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out);
void qp_encode_b8(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out);
void qp_encode_r8(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out);
void qp_encode_hits(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out);
void qp_encode_dets(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out);
// ptb64: n must be a multiple of 64.
void qp_encode_ptb64(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out);

// "'x'" for a printable byte, "'\xNN'" otherwise, "end of file" for -1; for error messages.
const char *qp_describe_byte(int c, char buf[16]);

#endif
