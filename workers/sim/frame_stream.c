// Shot-major record streaming over the frame simulator, in memory or through a spill file.
// See frame_stream.h.
#include "workers/sim/frame_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/sim/frame_sample.h"
#include "workers/util/alloc.h"
#include "workers/util/bits.h"

typedef struct {
    uint64_t D, K;
    size_t rb, ob;  // bytes per emitted record, per observable record
    int append, want_obs;
    uint64_t M;     // floats of soft values per shot (0: none)
} stream_shape;

// Copies the K observable bits of each of n obs records to bit D onwards of the records.
static void append_obs(const stream_shape *sh, uint8_t *recs, const uint8_t *obs, size_t n) {
    for (size_t s = 0; s < n; s++)
        for (uint64_t k = 0; k < sh->K; k++) {
            uint64_t bit = sh->D + k;
            uint8_t m = (uint8_t)(1u << (bit % 8));
            if ((obs[s * sh->ob + k / 8] >> (k % 8)) & 1) recs[s * sh->rb + bit / 8] |= m;
            else recs[s * sh->rb + bit / 8] &= (uint8_t)~m;
        }
}

// ---- in memory ----

static int run_in_memory(qp_frame_sim *sim, const qp_frame_stream_params *p, const stream_shape *sh,
                         qp_frame_emit_fn emit, void *ctx, qp_err *err) {
    size_t batch_shots = (size_t)sim->opt.max_blocks * QP_FRAME_BLOCK_SHOTS;
    // Zeroed once: every batch writes every bit of its records' [0, D) (detector chunks are
    // gap-free) and [D, D+K) or the obs records' [0, K) when observables go out, so only the
    // padding bits, never written, are read back -- and they stay 0.
    uint8_t *recs = qp_calloc(batch_shots * sh->rb + 1, 1);
    uint8_t *obs = qp_calloc(batch_shots * sh->ob + 1, 1);
    float *soft = sh->M ? qp_malloc(batch_shots * sh->M * sizeof *soft) : NULL;
    int need_obs = sh->K && (sh->append || sh->want_obs);
    int rc = 0;
    for (uint64_t done = 0; done < p->num_shots && rc == 0;) {
        uint64_t n = p->num_shots - done < batch_shots ? p->num_shots - done : batch_shots;
        qp_frame_records r = {.first_shot = done, .end_shot = done + n, .dets = recs, .dets_record_bytes = sh->rb,
                              .obs = need_obs ? obs : NULL, .obs_record_bytes = sh->ob, .obs_first_bit = 0,
                              .soft = soft, .soft_per_shot = sh->M};
        qp_frame_sink sink = qp_frame_records_sink(&r);
        uint32_t nb = (uint32_t)((n + QP_FRAME_BLOCK_SHOTS - 1) / QP_FRAME_BLOCK_SHOTS);
        rc = qp_frame_sim_run_batch(sim, p->seed, p->stream_id, done / QP_FRAME_BLOCK_SHOTS, nb, &sink, err);
        if (rc == 0 && sh->append) append_obs(sh, recs, obs, (size_t)n);
        if (rc == 0 && soft) rc = p->emit_soft(ctx, soft, (size_t)n, err);
        if (rc == 0) rc = emit(ctx, recs, sh->want_obs ? obs : NULL, (size_t)n, err);
        done += n;
    }
    free(recs);
    free(obs);
    free(soft);
    return rc;
}

// ---- spill ----

typedef struct {
    FILE *tmp;
    size_t stride;
    uint64_t *gather;       // (largest chunk rows) one word of each row of a chunk
    size_t gather_cap;
    uint64_t *chunk_first;  // (num_chunks) first detector of each chunk
    size_t *chunk_rows;     // (num_chunks) rows of each chunk
    size_t num_chunks, cap;
    uint64_t *obs_rows;     // (K, stride) observable rows of the block
} spill_state;

// Writes a chunk word-major: for each word w, the chunk's rows' word w, so that a 64-shot
// group is one contiguous segment per chunk.
static int spill_detectors(void *ctx, uint64_t batch_first, uint64_t first_det, size_t n, const uint64_t *rows,
                           size_t stride, qp_err *err) {
    spill_state *s = ctx;
    s->stride = stride;
    qp_grow(s->gather, s->gather_cap, n);
    for (size_t w = 0; w < stride; w++) {
        for (size_t r = 0; r < n; r++) s->gather[r] = rows[r * stride + w];
        if (fwrite(s->gather, sizeof(uint64_t), n, s->tmp) != n)
            return qp_fail(err, "cannot write the temporary spill file (disk full?)");
    }
    if (s->num_chunks == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->chunk_first = qp_realloc(s->chunk_first, s->cap * sizeof *s->chunk_first);
        s->chunk_rows = qp_realloc(s->chunk_rows, s->cap * sizeof *s->chunk_rows);
    }
    s->chunk_first[s->num_chunks] = first_det;
    s->chunk_rows[s->num_chunks++] = n;
    return 0;
}

static int spill_observables(void *ctx, uint64_t batch_first, uint32_t n, const uint64_t *rows, size_t stride,
                             qp_err *err) {
    spill_state *s = ctx;
    s->stride = stride;
    memcpy(s->obs_rows, rows, (size_t)n * stride * sizeof(uint64_t));
    return 0;
}

