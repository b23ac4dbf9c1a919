// The hits format: one line per record listing the indices of its set bits, separated by
// ',' (an empty line is a record with no set bits). Indices must be < num_bits.
#include "pipeline/formats/codec.h"

// Parses decimal digits at the source; fails unless there is at least one. Values past
// `limit` are reported as out of range by the caller (*value is then limit).
static int parse_index(qp_byte_source *src, uint64_t limit, uint64_t *value) {
    int c = qp_source_peek(src);
    if (c < '0' || c > '9') return -1;
    uint64_t v = 0;
    while (c >= '0' && c <= '9') {
        if (v < limit) v = v * 10 + (uint64_t)(c - '0');
        if (v > limit) v = limit;
        qp_source_get(src);
        c = qp_source_peek(src);
    }
    *value = v;
    return 0;
}

int qp_decode_hits(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err) {
    char what[16];
    if (qp_source_peek(src) < 0) return 0;
    int c = qp_source_peek(src);
    if (c == '\n') {
        qp_source_get(src);
        return 1;
    }
    for (;;) {
        uint64_t line = src->line, col = qp_source_column(src);
        uint64_t index;
        if (parse_index(src, shape->num_bits, &index) != 0)
            return qp_fail(err, "%s:%llu:%llu: expected a bit index, got %s", name, (unsigned long long)line,
                           (unsigned long long)col, qp_describe_byte(qp_source_peek(src), what));
        if (index >= shape->num_bits)
            return qp_fail(err, "%s:%llu:%llu: bit index out of range: records have %llu bits", name,
                           (unsigned long long)line, (unsigned long long)col, (unsigned long long)shape->num_bits);
        qp_bit_set(record, index);
        line = src->line;
        col = qp_source_column(src);
        c = qp_source_get(src);
        if (c == '\n' || c < 0) return 1;
        if (c != ',')
            return qp_fail(err, "%s:%llu:%llu: expected ',' or end of line, got %s", name, (unsigned long long)line,
                           (unsigned long long)col, qp_describe_byte(c, what));
    }
}

void qp_encode_hits(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out) {
    size_t bpr = shape->bytes_per_record;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *rec = records + i * bpr;
        int first = 1;
        for (size_t b = 0; b < bpr; b++) {
            unsigned byte = rec[b];
            while (byte) {
                uint64_t k = (uint64_t)b * 8 + (uint64_t)__builtin_ctz(byte);
                byte &= byte - 1;
                if (k >= shape->num_bits) break;
                if (!first) qp_byte_buffer_push(out, ',');
                qp_byte_buffer_append_u64(out, k);
                first = 0;
            }
        }
        qp_byte_buffer_push(out, '\n');
    }
}
