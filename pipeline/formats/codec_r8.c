// The r8 format: each byte is a run of 0s followed by a 1; byte 255 is 255 zeros with no 1.
// Each record is encoded with an extra 1 appended just past its last bit, so a record ends
// when the decoded position reaches exactly num_bits. A run that jumps past that point, or
// input that ends inside a record, is an error at the byte offset of the offending byte.
#include "pipeline/formats/codec.h"

int qp_decode_r8(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err) {
    uint64_t bits = shape->num_bits;
    uint64_t pos = 0;  // next bit of the record to be decided
    uint64_t record_start = qp_source_offset(src);
    for (int first = 1;; first = 0) {
        uint64_t at = qp_source_offset(src);
        int c = qp_source_get(src);
        if (c < 0) {
            if (first) return 0;
            return qp_fail(err, "%s: byte offset %llu: r8 data ends inside the record starting at byte offset %llu "
                           "(decoded %llu of %llu bits, no terminating run)",
                           name, (unsigned long long)at, (unsigned long long)record_start, (unsigned long long)pos,
                           (unsigned long long)bits);
        }
        uint64_t run = (uint64_t)c;
        if (pos + run > bits)
            return qp_fail(err, "%s: byte offset %llu: r8 run of %llu zeros starting at bit %llu overflows the "
                           "record of %llu bits", name, (unsigned long long)at, (unsigned long long)run,
                           (unsigned long long)pos, (unsigned long long)bits);
        pos += run;
        if (c == 255) continue;
        if (pos == bits) return 1;  // the terminating 1 just past the record
        qp_bit_set(record, pos);
        pos++;
    }
}

static void emit_run(qp_byte_buffer *out, uint64_t zeros) {
    while (zeros >= 255) {
        qp_byte_buffer_push(out, 255);
        zeros -= 255;
    }
    qp_byte_buffer_push(out, (uint8_t)zeros);
}

void qp_encode_r8(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out) {
    size_t bpr = shape->bytes_per_record;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *rec = records + i * bpr;
        uint64_t next = 0;  // first bit not yet encoded
        for (size_t b = 0; b < bpr; b++) {
            unsigned byte = rec[b];
            while (byte) {
                uint64_t k = (uint64_t)b * 8 + (uint64_t)__builtin_ctz(byte);
                byte &= byte - 1;
                if (k >= shape->num_bits) break;  // padding
                emit_run(out, k - next);
                next = k + 1;
            }
        }
        emit_run(out, shape->num_bits - next);  // the terminating 1
    }
}