static int run_spilled(qp_frame_sim *sim, const qp_frame_stream_params *p, const stream_shape *sh,
                       qp_frame_emit_fn emit, void *ctx, qp_err *err) {
    spill_state s = {0};
    s.tmp = tmpfile();
    if (!s.tmp) return qp_fail(err, "cannot create a temporary spill file");
    s.obs_rows = qp_malloc(((size_t)sh->K + 1) * sim->max_stride * sizeof(uint64_t));
    uint8_t *recs = qp_malloc(64 * sh->rb + 1);
    uint8_t *obs = qp_malloc(64 * sh->ob + 1);
    int rc = 0;
    qp_frame_sink sink = {&s, spill_detectors, spill_observables, NULL, NULL, NULL};
    for (uint64_t done = 0; done < p->num_shots && rc == 0;) {
        s.num_chunks = 0;
        rewind(s.tmp);
        rc = qp_frame_sim_run_batch(sim, p->seed, p->stream_id, done / QP_FRAME_BLOCK_SHOTS, 1, &sink, err);
        if (rc == 0 && fflush(s.tmp) != 0) rc = qp_fail(err, "cannot write the temporary spill file (disk full?)");
        // Read back 64 shots (one word of every row) at a time.
        for (size_t g = 0; g < s.stride && rc == 0 && done < p->num_shots; g++) {
            uint64_t n = p->num_shots - done < 64 ? p->num_shots - done : 64;
            memset(recs, 0, n * sh->rb);
            uint64_t offset = 0;
            for (size_t c = 0; c < s.num_chunks; c++) {
                size_t rows = s.chunk_rows[c];
                if (fseeko(s.tmp, (off_t)(offset + g * rows * sizeof(uint64_t)), SEEK_SET) != 0 ||
                    fread(s.gather, sizeof(uint64_t), rows, s.tmp) != rows) {
                    rc = qp_fail(err, "cannot read back the temporary spill file");
                    break;
                }
                qp_bits_rows_to_records(s.gather, rows, 1, 0, n, recs, sh->rb, s.chunk_first[c]);
                offset += (uint64_t)rows * s.stride * sizeof(uint64_t);
            }
            if (rc) break;
            if (sh->append) qp_bits_rows_to_records(s.obs_rows + g, sh->K, s.stride, 0, n, recs, sh->rb, sh->D);
            if (sh->want_obs) {
                memset(obs, 0, n * sh->ob);
                qp_bits_rows_to_records(s.obs_rows + g, sh->K, s.stride, 0, n, obs, sh->ob, 0);
            }
            // Hand over a few records at a time: a writer may copy what it gets.
            size_t piece = ((size_t)4 << 20) / (sh->rb + sh->ob);
            if (piece == 0) piece = 1;
            for (size_t i = 0; i < n && rc == 0; i += piece) {
                size_t m = n - i < piece ? n - i : piece;
                rc = emit(ctx, recs + i * sh->rb, sh->want_obs ? obs + i * sh->ob : NULL, m, err);
            }
            done += n;
        }
    }
    fclose(s.tmp);
    free(s.gather);
    free(s.chunk_first);
    free(s.chunk_rows);
    free(s.obs_rows);
    free(recs);
    free(obs);
    return rc;
}

int qp_frame_stream(const qp_circuit *c, const qp_frame_stream_params *p, qp_frame_emit_fn emit, void *ctx,
                    qp_err *err) {
    stream_shape sh = {.D = c->num_detectors, .K = c->num_observables, .append = p->append_observables,
                       .want_obs = p->want_observables && c->num_observables > 0,
                       .M = p->readout && p->emit_soft ? c->num_measurements * (p->leakage.p > 0 ? 2 : 1) : 0};
    sh.rb = (size_t)((sh.D + (sh.append ? sh.K : 0) + 7) / 8);
    sh.ob = (size_t)((sh.K + 7) / 8);
    if (sh.rb == 0 && !sh.want_obs) return qp_fail(err, "the circuit has no detectors or observables to sample");
    size_t budget = p->record_budget ? p->record_budget : (size_t)16 << 20;
    size_t block_bytes = (size_t)QP_FRAME_BLOCK_SHOTS * (sh.rb + sh.ob + sh.M * sizeof(float));
    int spill = block_bytes > budget;
    if (spill && sh.M)
        return qp_fail(err, "the soft values of one block of %d shots (%llu measurements each) need %.1f MB, more than "
                            "the record budget of %.1f MB",
                       QP_FRAME_BLOCK_SHOTS, (unsigned long long)sh.M, block_bytes / 1e6, budget / 1e6);
    qp_frame_options opt;
    qp_frame_options_default(&opt);
    opt.randomize_gauge = p->randomize_gauge;
    opt.leakage = p->leakage;
    opt.readout = p->readout;
    opt.max_blocks = spill ? 1
                         : (uint32_t)(budget / block_bytes < QP_FRAME_DEFAULT_BLOCKS ? budget / block_bytes
                                                                                     : QP_FRAME_DEFAULT_BLOCKS);
    qp_frame_sim sim;
    if (qp_frame_sim_init(&sim, c, &opt, err) != 0) return -1;
    int rc = spill ? run_spilled(&sim, p, &sh, emit, ctx, err) : run_in_memory(&sim, p, &sh, emit, ctx, err);
    qp_frame_sim_free(&sim);
    return rc;
}
