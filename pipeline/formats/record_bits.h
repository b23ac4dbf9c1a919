// The in-memory shot record used everywhere in qecpipe: the b8 layout. A batch of n records
// is one byte array (n, bytes_per_record), shot-major; bit k of a record is bit k%8 (value
// 1 << (k%8)) of byte k/8. Padding bits past the last bit are always 0.
//
// A record holds num_detectors detection events followed by num_observables observable
// flips ("appended observables", Stim's --append_observables). The split/join helpers move
// between that and separate detector and observable records (Stim's --obs_out).
#ifndef QP_FORMATS_RECORD_BITS_H
#define QP_FORMATS_RECORD_BITS_H

#include <stddef.h>
#include <stdint.h>

// What a record holds, shared by readers, writers and codecs.
typedef struct {
    uint64_t num_detectors;    // D: bits [0, D) of a record; dets tokens D<k> (or M<k>)
    uint64_t num_observables;  // K: bits [D, D+K); dets tokens L<k>
    uint64_t num_bits;         // D + K
    size_t bytes_per_record;   // ceil((D + K) / 8)
    char det_prefix;           // letter written for bits [0, D) in dets: 'D', or 'M' for measurements
} qp_record_shape;

// The largest record qecpipe reads or writes: 2^31 bits (256 MiB), far above any experiment
// (a d=25 surface code over 100,000 rounds has 6.2e7 detectors) and small enough that a
// batch of records is allocatable. Readers and the command line refuse larger sizes.
#define QP_RECORD_BITS_MAX ((uint64_t)1 << 31)

// Fills a shape for D detectors and K observables (det_prefix 'D').
qp_record_shape qp_record_shape_make(uint64_t num_detectors, uint64_t num_observables);

static inline size_t qp_bytes_per_record(uint64_t num_bits) { return (size_t)((num_bits + 7) / 8); }

static inline int qp_bit_get(const uint8_t *record, uint64_t k) { return (record[k >> 3] >> (k & 7)) & 1; }
static inline void qp_bit_set(uint8_t *record, uint64_t k) { record[k >> 3] |= (uint8_t)(1u << (k & 7)); }
static inline void qp_bit_clear(uint8_t *record, uint64_t k) { record[k >> 3] &= (uint8_t)~(1u << (k & 7)); }

// Clears the padding bits past num_bits in each of n records (n, bytes_per_record).
void qp_records_clear_padding(uint8_t *records, size_t n, uint64_t num_bits);

// Copies bits [src_bit, src_bit + count) of src to bits [dst_bit, dst_bit + count) of dst.
void qp_bits_copy(uint8_t *dst, uint64_t dst_bit, const uint8_t *src, uint64_t src_bit, uint64_t count);

// joined is (n, ceil((D+K)/8)); dets is (n, ceil(D/8)); obs is (n, ceil(K/8)).
// Split: dets gets bits [0, D) of each joined record, obs bits [D, D+K). Either output may be
// NULL to skip it. Join is the inverse. Padding bits of the outputs are written as 0.
void qp_records_split(const uint8_t *joined, size_t n, uint64_t num_detectors, uint64_t num_observables,
                      uint8_t *dets, uint8_t *obs);
void qp_records_join(const uint8_t *dets, const uint8_t *obs, size_t n, uint64_t num_detectors,
                     uint64_t num_observables, uint8_t *joined);

#endif
