// Shot windows into b8 records on top of the frame simulator. See frame_sample.h.
#include "workers/sim/frame_sample.h"

#include <string.h>

#include "workers/util/bits.h"

// Clips the batch [batch_first, batch_first + 64*stride) to the records' window.
static int clip(const qp_frame_records *r, uint64_t batch_first, size_t stride, uint64_t *lo, uint64_t *hi) {
    uint64_t b_end = batch_first + (uint64_t)stride * 64;
    *lo = r->first_shot > batch_first ? r->first_shot : batch_first;
    *hi = r->end_shot < b_end ? r->end_shot : b_end;
    return *lo < *hi;
}

// Rows (n, stride) of this batch into `dest` records (record_bytes each, shot r->first_shot
// first) at bit first_bit onwards, for the shots the records' window holds.
static void rows_into(const qp_frame_records *r, uint8_t *dest, size_t record_bytes, uint64_t first_bit,
                      uint64_t batch_first, const uint64_t *rows, size_t n, size_t stride) {
    uint64_t lo, hi;
    if (!dest || !clip(r, batch_first, stride, &lo, &hi)) return;
    qp_bits_rows_to_records(rows, n, stride, lo - batch_first, hi - batch_first,
                            dest + (lo - r->first_shot) * record_bytes, record_bytes, first_bit);
}

static int records_detectors(void *ctx, uint64_t batch_first, uint64_t first_det, size_t num_dets,
                             const uint64_t *rows, size_t stride, qp_err *err) {
    (void)err;
    qp_frame_records *r = ctx;
    rows_into(r, r->dets, r->dets_record_bytes, first_det, batch_first, rows, num_dets, stride);
    return 0;
}

static int records_observables(void *ctx, uint64_t batch_first, uint32_t num_obs, const uint64_t *rows,
                               size_t stride, qp_err *err) {
    (void)err;
    qp_frame_records *r = ctx;
    rows_into(r, r->obs, r->obs_record_bytes, r->obs_first_bit, batch_first, rows, num_obs, stride);
    return 0;
}

static int records_soft(void *ctx, uint64_t batch_first, uint64_t first_meas, size_t num_meas, const float *p1,
                        const float *pleak, size_t stride, qp_err *err) {
    qp_frame_records *r = ctx;
    uint64_t lo, hi;
    if (!r->soft || !clip(r, batch_first, stride, &lo, &hi)) return 0;
    size_t per_row = stride * 64;
    for (size_t k = 0; k < num_meas; k++)
        for (uint64_t s = lo; s < hi; s++)
            r->soft[(s - r->first_shot) * r->soft_per_shot + first_meas + k] = p1[k * per_row + (s - batch_first)];
    if (pleak)  // after the shot's p1 values (soft_per_shot = 2 M)
        for (size_t k = 0; k < num_meas; k++)
            for (uint64_t s = lo; s < hi; s++)
                r->soft[(s - r->first_shot) * r->soft_per_shot + r->soft_per_shot / 2 + first_meas + k] =
                    pleak[k * per_row + (s - batch_first)];
    return 0;
}

qp_frame_sink qp_frame_records_sink(qp_frame_records *records) {
    qp_frame_sink s = {records, records_detectors, records_observables, NULL, NULL, records->soft ? records_soft : NULL};
    return s;
}

int qp_frame_sim_run_shots(qp_frame_sim *sim, uint64_t seed, uint64_t stream_id,
                           uint64_t first_shot, uint64_t end_shot, const qp_frame_sink *sink,
                           qp_err *err) {
    uint64_t block = first_shot / QP_FRAME_BLOCK_SHOTS;
    uint64_t end_block = (end_shot + QP_FRAME_BLOCK_SHOTS - 1) / QP_FRAME_BLOCK_SHOTS;
    while (block < end_block) {
        uint64_t n = end_block - block;
        if (n > sim->opt.max_blocks) n = sim->opt.max_blocks;
        if (qp_frame_sim_run_batch(sim, seed, stream_id, block, (uint32_t)n, sink, err)) return -1;
        block += n;
    }
    return 0;
}

