// One pass of sampling and windowed decoding (see sample_decode.h): a frame-simulator sink that
// transposes each detector chunk for the wanted shots and pushes it into their window streams.
#include "workers/stream/sample_decode.h"

#include <stdlib.h>
#include <string.h>

#include "workers/decode/window_stream.h"
#include "workers/util/alloc.h"
#include "workers/util/bits.h"

typedef struct {
    uint64_t first_shot, end_shot;   // the wanted shots
    uint64_t lo, hi;                 // the current batch's wanted shots
    int num_windows;
    size_t batch_shots;              // streams per window
    qp_window_stream **streams;      // (num_windows, batch_shots)
    uint8_t *chunk;                  // (batch_shots, chunk_bytes) one chunk, shot-major
    size_t chunk_bytes;
    uint8_t *obs;
    size_t obs_bytes;
} sample_decode;

static int clip(sample_decode *sd, uint64_t batch_first, size_t stride) {
    uint64_t end = batch_first + (uint64_t)stride * 64;
    sd->lo = sd->first_shot > batch_first ? sd->first_shot : batch_first;
    sd->hi = sd->end_shot < end ? sd->end_shot : end;
    return sd->lo < sd->hi;
}

static int on_detectors(void *ctx, uint64_t batch_first, uint64_t first_det, size_t num_dets, const uint64_t *rows,
                        size_t stride, qp_err *err) {
    sample_decode *sd = ctx;
    if (!clip(sd, batch_first, stride)) return 0;
    size_t n = (size_t)(sd->hi - sd->lo), bytes = (num_dets + 7) / 8;
    if (first_det == 0)
        for (int k = 0; k < sd->num_windows; k++)
            for (size_t s = 0; s < n; s++) qp_window_stream_reset(sd->streams[(size_t)k * sd->batch_shots + s]);
    if (bytes > sd->chunk_bytes) {
        free(sd->chunk);
        sd->chunk = qp_malloc(sd->batch_shots * bytes);
        sd->chunk_bytes = bytes;
    }
    qp_bits_rows_to_records(rows, num_dets, stride, sd->lo - batch_first, sd->hi - batch_first, sd->chunk, bytes, 0);
    for (size_t s = 0; s < n; s++)
        for (int k = 0; k < sd->num_windows; k++)
            if (qp_window_stream_push(sd->streams[(size_t)k * sd->batch_shots + s], sd->chunk + s * bytes, 0, first_det,
                                      num_dets, err))
                return qp_fail_prefix(err, "shot %llu", (unsigned long long)(sd->lo + s));
    return 0;
}

static int on_observables(void *ctx, uint64_t batch_first, uint32_t num_obs, const uint64_t *rows, size_t stride,
                          qp_err *err) {
    (void)err;
    sample_decode *sd = ctx;
    if (!sd->obs || !clip(sd, batch_first, stride)) return 0;
    qp_bits_rows_to_records(rows, num_obs, stride, sd->lo - batch_first, sd->hi - batch_first,
                            sd->obs + (sd->lo - sd->first_shot) * sd->obs_bytes, sd->obs_bytes, 0);
    return 0;
}

int qp_sample_decode_windows(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed, uint64_t stream_id,
                             uint64_t first_shot, uint64_t num_shots, qp_window *const *windows, int num_windows,
                             uint8_t *obs, uint8_t *const *pred, double *const *weight, qp_err *err) {
    for (int k = 0; k < num_windows; k++)
        if (qp_window_get_layout(windows[k])->num_detectors != c->num_detectors)
            return qp_fail(err, "the windowed decoder has %llu detectors but the circuit %llu",
                           (unsigned long long)qp_window_get_layout(windows[k])->num_detectors,
                           (unsigned long long)c->num_detectors);
    qp_frame_sim sim;
    if (qp_frame_sim_init(&sim, c, opt, err)) return -1;
    size_t ob = (c->num_observables + 7) / 8;
    sample_decode sd = {.first_shot = first_shot, .end_shot = first_shot + num_shots, .num_windows = num_windows,
                        .obs = obs, .obs_bytes = ob};
    sd.batch_shots = sim.max_stride * 64;
    if (sd.batch_shots > num_shots) sd.batch_shots = num_shots;
    size_t ns = (size_t)num_windows * sd.batch_shots;
    sd.streams = qp_calloc(ns + 1, sizeof *sd.streams);
    for (int k = 0; k < num_windows; k++)
        for (size_t s = 0; s < sd.batch_shots; s++) sd.streams[(size_t)k * sd.batch_shots + s] = qp_window_stream_create(windows[k]);
    if (obs) memset(obs, 0, num_shots * ob);
    qp_frame_sink sink = {&sd, on_detectors, on_observables, NULL, NULL, NULL};
    int rc = 0;
    uint64_t block = first_shot / QP_FRAME_BLOCK_SHOTS;
    uint64_t end_block = (first_shot + num_shots + QP_FRAME_BLOCK_SHOTS - 1) / QP_FRAME_BLOCK_SHOTS;
    while (rc == 0 && block < end_block) {
        uint64_t nb = end_block - block;
        if (nb > sim.opt.max_blocks) nb = sim.opt.max_blocks;
        if (c->num_detectors == 0) {  // no detector chunk will reset the streams
            for (size_t i = 0; i < ns; i++) qp_window_stream_reset(sd.streams[i]);
        }
        rc = qp_frame_sim_run_batch(&sim, seed, stream_id, block, (uint32_t)nb, &sink, err);
        // The batch is complete: its wanted shots' predictions.
        if (rc == 0 && clip(&sd, block * QP_FRAME_BLOCK_SHOTS, (size_t)nb * QP_FRAME_BLOCK_WORDS)) {
            for (uint64_t shot = sd.lo; rc == 0 && shot < sd.hi; shot++) {
                size_t s = (size_t)(shot - sd.lo), row = (size_t)(shot - first_shot);
                for (int k = 0; rc == 0 && k < num_windows; k++) {
                    uint64_t o;
                    double wt;
                    rc = qp_window_stream_finish(sd.streams[(size_t)k * sd.batch_shots + s], &o, &wt, err);
                    if (rc) {
                        qp_fail_prefix(err, "shot %llu", (unsigned long long)shot);
                        break;
                    }
                    for (size_t b = 0; b < ob; b++) pred[k][row * ob + b] = (uint8_t)(o >> (8 * b));
                    if (weight && weight[k]) weight[k][row] = wt;
                }
            }
        }
        block += nb;
    }
    for (size_t i = 0; i < ns; i++) qp_window_stream_free(sd.streams[i]);
    free(sd.streams);
    free(sd.chunk);
    qp_frame_sim_free(&sim);
    return rc;
}
