// The 01 format: one line per record, exactly num_bits characters '0'/'1', then '\n'.
// A final line without '\n' is accepted, and so are CRLF line ends (as Stim accepts them); a short line, a long line or any other character
// is an error at its line:column.
#include <stdio.h>

#include "pipeline/formats/codec.h"

const char *qp_describe_byte(int c, char buf[16]) {
    if (c < 0) snprintf(buf, 16, "end of file");
    else if (c == '\n') snprintf(buf, 16, "end of line");
    else if (c >= 0x20 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "'\\x%02x'", c);
    return buf;
}

int qp_decode_01(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err) {
    char what[16];
    if (qp_source_peek(src) < 0) return 0;
    for (uint64_t k = 0; k < shape->num_bits; k++) {
        uint64_t line = src->line, col = qp_source_column(src);
        int c = qp_source_get(src);
        if (c == '1') {
            qp_bit_set(record, k);
        } else if (c != '0') {
            if (c == '\n' || c == '\r' || c < 0)
                return qp_fail(err, "%s:%llu:%llu: line has %llu bits, expected %llu", name, (unsigned long long)line,
                               (unsigned long long)col, (unsigned long long)k, (unsigned long long)shape->num_bits);
            return qp_fail(err, "%s:%llu:%llu: expected '0' or '1', got %s", name, (unsigned long long)line,
                           (unsigned long long)col, qp_describe_byte(c, what));
        }
    }
    uint64_t line = src->line, col = qp_source_column(src);
    int c = qp_source_get(src);
    if (c == '\r' && (qp_source_peek(src) == '\n' || qp_source_peek(src) < 0)) c = qp_source_get(src);
    if (c == '\n' || c < 0) return 1;
    if (c == '0' || c == '1')
        return qp_fail(err, "%s:%llu:%llu: line is longer than %llu bits", name, (unsigned long long)line,
                       (unsigned long long)col, (unsigned long long)shape->num_bits);
    return qp_fail(err, "%s:%llu:%llu: expected end of line after %llu bits, got %s", name, (unsigned long long)line,
                   (unsigned long long)col, (unsigned long long)shape->num_bits, qp_describe_byte(c, what));
}

void qp_encode_01(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out) {
    qp_byte_buffer_reserve(out, n * (size_t)(shape->num_bits + 1));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *rec = records + i * shape->bytes_per_record;
        uint8_t *dst = out->data + out->len;
        for (uint64_t k = 0; k < shape->num_bits; k++) dst[k] = (uint8_t)('0' + qp_bit_get(rec, k));
        dst[shape->num_bits] = '\n';
        out->len += (size_t)shape->num_bits + 1;
    }
}
