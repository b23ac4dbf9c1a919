// The ptb64 format: records in groups of 64; for each bit m of the record, one 8-byte
// little-endian word whose bit s is bit m of record s of the group. So a file holds
// (records / 64) * num_bits * 8 bytes, and the record count must be a multiple of 64.
#include "pipeline/formats/codec.h"

int qp_decode_ptb64(qp_byte_source *src, const qp_record_shape *shape, const char *name, uint8_t *words,
                    uint8_t *records, qp_err *err) {
    size_t group_bytes = (size_t)shape->num_bits * 8;
    uint64_t start = qp_source_offset(src);
    size_t got = qp_source_read(src, words, group_bytes);
    if (got == 0) return 0;
    if (got < group_bytes)
        return qp_fail(err, "%s: byte offset %llu: truncated ptb64 data: the group of 64 shots starting here needs "
                       "%zu bytes but only %zu remain (ptb64 holds a multiple of 64 shots, %llu bits each)",
                       name, (unsigned long long)start, group_bytes, got, (unsigned long long)shape->num_bits);
    size_t bpr = shape->bytes_per_record;
    for (uint64_t m = 0; m < shape->num_bits; m++) {
        const uint8_t *w = words + m * 8;
        uint64_t word = 0;
        for (int b = 7; b >= 0; b--) word = (word << 8) | w[b];
        while (word) {
            int s = __builtin_ctzll(word);
            word &= word - 1;
            qp_bit_set(records + (size_t)s * bpr, m);
        }
    }
    return 1;
}

void qp_encode_ptb64(const qp_record_shape *shape, const uint8_t *records, size_t n, qp_byte_buffer *out) {
    size_t bpr = shape->bytes_per_record;
    size_t group_bytes = (size_t)shape->num_bits * 8;
    qp_byte_buffer_reserve(out, n / 64 * group_bytes);
    for (size_t g = 0; g + 64 <= n; g += 64) {
        uint8_t *words = out->data + out->len;  // (num_bits, 8): byte s/8 of word m holds record s's bit m
        memset(words, 0, group_bytes);
        for (size_t s = 0; s < 64; s++) {  // visit set bits only: cheap for sparse detection events
            const uint8_t *rec = records + (g + s) * bpr;
            for (size_t b = 0; b < bpr; b++) {
                unsigned byte = rec[b];
                while (byte) {
                    uint64_t m = (uint64_t)b * 8 + (uint64_t)__builtin_ctz(byte);
                    byte &= byte - 1;
                    if (m >= shape->num_bits) break;
                    words[m * 8 + s / 8] |= (uint8_t)(1u << (s % 8));
                }
            }
        }
        out->len += group_bytes;
    }
}
