// 64x64 tile transposes between bit-sliced rows and shot-major records. See bits.h.
#include "workers/util/bits.h"

#include <string.h>

// One stage of the 64x64 transpose at block width J (a compile-time constant, so that the
// inner loop has a fixed trip count and gcc vectorises it): the high J-bit half of each
// 2J-bit group of row k trades places with the low half of row k+J.
#define QP_TRANSPOSE_STAGE(a, J, M)                                     \
    for (int base = 0; base < 64; base += 2 * (J)) {                    \
        uint64_t *lo = (a) + base, *hi = (a) + base + (J);              \
        for (int k = 0; k < (J); k++) {                                 \
            uint64_t t = ((lo[k] >> (J)) ^ hi[k]) & (M);                \
            hi[k] ^= t;                                                 \
            lo[k] ^= t << (J);                                          \
        }                                                               \
    }

void qp_bits_transpose64(uint64_t a[64]) {
    QP_TRANSPOSE_STAGE(a, 32, 0x00000000FFFFFFFFULL)
    QP_TRANSPOSE_STAGE(a, 16, 0x0000FFFF0000FFFFULL)
    QP_TRANSPOSE_STAGE(a, 8, 0x00FF00FF00FF00FFULL)
    QP_TRANSPOSE_STAGE(a, 4, 0x0F0F0F0F0F0F0F0FULL)
    QP_TRANSPOSE_STAGE(a, 2, 0x3333333333333333ULL)
    QP_TRANSPOSE_STAGE(a, 1, 0x5555555555555555ULL)
}

// Stores the low `nbits` bits of v into rec starting at bit `bit`, leaving other bits alone.
static void store_bits(uint8_t *rec, size_t bit, uint64_t v, size_t nbits) {
    if (bit % 8 == 0) {
        // Whole bytes, then a masked last byte.
        uint8_t *p = rec + bit / 8;
        size_t full = nbits / 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (full == 8) {
            memcpy(p, &v, 8);
            return;
        }
#endif
        for (size_t i = 0; i < full; i++) p[i] = (uint8_t)(v >> (8 * i));
        size_t rest = nbits % 8;
        if (rest) {
            uint8_t mask = (uint8_t)((1u << rest) - 1u);
            p[full] = (uint8_t)((p[full] & ~mask) | ((v >> (8 * full)) & mask));
        }
        return;
    }
    size_t done = 0;
    while (done < nbits) {
        size_t b = bit + done;
        size_t in_byte = b % 8;
        size_t take = 8 - in_byte;
        if (take > nbits - done) take = nbits - done;
        uint8_t mask = (uint8_t)(((1u << take) - 1u) << in_byte);
        uint8_t val = (uint8_t)(((v >> done) << in_byte) & mask);
        rec[b / 8] = (uint8_t)((rec[b / 8] & ~mask) | val);
        done += take;
    }
}

static uint64_t load_bits(const uint8_t *rec, size_t bit, size_t nbits) {
    uint64_t v = 0;
    if (bit % 8 == 0 && nbits == 64) {
        const uint8_t *p = rec + bit / 8;
        for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
        return v;
    }
    for (size_t i = 0; i < nbits; i++) v |= (uint64_t)((rec[(bit + i) / 8] >> ((bit + i) % 8)) & 1u) << i;
    return v;
}

void qp_bits_rows_to_records(const uint64_t *rows, size_t num_rows, size_t row_words,
                             size_t shot_lo, size_t shot_hi, uint8_t *records,
                             size_t record_bytes, size_t first_bit) {
    if (shot_hi <= shot_lo || num_rows == 0) return;
    uint64_t tile[64];
    size_t w_lo = shot_lo / 64, w_hi = (shot_hi + 63) / 64;
    for (size_t r0 = 0; r0 < num_rows; r0 += 64) {
        size_t nr = num_rows - r0 < 64 ? num_rows - r0 : 64;
        for (size_t w = w_lo; w < w_hi; w++) {
            for (size_t r = 0; r < nr; r++) tile[r] = rows[(r0 + r) * row_words + w];
            for (size_t r = nr; r < 64; r++) tile[r] = 0;
            qp_bits_transpose64(tile);
            // tile[j] now holds rows r0.. r0+63 of shot 64*w + j.
            size_t s_lo = w * 64 < shot_lo ? shot_lo : w * 64;
            size_t s_hi = w * 64 + 64 > shot_hi ? shot_hi : w * 64 + 64;
            for (size_t s = s_lo; s < s_hi; s++)
                store_bits(records + (s - shot_lo) * record_bytes, first_bit + r0, tile[s - w * 64], nr);
        }
    }
}

void qp_bits_records_to_rows(const uint8_t *records, size_t num_shots, size_t record_bytes,
                             size_t first_bit, size_t num_rows, uint64_t *rows,
                             size_t row_words) {
    uint64_t tile[64];
    for (size_t r0 = 0; r0 < num_rows; r0 += 64) {
        size_t nr = num_rows - r0 < 64 ? num_rows - r0 : 64;
        for (size_t w = 0; w < row_words; w++) {
            for (size_t j = 0; j < 64; j++) {
                size_t s = w * 64 + j;
                tile[j] = s < num_shots ? load_bits(records + s * record_bytes, first_bit + r0, nr) : 0;
            }
            qp_bits_transpose64(tile);
            for (size_t r = 0; r < nr; r++) rows[(r0 + r) * row_words + w] = tile[r];
        }
    }
}
