// The b8 format: bytes_per_record bytes per record, little-endian bit order, no separators.
// Padding bits of the last byte are ignored on input and written as 0.
#include "pipeline/formats/codec.h"

int qp_decode_b8(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *records,
                 size_t max_records, size_t *num_decoded, qp_err *err) {
    size_t bpr = shape->bytes_per_record;
    uint64_t start = qp_source_offset(src);
    size_t got = qp_source_read(src, records, max_records * bpr);
    size_t whole = got / bpr;
    *num_decoded = whole;
    if (got % bpr) {
        uint64_t at = start + (uint64_t)whole * bpr;
        return qp_fail(err, "%s: byte offset %llu: truncated b8 record: %zu of %zu bytes before end of file "
                       "(file size is not a multiple of the record size, %llu bits = %zu bytes)",
                       name, (unsigned long long)at, got % bpr, bpr, (unsigned long long)shape->num_bits, bpr);
    }
    qp_records_clear_padding(records, whole, shape->num_bits);
    return whole ? 1 : 0;
}

void qp_encode_b8(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out) {
    if (n == 0) return;
    size_t start = out->len;
    qp_byte_buffer_append(out, records, n * shape->bytes_per_record);
    qp_records_clear_padding(out->data + start, n, shape->num_bits);
}
