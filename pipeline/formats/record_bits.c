#include "pipeline/formats/record_bits.h"

#include <string.h>

qp_record_shape qp_record_shape_make(uint64_t num_detectors, uint64_t num_observables) {
    qp_record_shape s;
    s.num_detectors = num_detectors;
    s.num_observables = num_observables;
    s.num_bits = num_detectors + num_observables;
    s.bytes_per_record = qp_bytes_per_record(s.num_bits);
    s.det_prefix = 'D';
    return s;
}

void qp_records_clear_padding(uint8_t *records, size_t n, uint64_t num_bits) {
    if (num_bits % 8 == 0) return;
    size_t bpr = qp_bytes_per_record(num_bits);
    uint8_t keep = (uint8_t)((1u << (num_bits % 8)) - 1);
    for (size_t i = 0; i < n; i++) records[i * bpr + bpr - 1] &= keep;
}

void qp_bits_copy(uint8_t *dst, uint64_t dst_bit, const uint8_t *src, uint64_t src_bit, uint64_t count) {
    if (count == 0) return;
    if (dst_bit % 8 == 0 && src_bit % 8 == 0) {  // byte-aligned: memcpy whole bytes, then the tail
        uint64_t whole = count / 8;
        memcpy(dst + dst_bit / 8, src + src_bit / 8, (size_t)whole);
        for (uint64_t k = whole * 8; k < count; k++) {
            if (qp_bit_get(src, src_bit + k)) qp_bit_set(dst, dst_bit + k);
            else qp_bit_clear(dst, dst_bit + k);
        }
        return;
    }
    for (uint64_t k = 0; k < count; k++) {
        if (qp_bit_get(src, src_bit + k)) qp_bit_set(dst, dst_bit + k);
        else qp_bit_clear(dst, dst_bit + k);
    }
}

void qp_records_split(const uint8_t *joined, size_t n, uint64_t num_detectors, uint64_t num_observables,
                      uint8_t *dets, uint8_t *obs) {
    size_t bpr_joined = qp_bytes_per_record(num_detectors + num_observables);
    size_t bpr_dets = qp_bytes_per_record(num_detectors);
    size_t bpr_obs = qp_bytes_per_record(num_observables);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *j = joined + i * bpr_joined;
        if (dets) {
            uint8_t *d = dets + i * bpr_dets;
            memset(d, 0, bpr_dets);
            qp_bits_copy(d, 0, j, 0, num_detectors);
        }
        if (obs) {
            uint8_t *o = obs + i * bpr_obs;
            memset(o, 0, bpr_obs);
            qp_bits_copy(o, 0, j, num_detectors, num_observables);
        }
    }
}

void qp_records_join(const uint8_t *dets, const uint8_t *obs, size_t n, uint64_t num_detectors,
                     uint64_t num_observables, uint8_t *joined) {
    size_t bpr_joined = qp_bytes_per_record(num_detectors + num_observables);
    size_t bpr_dets = qp_bytes_per_record(num_detectors);
    size_t bpr_obs = qp_bytes_per_record(num_observables);
    for (size_t i = 0; i < n; i++) {
        uint8_t *j = joined + i * bpr_joined;
        memset(j, 0, bpr_joined);
        qp_bits_copy(j, 0, dets + i * bpr_dets, 0, num_detectors);
        qp_bits_copy(j, num_detectors, obs + i * bpr_obs, 0, num_observables);
    }
}
