// Bit-matrix transposes: the 64x64 tile transpose against the definition, and rows <-> records
// round trips at odd sizes and bit offsets against a bit-by-bit reference.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/bits.h"
#include "workers/util/rng.h"

Test(bits, transpose64_matches_definition) {
    qp_rng r;
    qp_rng_stream(&r, 1, 2, 3);
    uint64_t a[64], t[64];
    for (int i = 0; i < 64; i++) a[i] = t[i] = qp_rng_u64(&r);
    qp_bits_transpose64(t);
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++) cr_assert_eq((t[i] >> j) & 1, (a[j] >> i) & 1, "bit (%d,%d)", i, j);
}

Test(bits, rows_to_records_bit_by_bit) {
    qp_rng r;
    qp_rng_stream(&r, 4, 5, 6);
    size_t sizes[][4] = {{1, 1, 0, 1}, {70, 3, 5, 40}, {130, 2, 0, 128}, {64, 4, 3, 200}, {9, 1, 17, 64}};
    for (int c = 0; c < 5; c++) {
        size_t nrows = sizes[c][0], words = sizes[c][1], first_bit = sizes[c][2], shots = sizes[c][3];
        size_t shot_lo = shots > 7 ? 3 : 0;
        size_t rb = (first_bit + nrows + 7) / 8 + 1;
        uint64_t *rows = malloc(nrows * words * 8);
        for (size_t i = 0; i < nrows * words; i++) rows[i] = qp_rng_u64(&r);
        uint8_t *rec = malloc(shots * rb), *before = malloc(shots * rb);
        for (size_t i = 0; i < shots * rb; i++) rec[i] = before[i] = (uint8_t)qp_rng_u64(&r);
        qp_bits_rows_to_records(rows, nrows, words, shot_lo, shots, rec, rb, first_bit);
        for (size_t s = shot_lo; s < shots; s++)
            for (size_t bit = 0; bit < rb * 8; bit++) {
                int got = (rec[(s - shot_lo) * rb + bit / 8] >> (bit % 8)) & 1;
                int want;
                if (bit >= first_bit && bit < first_bit + nrows)
                    want = (rows[(bit - first_bit) * words + s / 64] >> (s % 64)) & 1;
                else
                    want = (before[(s - shot_lo) * rb + bit / 8] >> (bit % 8)) & 1;
                cr_assert_eq(got, want, "case %d shot %zu bit %zu", c, s, bit);
            }
        // And back.
        uint64_t *back = malloc(nrows * words * 8);
        qp_bits_records_to_rows(rec, shots - shot_lo, rb, first_bit, nrows, back, words);
        for (size_t i = 0; i < nrows; i++)
            for (size_t s = 0; s < words * 64; s++) {
                int want = s + shot_lo < shots ? (int)((rows[i * words + (s + shot_lo) / 64] >> ((s + shot_lo) % 64)) & 1) : 0;
                cr_assert_eq((int)((back[i * words + s / 64] >> (s % 64)) & 1), want, "back: case %d row %zu shot %zu", c, i, s);
            }
        free(rows);
        free(rec);
        free(before);
        free(back);
    }
}
