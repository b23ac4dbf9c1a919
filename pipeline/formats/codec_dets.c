// The dets format: one line per record, "shot" followed by space-separated tokens D<k> for
// set bits k < num_detectors and L<k> for set bit num_detectors + k (appended observables).
// M<k> (measurement records) is read like D<k>; the writer uses shape->det_prefix.
// Blank lines are skipped; spaces, tabs and '\r' separate tokens.
#include "pipeline/formats/codec.h"

static int is_separator(int c) { return c == ' ' || c == '\t' || c == '\r'; }

int qp_decode_dets(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *record, qp_err *err) {
    char what[16];
    for (;;) {  // skip blank lines
        int c = qp_source_peek(src);
        if (c < 0) return 0;
        if (c == '\n' || c == '\r') qp_source_get(src);
        else break;
    }
    uint64_t line = src->line, col = qp_source_column(src);
    static const char word[] = "shot";
    for (int i = 0; i < 4; i++) {
        if (qp_source_peek(src) != word[i])
            return qp_fail(err, "%s:%llu:%llu: expected a line starting with 'shot'", name, (unsigned long long)line,
                           (unsigned long long)col);
        qp_source_get(src);
    }
    for (;;) {
        int c = qp_source_peek(src);
        if (c < 0) return 1;
        if (c == '\n') {
            qp_source_get(src);
            return 1;
        }
        line = src->line;
        col = qp_source_column(src);
        if (!is_separator(c))
            return qp_fail(err, "%s:%llu:%llu: expected a space before the next token, got %s", name,
                           (unsigned long long)line, (unsigned long long)col, qp_describe_byte(c, what));
        while (is_separator(qp_source_peek(src))) qp_source_get(src);
        c = qp_source_peek(src);
        if (c < 0) return 1;
        if (c == '\n') continue;
        line = src->line;
        col = qp_source_column(src);
        if (c != 'D' && c != 'M' && c != 'L')
            return qp_fail(err, "%s:%llu:%llu: expected a token like D5 or L0, got %s", name, (unsigned long long)line,
                           (unsigned long long)col, qp_describe_byte(c, what));
        qp_source_get(src);
        int digit = qp_source_peek(src);
        if (digit < '0' || digit > '9')
            return qp_fail(err, "%s:%llu:%llu: malformed token: expected digits after '%c', got %s", name,
                           (unsigned long long)line, (unsigned long long)col, c, qp_describe_byte(digit, what));
        uint64_t limit = c == 'L' ? shape->num_observables : shape->num_detectors;
        uint64_t v = 0;
        while (digit >= '0' && digit <= '9') {
            if (v <= limit) v = v * 10 + (uint64_t)(digit - '0');
            if (v > limit) v = limit + 1;  // saturate: out of range either way
            qp_source_get(src);
            digit = qp_source_peek(src);
        }
        if (digit >= 0 && digit != '\n' && !is_separator(digit))
            return qp_fail(err, "%s:%llu:%llu: malformed token: unexpected %s", name, (unsigned long long)src->line,
                           (unsigned long long)qp_source_column(src), qp_describe_byte(digit, what));
        if (v >= limit) {
            if (c == 'L')
                return qp_fail(err, "%s:%llu:%llu: observable index out of range: records have %llu observables",
                               name, (unsigned long long)line, (unsigned long long)col,
                               (unsigned long long)shape->num_observables);
            return qp_fail(err, "%s:%llu:%llu: detector index out of range: records have %llu detectors", name,
                           (unsigned long long)line, (unsigned long long)col, (unsigned long long)shape->num_detectors);
        }
        qp_bit_set(record, c == 'L' ? shape->num_detectors + v : v);
    }
}

void qp_encode_dets(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out) {
    size_t bpr = shape->bytes_per_record;
    char prefix = shape->det_prefix ? shape->det_prefix : 'D';
    for (size_t i = 0; i < n; i++) {
        const uint8_t *rec = records + i * bpr;
        qp_byte_buffer_append(out, "shot", 4);
        for (size_t b = 0; b < bpr; b++) {
            unsigned byte = rec[b];
            while (byte) {
                uint64_t k = (uint64_t)b * 8 + (uint64_t)__builtin_ctz(byte);
                byte &= byte - 1;
                if (k >= shape->num_bits) break;
                qp_byte_buffer_push(out, ' ');
                if (k < shape->num_detectors) {
                    qp_byte_buffer_push(out, (uint8_t)prefix);
                    qp_byte_buffer_append_u64(out, k);
                } else {
                    qp_byte_buffer_push(out, 'L');
                    qp_byte_buffer_append_u64(out, k - shape->num_detectors);
                }
            }
        }
        qp_byte_buffer_push(out, '\n');
    }
}