// Shots [first_shot, first_shot+num_shots) into b8 records and, with a readout model, soft values.
static int sample_records(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed, uint64_t stream_id,
                          uint64_t first_shot, uint64_t num_shots, uint8_t *dets, uint8_t *obs, float *soft,
                          qp_err *err) {
    qp_frame_sim sim;
    if (qp_frame_sim_init(&sim, c, opt, err)) return -1;
    qp_frame_records rec = {
        .first_shot = first_shot,
        .end_shot = first_shot + num_shots,
        .dets = dets,
        .dets_record_bytes = (c->num_detectors + 7) / 8,
        .obs = obs,
        .obs_record_bytes = (c->num_observables + 7) / 8,
        .obs_first_bit = 0,
        .soft = soft,
        .soft_per_shot = soft ? c->num_measurements * (opt->leakage.p > 0 ? 2 : 1) : 0,
    };
    if (dets) memset(dets, 0, num_shots * rec.dets_record_bytes);
    if (obs) memset(obs, 0, num_shots * rec.obs_record_bytes);
    qp_frame_sink sink = qp_frame_records_sink(&rec);
    int rc = qp_frame_sim_run_shots(&sim, seed, stream_id, first_shot, first_shot + num_shots, &sink, err);
    qp_frame_sim_free(&sim);
    return rc;
}

int qp_frame_sample_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed,
                       uint64_t stream_id, uint64_t first_shot, uint64_t num_shots,
                       uint8_t *dets, uint8_t *obs, qp_err *err) {
    return sample_records(c, opt, seed, stream_id, first_shot, num_shots, dets, obs, NULL, err);
}

int qp_frame_sample_soft(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed, uint64_t stream_id,
                         uint64_t first_shot, uint64_t num_shots, uint8_t *dets, uint8_t *obs, float *soft,
                         qp_err *err) {
    if (!opt || !opt->readout) return qp_fail(err, "qp_frame_sample_soft needs a readout model");
    return sample_records(c, opt, seed, stream_id, first_shot, num_shots, dets, obs, soft, err);
}

// Measurement rows into the records' window, each row at bit = its measurement index.
static int records_measurements(void *ctx, uint64_t batch_first, uint64_t first_meas, size_t num_meas,
                                const uint64_t *rows, size_t stride, qp_err *err) {
    (void)err;
    qp_frame_records *r = ctx;
    rows_into(r, r->dets, r->dets_record_bytes, first_meas, batch_first, rows, num_meas, stride);
    return 0;
}

// Leaked rows of measured qubits into the leaked records, bit = measurement index.
static int records_leaked(void *ctx, uint64_t batch_first, uint64_t first_meas, size_t num_meas,
                          const uint64_t *rows, size_t stride, qp_err *err) {
    (void)err;
    qp_frame_records *r = ctx;
    rows_into(r, r->leaked, r->dets_record_bytes, first_meas, batch_first, rows, num_meas, stride);
    return 0;
}

int qp_frame_sample_measurements_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed,
                                    uint64_t stream_id, uint64_t first_shot, uint64_t num_shots,
                                    const uint8_t *ref, uint8_t *meas, qp_err *err) {
    return qp_frame_sample_measurements_leaked_b8(c, opt, seed, stream_id, first_shot, num_shots, ref, meas, NULL,
                                                  err);
}

int qp_frame_sample_measurements_leaked_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed,
                                           uint64_t stream_id, uint64_t first_shot, uint64_t num_shots,
                                           const uint8_t *ref, uint8_t *meas, uint8_t *leaked, qp_err *err) {
    qp_frame_sim sim;
    if (qp_frame_sim_init(&sim, c, opt, err)) return -1;
    size_t rb = (c->num_measurements + 7) / 8;
    qp_frame_records rec = {.first_shot = first_shot, .end_shot = first_shot + num_shots, .dets = meas,
                            .dets_record_bytes = rb, .leaked = leaked};
    memset(meas, 0, num_shots * rb);
    if (leaked) memset(leaked, 0, num_shots * rb);
    qp_frame_sink sink = {&rec, NULL, NULL, records_measurements, records_leaked, NULL};
    int rc = qp_frame_sim_run_shots(&sim, seed, stream_id, first_shot, first_shot + num_shots, &sink, err);
    qp_frame_sim_free(&sim);
    for (uint64_t s = 0; rc == 0 && s < num_shots; s++)
        for (size_t k = 0; k < rb; k++) meas[s * rb + k] ^= ref[k];
    return rc;
}
