// Bit-matrix helpers for bit-sliced data: transposing detector-major rows (one bit per shot,
// shots packed 64 per word) into shot-major records (Stim's b8 layout: bit k of a record is
// bit k%8 of byte k/8, little-endian within a byte). The work is done in 64x64 tiles.
// Not a file format module: these fill plain byte buffers; pipeline/formats does the files.
#ifndef QP_UTIL_BITS_H
#define QP_UTIL_BITS_H

#include <stddef.h>
#include <stdint.h>

// In-place transpose of a 64x64 bit tile: afterwards bit c of tile[r] is what was bit r of
// tile[c] (bit 0 = least significant).
void qp_bits_transpose64(uint64_t tile[64]);

// Writes bit-sliced rows into shot-major records.
//   rows     is (num_rows, row_words): bit s%64 of rows[r*row_words + s/64] is row r, shot s
//   records  is (shot_hi - shot_lo, record_bytes): shot s's record starts at
//            records + (s - shot_lo) * record_bytes
// For every shot s in [shot_lo, shot_hi) (shot numbers of the rows' bit positions) and every
// row r, bit (first_bit + r) of shot s's record is set to the row's bit; other bits of the
// record are left untouched. shot_hi <= row_words * 64; first_bit + num_rows <= 8*record_bytes.
void qp_bits_rows_to_records(const uint64_t *rows, size_t num_rows, size_t row_words,
                             size_t shot_lo, size_t shot_hi, uint8_t *records,
                             size_t record_bytes, size_t first_bit);

// The inverse: reads bits (first_bit .. first_bit+num_rows) of shot-major records into rows.
//   records  is (num_shots, record_bytes); rows is (num_rows, row_words) and is overwritten:
//   bits of shots >= num_shots are zero. num_shots <= row_words * 64.
void qp_bits_records_to_rows(const uint8_t *records, size_t num_shots, size_t record_bytes,
                             size_t first_bit, size_t num_rows, uint64_t *rows,
                             size_t row_words);

#endif
