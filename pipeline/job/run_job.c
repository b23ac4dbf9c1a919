#include "pipeline/job/run_job.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/formats/archive_walk.h"
#include "pipeline/formats/shot_reader.h"
#include "pipeline/job/progress.h"
#include "pipeline/store/store.h"
#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_dataset.h"
#include "pipeline/store/store_journal.h"
#include "pipeline/store/store_text.h"
#include "pipeline/store/store_unlink.h"
#include "pipeline/train/nn_models.h"
#include "scheduler/collectives.h"
#include "scheduler/task_queue.h"
#include "workers/decode/window.h"
#include "workers/sim/frame_sample.h"
#include "workers/stream/sample_decode.h"
#include "workers/util/alloc.h"
#include "workers/util/sha256.h"
#include "workers/util/stats.h"

#define JOURNAL_PATH QP_JOB_JOURNAL_PATH
#define JOURNAL_WIDTH QP_JOB_JOURNAL_WIDTH

// What the journal of a resumed file says about one experiment.
typedef struct {
    uint64_t rows, tasks, shots, errors[QP_NUM_DECODERS];  // errors by decoder id
} journal_sum;

// What a job is, for the output file and the experiment loop.
typedef struct {
    const char *text;       // stored as the root attribute "config"; a resume requires equality
    const char *source, *name;
    const char *command;    // "run" or "redecode"
    uint64_t seed, shots_per_task;
    uint64_t wave_shots;    // 0: QP_DEFAULT_WAVE_SHOTS
    uint32_t store;         // what is kept per shot: QP_KEEP_* bits (job.store)
    int deflate;            // shuffle + deflate level of the per-shot datasets (job.deflate; 0: off)
    int num_experiments;
    // Prepares experiment i (collective).
    int (*setup)(qp_job_experiment *je, int i, void *ctx, MPI_Comm comm, qp_err *err);
    void *ctx;
} job_spec;

// What one task produced on this rank, kept until the experiment's rows are written.
typedef struct {
    uint64_t task, first_shot, shots;
    uint8_t *pred[QP_NUM_DECODERS];   // (shots, obs_bytes) predicted observable flips
    double *weight[QP_NUM_DECODERS];  // (shots) matching weight (matching decoders)
    float *confidence[QP_NUM_DECODERS]; // (shots, num_obs) P(flipped) (the neural decoder)
    uint8_t *dets, *obs;              // (shots, det_bytes), (shots, obs_bytes) if stored
    float *soft;                      // (shots, soft_columns) p1 (then pleak), soft readout with job.store soft
} task_output;

typedef struct {
    qp_job_experiment *je;
    uint64_t seed, spt;
    size_t det_bytes, obs_bytes;
    uint32_t store;     // QP_KEEP_* bits: which outputs are kept until written
    task_output *outs;  // tasks this rank computed
    size_t num_outs, cap;
    qp_progress *progress;
} experiment_run;

static void task_output_free(task_output *o) {
    for (int k = 0; k < QP_NUM_DECODERS; k++) {
        free(o->pred[k]);
        free(o->weight[k]);
        free(o->confidence[k]);
    }
    free(o->dets);
    free(o->obs);
    free(o->soft);
}

// Columns of the soft dataset: p1 per measurement, then with leakage pleak per measurement.
static uint64_t soft_columns(const qp_job_experiment *je) {
    return je->circuit.num_measurements * (je->info.leak_p > 0 ? 2 : 1);
}

// Whether the experiment's soft values are stored (soft readout and job.store: soft).
static int keeps_soft(uint32_t store, const qp_job_experiment *je) { return (store & QP_KEEP_SOFT) && je->readout; }

// Whether a decoder of the experiment decodes with the shots' soft readout (mwpm-soft).
// Kinds that need the shots' soft readout, and nn (whose model may take soft inputs).
static int decodes_soft(const qp_job_experiment *je) {
    for (int k = 0; k < je->num_decoders; k++)
        if (qp_decoder_kind_of(je->decoder_ids[k])->needs_soft || je->decoder_ids[k] == QP_DEC_NN) return 1;
    return 0;
}

// Shots [first, first+n) of an archived experiment: detection events and observables.
static int read_archived_shots(const qp_job_experiment *je, uint64_t first, uint64_t n,
                               uint8_t *dets, uint8_t *obs, qp_err *err) {
    qp_shot_reader *rd = NULL;
    int rc = qp_shot_reader_open(&rd, je->files.dets_path, QP_FORMAT_B8, je->num_detectors, 0, err);
    if (rc == 0) rc = qp_shot_reader_seek(rd, first, err);
    if (rc == 0 && qp_shot_reader_read(rd, dets, n, err) != (int64_t)n)
        rc = qp_fail(err, "%s: short read at shot %llu", je->files.dets_path, (unsigned long long)first);
    qp_shot_reader_close(rd);
    rd = NULL;
    if (rc == 0) rc = qp_shot_reader_open(&rd, je->files.obs_path, je->files.obs_format, 0, je->num_observables, err);
    if (rc == 0) rc = qp_shot_reader_seek(rd, first, err);
    if (rc == 0 && qp_shot_reader_read(rd, obs, n, err) != (int64_t)n)
        rc = qp_fail(err, "%s: short read at shot %llu", je->files.obs_path, (unsigned long long)first);
    qp_shot_reader_close(rd);
    return rc;
}

// The decoder's extra output: confidences (float per observable, the neural decoder) or
// matching weights (double per shot).
static int gives_confidence(const qp_job_experiment *je, int k) {
    return qp_decoder_kind_of(je->decoder_ids[k])->extra == QP_DECODER_CONFIDENCE;
}

// Decodes with the parity's decoder: even global shot indices with decoders[k], odd with
// decoders_odd[k] (Google's pij_from_odd_for_even / pij_from_even_for_odd convention).
static int decode_by_parity(experiment_run *r, int k, uint64_t first, uint64_t n, const uint8_t *dets,
                            uint8_t *pred, double *weight, qp_err *err) {
    const qp_job_experiment *je = r->je;
    size_t db = r->det_bytes, ob = r->obs_bytes;
    uint8_t *sub_dets = qp_malloc((n / 2 + 1) * db), *sub_pred = qp_malloc((n / 2 + 1) * ob);
    double *sub_w = qp_malloc((n / 2 + 1) * sizeof(double));
    int rc = 0;
    for (int parity = 0; rc == 0 && parity < 2; parity++) {
        size_t m = 0;
        for (uint64_t s = 0; s < n; s++)
            if (((first + s) & 1) == (uint64_t)parity) memcpy(sub_dets + db * m++, dets + db * s, db);
        qp_decoder *dec = parity ? je->decoders_odd[k] : je->decoders[k];
        rc = qp_decoder_decode_batch(dec, sub_dets, m, db, sub_pred, sub_w, err);
        m = 0;
        for (uint64_t s = 0; rc == 0 && s < n; s++)
            if (((first + s) & 1) == (uint64_t)parity) {
                memcpy(pred + ob * s, sub_pred + ob * m, ob);
                weight[s] = sub_w[m++];
            }
    }
    free(sub_dets);
    free(sub_pred);
    free(sub_w);
    return rc;
}

// Sampled shots whose decoders all decode in windows, and whose detection events are not
// stored, are sampled and decoded in one pass, window by window (workers/stream/sample_decode.h):
// no task holds a shot's whole detection record, so a 1,000,000-round shot takes the memory of
// its windows. The predictions are those of the whole-record path, bit for bit.
static int streams(const experiment_run *r) {
    const qp_job_experiment *je = r->je;
    if (je->archived || (r->store & QP_KEEP_SAMPLES) || keeps_soft(r->store, je) || je->num_decoders == 0) return 0;
    for (int k = 0; k < je->num_decoders; k++)
        if (je->decoders_odd[k] || !qp_decoder_window(je->decoders[k])) return 0;
    return 1;
}

// The sampler's options for an experiment: the defaults, its noise.leakage and its soft readout.
static void frame_options(const qp_job_experiment *je, qp_frame_options *fo) {
    qp_frame_options_default(fo);
    fo->leakage.p = je->info.leak_p;
    fo->leakage.mean_rounds = je->info.leak_mean_rounds;
    fo->readout = je->readout;  // soft readout, or NULL
}

// The streamed task: predictions, weights and error counts into o and counters.
static int sample_decode_streamed(experiment_run *r, task_output *o, uint64_t *counters, qp_err *err) {
    qp_job_experiment *je = r->je;
    uint64_t n = o->shots;
    qp_window *wins[QP_NUM_DECODERS];
    uint8_t *obs = qp_calloc(n * r->obs_bytes + 1, 1);
    for (int k = 0; k < je->num_decoders; k++) {
        wins[k] = qp_decoder_window(je->decoders[k]);
        o->pred[k] = qp_calloc(n * r->obs_bytes + 1, 1);
        o->weight[k] = qp_malloc((n + 1) * sizeof(double));
    }
    qp_frame_options fo;
    frame_options(je, &fo);
    int rc = qp_sample_decode_windows(&je->circuit, &fo, r->seed, je->info.stream, o->first_shot, n, wins,
                                      je->num_decoders, obs, o->pred, o->weight, err);
    for (int k = 0; rc == 0 && k < je->num_decoders; k++) {
        uint64_t errors = 0;
        for (uint64_t s = 0; s < n; s++)
            errors += memcmp(o->pred[k] + s * r->obs_bytes, obs + s * r->obs_bytes, r->obs_bytes) != 0;
        counters[1 + k] = errors;
    }
    free(obs);
    return rc;
}

// Keeps a task's outputs until its wave is written, after dropping what job.store does not
// keep (a wave's outputs stay in memory until then).
static void keep_output(experiment_run *r, task_output *o) {
    if (!(r->store & QP_KEEP_SAMPLES)) {
        free(o->dets);
        free(o->obs);
        o->dets = o->obs = NULL;
    }
    if (!keeps_soft(r->store, r->je)) free(o->soft), o->soft = NULL;
    for (int k = 0; k < r->je->num_decoders; k++) {
        if (!(r->store & QP_KEEP_PREDICTIONS)) free(o->pred[k]), o->pred[k] = NULL;
        if (!(r->store & QP_KEEP_WEIGHTS)) free(o->weight[k]), o->weight[k] = NULL;
        if (!(r->store & QP_KEEP_CONFIDENCE)) free(o->confidence[k]), o->confidence[k] = NULL;
    }
    qp_grow(r->outs, r->cap, r->num_outs + 1);
    r->outs[r->num_outs++] = *o;
}

// A task's output is kept when it succeeded (rc 0); otherwise freed, and the error names
// the experiment and the task's shots.
static int finish_task(experiment_run *r, task_output *o, int rc, qp_err *err) {
    if (rc == 0) {
        keep_output(r, o);
        return 0;
    }
    task_output_free(o);
    return qp_fail_prefix(err, "experiment %s, task %llu (shots %llu..%llu)", r->je->info.name,
                          (unsigned long long)o->task, (unsigned long long)o->first_shot,
                          (unsigned long long)(o->first_shot + o->shots - 1));
}

// counters: [0] shots, [1 + k] logical errors of the k-th decoder of the experiment. The
// stopping rule stops once every decoder has max_errors errors (docs/config.md).
static int run_task(uint64_t t, uint64_t *counters, void *vctx, qp_err *err) {
    experiment_run *r = vctx;
    qp_job_experiment *je = r->je;
    uint64_t first = t * r->spt, max_shots = je->info.max_shots;
    uint64_t n = max_shots - first < r->spt ? max_shots - first : r->spt;
    task_output o = {.task = t, .first_shot = first, .shots = n};
    counters[0] = n;
    if (streams(r)) return finish_task(r, &o, sample_decode_streamed(r, &o, counters, err), err);
    o.dets = qp_calloc(n * r->det_bytes + 1, 1);
    o.obs = qp_calloc(n * r->obs_bytes + 1, 1);
    qp_frame_options fo;
    frame_options(je, &fo);
    uint64_t M = je->circuit.num_measurements, cols = soft_columns(je);
    if (keeps_soft(r->store, je) || (je->readout && decodes_soft(je)))
        o.soft = qp_malloc((n * cols + 1) * sizeof *o.soft);
    // What mwpm-soft and soft-input nn models decode with: each shot's M p1 values (then, with
    // leakage, its M pleak).
    qp_soft_batch soft = {o.soft, o.soft && cols > M ? o.soft + M : NULL, cols, M};
    int rc = je->archived   ? read_archived_shots(je, first, n, o.dets, o.obs, err)
             : je->readout ? qp_frame_sample_soft(&je->circuit, &fo, r->seed, je->info.stream, first, n, o.dets, o.obs,
                                                  o.soft, err)
                           : qp_frame_sample_b8(&je->circuit, &fo, r->seed, je->info.stream, first, n, o.dets, o.obs, err);
    for (int k = 0; rc == 0 && k < je->num_decoders; k++) {
        o.pred[k] = qp_calloc(n * r->obs_bytes + 1, 1);
        void *extra;
        if (gives_confidence(je, k))
            extra = o.confidence[k] = qp_malloc((n * je->num_observables + 1) * sizeof(float));
        else
            extra = o.weight[k] = qp_malloc((n + 1) * sizeof(double));
        rc = je->decoders_odd[k]
                 ? decode_by_parity(r, k, first, n, o.dets, o.pred[k], o.weight[k], err)
                 : qp_decoder_decode_batch_soft(je->decoders[k], o.dets, n, r->det_bytes, o.soft ? &soft : NULL,
                                                o.pred[k], extra, err);
        if (rc != 0) qp_fail_prefix(err, "%s", qp_decoder_name(je->decoder_ids[k]));
        uint64_t errors = 0;
        for (uint64_t s = 0; rc == 0 && s < n; s++)
            errors += memcmp(o.pred[k] + s * r->obs_bytes, o.obs + s * r->obs_bytes, r->obs_bytes) != 0;
        counters[1 + k] = errors;
    }
    return finish_task(r, &o, rc, err);
}

static void on_progress(uint64_t committed, const uint64_t *totals, void *ctx) {
    experiment_run *r = ctx;
    qp_progress_update(r->progress, totals[0], r->je->num_decoders ? totals[1] : 0);
}

static int by_task(const void *a, const void *b) {
    const task_output *x = a, *y = b;
    return x->task < y->task ? -1 : x->task > y->task;
}

// Collective: writes this rank's committed rows of one dataset in one collective write.
// `field` picks the buffer of a task_output.
typedef const void *(*field_fn)(const task_output *o, int k);
static const void *field_pred(const task_output *o, int k) { return o->pred[k]; }
static const void *field_weight(const task_output *o, int k) { return o->weight[k]; }
static const void *field_confidence(const task_output *o, int k) { return o->confidence[k]; }
static const void *field_dets(const task_output *o, int k) { return o->dets; }
static const void *field_obs(const task_output *o, int k) { return o->obs; }
static const void *field_soft(const task_output *o, int k) { return o->soft; }

static int write_rows(qp_store_dset *d, const experiment_run *r, size_t committed_here,
                      uint64_t total_shots, field_fn field, int k, qp_err *err) {
    if (qp_store_dset_set_rows(d, total_shots, err) != 0) return -1;
    uint64_t *offsets = qp_malloc((committed_here + 1) * sizeof *offsets);
    uint64_t *counts = qp_malloc((committed_here + 1) * sizeof *counts);
    const void **bufs = qp_malloc((committed_here + 1) * sizeof *bufs);
    for (size_t i = 0; i < committed_here; i++) {
        offsets[i] = r->outs[i].first_shot;
        counts[i] = r->outs[i].shots;
        bufs[i] = field(&r->outs[i], k);
    }
    int rc = qp_store_dset_write_ranges(d, committed_here, offsets, counts, bufs, err);
    free(offsets);
    free(counts);
    free(bufs);
    return rc;
}

// The per-shot datasets of one experiment, open while it runs; NULL where job.store does not
// keep them.
typedef struct {
    int open;                                   // created (at the first wave) or reopened
    qp_store_dset *dets, *obs;                  // samples
    qp_store_dset *soft;                        // soft readout's p1 (job.store: soft)
    qp_store_dset *pred[QP_NUM_DECODERS];       // predictions, per decoder of the experiment
    qp_store_dset *extra[QP_NUM_DECODERS];      // weights (matching) or confidence (nn)
} experiment_dsets;

// Whether job.store keeps the k-th decoder's extra output (weights or confidence).
static int keeps_extra(uint32_t store, const qp_job_experiment *je, int k) {
    return (store & (gives_confidence(je, k) ? QP_KEEP_CONFIDENCE : QP_KEEP_WEIGHTS)) != 0;
}

// Collective: one empty per-shot dataset (cols 0: (shots,)), chunked for what it will hold:
// at most max_rows rows, written in tasks of the job's shots_per_task rows
// (qp_store_chunk_rows). bits > 0 makes a b8 dataset of that many bits per shot (type and
// cols are then ignored).
static int create_per_shot(qp_store *store, const char *path, uint64_t bits, qp_store_type type, uint64_t cols,
                           uint64_t max_rows, const job_spec *job, qp_store_dset **out, qp_err *err) {
    uint64_t row_bytes = bits ? (bits + 7) / 8 : (cols ? cols : 1) * qp_store_type_size(type);
    uint64_t chunk = qp_store_chunk_rows(row_bytes, max_rows, job->shots_per_task);
    return bits ? qp_store_bits_create(store, path, bits, chunk, job->deflate, out, err)
                : qp_store_dset_create(store, path, type, cols, chunk, job->deflate, out, err);
}

static void dsets_close(experiment_dsets *ds) {
    qp_store_dset_close(ds->dets);
    qp_store_dset_close(ds->obs);
    qp_store_dset_close(ds->soft);
    for (int k = 0; k < QP_NUM_DECODERS; k++) {
        qp_store_dset_close(ds->pred[k]);
        qp_store_dset_close(ds->extra[k]);
    }
    memset(ds, 0, sizeof *ds);
}

// SHA-256 of a file's bytes (a model's identity for the CSV's strong_id: two model files with
// different weights decode differently, wherever they live).
// Collective: creates the experiment's group, its descriptive attributes, texts and decoder
// groups. The per-shot datasets come with the first wave (create_per_shot_dsets).
static int create_experiment(qp_store *store, const qp_job_experiment *je, qp_err *err) {
    const qp_experiment_info *in = &je->info;
    char g[QP_JOB_NAME_MAX + 32], p[QP_JOB_NAME_MAX + 128];
    snprintf(g, sizeof g, "/experiments/%s", in->group);
    if (qp_store_group_create(store, g, err) != 0) return -1;
    char json[QP_JOB_NAME_MAX * 2 + 256];
    qp_job_json_metadata(in, json, sizeof json);
    struct { const char *k; const char *v; } strs[] = {
        {"name", in->name}, {"code", in->code}, {"basis", in->basis}, {"noise", in->noise},
        {"source", in->source_path}, {"json_metadata", json},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (qp_store_attr_set_str(store, g, strs[i].k, strs[i].v, err) != 0) return -1;
    struct { const char *k; uint64_t v; } nums[] = {
        {"distance", in->distance}, {"rounds", in->rounds}, {"num_detectors", je->num_detectors},
        {"num_observables", je->num_observables}, {"max_shots", in->max_shots},
        {"max_errors", in->max_errors}, {"stream", in->stream},
        {"window", in->window}, {"commit", in->commit},  // matching decoders' windows; 0: global
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (qp_store_attr_set_u64(store, g, nums[i].k, nums[i].v, err) != 0) return -1;
    if (qp_store_attr_set_f64(store, g, "p", in->p, err) != 0 ||
        qp_store_attr_set_i64(store, g, "index", in->index, err) != 0)
        return -1;
    if (in->leak_p > 0 && (qp_store_attr_set_f64(store, g, "leakage_p", in->leak_p, err) != 0 ||
                           qp_store_attr_set_f64(store, g, "leakage_mean_rounds", in->leak_mean_rounds, err) != 0))
        return -1;
    if (je->readout &&  // soft readout: the model and its implied measurement flip probability
        (qp_store_attr_set_f64(store, g, "readout_snr", in->readout_snr, err) != 0 ||
         qp_store_attr_set_f64(store, g, "readout_t1_over_tint", in->readout_t1, err) != 0 ||
         qp_store_attr_set_f64(store, g, "readout_m", je->readout->model.flip, err) != 0 ||
         qp_store_attr_set_u64(store, g, "num_measurements", je->circuit.num_measurements, err) != 0))
        return -1;
    snprintf(p, sizeof p, "%s/circuit", g);
    if (qp_store_text_write(store, p, "stim", je->circuit_text, err) != 0) return -1;
    snprintf(p, sizeof p, "%s/dem", g);
    if (qp_store_text_write(store, p, "dem", je->dem_text, err) != 0) return -1;
    if (je->dem_odd_text) {  // --dem-by-parity: `dem` decoded the even shots, this the odd ones
        snprintf(p, sizeof p, "%s/dem_odd_shots", g);
        if (qp_store_text_write(store, p, "dem", je->dem_odd_text, err) != 0) return -1;
    }
    for (int k = 0; k < je->num_decoders; k++) {
        char dg[QP_JOB_NAME_MAX + 64];
        snprintf(dg, sizeof dg, "%s/decoders/%s", g, qp_decoder_name(je->decoder_ids[k]));
        if (qp_store_group_create(store, dg, err) != 0 ||
            qp_store_attr_set_str(store, dg, "decoder", qp_decoder_name(je->decoder_ids[k]), err) != 0)
            return -1;
        if (qp_decoder_kind_of(je->decoder_ids[k])->needs_model) {  // for report's strong_id
            char shipped[4096], hex[65];  // no model file given: the shipped one the decoder picked
            const char *model = in->model;
            if (!model[0] && qp_nn_model_pick(&je->circuit, shipped, sizeof shipped, err) != 0) return -1;
            if (qp_sha256_file(model[0] ? model : shipped, hex, err) != 0 ||
                qp_store_attr_set_str(store, dg, "model_sha256", hex, err) != 0)
                return -1;
        }
    }
    return 0;
}

// Collective: the experiment's empty per-shot datasets (those job.store keeps), created when
// its first wave is done, so their chunks fit what they will hold: an experiment whose first
// wave is its last (a stopping rule met early) holds exactly those max_rows rows, in one chunk
// when small; otherwise max_rows is its max_shots.
static int create_per_shot_dsets(qp_store *store, const qp_job_experiment *je, const job_spec *job,
                                 uint64_t max_rows, experiment_dsets *ds, qp_err *err) {
    char g[QP_JOB_NAME_MAX + 32], p[QP_JOB_NAME_MAX + 128];
    snprintf(g, sizeof g, "/experiments/%s", je->info.group);
    ds->open = 1;
    uint64_t K = je->num_observables ? je->num_observables : 1;
    if (job->store & QP_KEEP_SAMPLES) {
        snprintf(p, sizeof p, "%s/detectors", g);
        if (create_per_shot(store, p, je->num_detectors ? je->num_detectors : 1, 0, 0, max_rows, job, &ds->dets, err) != 0)
            return -1;
        snprintf(p, sizeof p, "%s/observables", g);
        if (create_per_shot(store, p, K, 0, 0, max_rows, job, &ds->obs, err) != 0) return -1;
    }
    if (keeps_soft(job->store, je)) {  // float32 (shots, M) or with leakage (shots, 2 M)
        snprintf(p, sizeof p, "%s/soft", g);
        if (create_per_shot(store, p, 0, QP_STORE_F32, soft_columns(je), max_rows, job, &ds->soft, err) != 0)
            return -1;
    }
    for (int k = 0; k < je->num_decoders; k++) {
        char dg[QP_JOB_NAME_MAX + 64];
        snprintf(dg, sizeof dg, "%s/decoders/%s", g, qp_decoder_name(je->decoder_ids[k]));
        snprintf(p, sizeof p, "%s/predictions", dg);
        if ((job->store & QP_KEEP_PREDICTIONS) && create_per_shot(store, p, K, 0, 0, max_rows, job, &ds->pred[k], err) != 0)
            return -1;
        if (!keeps_extra(job->store, je, k)) continue;
        int rc;
        if (gives_confidence(je, k)) {  // float32 (shots, num_observables)
            snprintf(p, sizeof p, "%s/confidence", dg);
            rc = create_per_shot(store, p, 0, QP_STORE_F32, K, max_rows, job, &ds->extra[k], err);
        } else {
            snprintf(p, sizeof p, "%s/weights", dg);
            rc = create_per_shot(store, p, 0, QP_STORE_F64, 0, max_rows, job, &ds->extra[k], err);
        }
        if (rc != 0) return -1;
    }
    return 0;
}

// Collective: reopens the datasets of a resumed experiment, cut back to the journaled shots
// (rows written after the last journal row are dropped and written again).
static int reopen_experiment(qp_store *store, const qp_job_experiment *je, uint32_t keep,
                             uint64_t shots, experiment_dsets *ds, qp_err *err) {
    char g[QP_JOB_NAME_MAX + 32];
    snprintf(g, sizeof g, "/experiments/%s", je->info.group);
    struct { qp_store_dset **d; } list[3 + 2 * QP_NUM_DECODERS];
    int n = 0;
    char names[3 + 2 * QP_NUM_DECODERS][QP_JOB_NAME_MAX + 128];
    if (keep & QP_KEEP_SAMPLES) {
        snprintf(names[n], sizeof names[n], "%s/detectors", g), list[n].d = &ds->dets, n++;
        snprintf(names[n], sizeof names[n], "%s/observables", g), list[n].d = &ds->obs, n++;
    }
    if (keeps_soft(keep, je)) snprintf(names[n], sizeof names[n], "%s/soft", g), list[n].d = &ds->soft, n++;
    for (int k = 0; k < je->num_decoders; k++) {
        const char *dn = qp_decoder_name(je->decoder_ids[k]);
        if (keep & QP_KEEP_PREDICTIONS)
            snprintf(names[n], sizeof names[n], "%s/decoders/%s/predictions", g, dn), list[n].d = &ds->pred[k], n++;
        if (keeps_extra(keep, je, k)) {
            snprintf(names[n], sizeof names[n], "%s/decoders/%s/%s", g, dn, gives_confidence(je, k) ? "confidence" : "weights");
            list[n].d = &ds->extra[k], n++;
        }
    }
    ds->open = 1;
    for (int i = 0; i < n; i++) {
        if (qp_store_dset_open(store, names[i], list[i].d, err) != 0 || qp_store_dset_set_rows(*list[i].d, shots, err) != 0)
            return -1;
    }
    return 0;
}

// Collective: this rank's committed rows of the wave (r->outs sorted by task, tasks below
// end_task committed), into every per-shot dataset.
static int write_wave(const experiment_dsets *ds, const experiment_run *r, uint64_t end_task,
                      uint64_t total_shots, qp_err *err) {
    size_t here = 0;
    while (here < r->num_outs && r->outs[here].task < end_task) here++;
    if (ds->dets && (write_rows(ds->dets, r, here, total_shots, field_dets, 0, err) != 0 ||
                     write_rows(ds->obs, r, here, total_shots, field_obs, 0, err) != 0))
        return -1;
    if (ds->soft && write_rows(ds->soft, r, here, total_shots, field_soft, 0, err) != 0) return -1;
    for (int k = 0; k < r->je->num_decoders; k++)
        if ((ds->pred[k] && write_rows(ds->pred[k], r, here, total_shots, field_pred, k, err) != 0) ||
            (ds->extra[k] && write_rows(ds->extra[k], r, here, total_shots,
                                        gives_confidence(r->je, k) ? field_confidence : field_weight, k, err) != 0))
            return -1;
    return 0;
}

// Collective: the statistics, written once the experiment is complete.
static int write_stats(qp_store *store, const qp_job_experiment *je, const uint64_t *totals,
                       uint64_t tasks, double seconds, qp_err *err) {
    const qp_experiment_info *in = &je->info;
    char g[QP_JOB_NAME_MAX + 32], p[QP_JOB_NAME_MAX + 128];
    snprintf(g, sizeof g, "/experiments/%s", in->group);
    uint64_t shots = totals[0];
    if (qp_store_attr_set_u64(store, g, "shots", shots, err) != 0 ||
        qp_store_attr_set_u64(store, g, "tasks", tasks, err) != 0)
        return -1;
    for (int k = 0; k < je->num_decoders; k++) {
        snprintf(p, sizeof p, "%s/decoders/%s", g, qp_decoder_name(je->decoder_ids[k]));
        uint64_t errors = totals[1 + k];
        double lo, hi, ler = shots ? (double)errors / shots : 0;
        qp_wilson_interval(errors, shots, 1.96, &lo, &hi);
        if (qp_store_attr_set_u64(store, p, "shots", shots, err) != 0 ||
            qp_store_attr_set_u64(store, p, "errors", errors, err) != 0 ||
            qp_store_attr_set_u64(store, p, "discards", 0, err) != 0 ||
            qp_store_attr_set_f64(store, p, "ler", ler, err) != 0 ||
            qp_store_attr_set_f64(store, p, "ler_stderr", shots ? sqrt(ler * (1 - ler) / shots) : 0, err) != 0 ||
            qp_store_attr_set_f64(store, p, "ler_low", lo, err) != 0 ||
            qp_store_attr_set_f64(store, p, "ler_high", hi, err) != 0 ||
            qp_store_attr_set_f64(store, p, "ler_per_round", qp_ler_per_round(ler, in->rounds ? in->rounds : 1),
                                  err) != 0)
            return -1;
    }
    // Run-specific facts go under /run, which comparisons of results skip.
    snprintf(p, sizeof p, "/run/experiments/%s", in->group);
    if (qp_store_group_create(store, p, err) != 0 || qp_store_attr_set_f64(store, p, "seconds", seconds, err) != 0)
        return -1;
    return 0;
}

static void print_summary(const qp_job_experiment *je, const uint64_t *totals) {
    if (ferror(stdout)) return;  // stdout closed (EPIPE): stop printing, keep working
    for (int k = 0; k < je->num_decoders; k++) {
        uint64_t shots = totals[0], errors = totals[1 + k];
        double lo, hi;
        qp_wilson_interval(errors, shots, 1.96, &lo, &hi);
        printf("%-40s %-10s %10llu shots %8llu errors  LER %.3e  [%.3e, %.3e]\n", je->info.name,
               qp_decoder_name(je->decoder_ids[k]), (unsigned long long)shots,
               (unsigned long long)errors, shots ? (double)errors / shots : 0.0, lo, hi);
    }
    fflush(stdout);
}

// Fault injection for the resume tests: with QECPIPE_FAULT_KILL_AFTER_WAVES=N in the
// environment, the last rank SIGKILLs itself after the N-th journaled wave of this process.
static void fault_injection_after_wave(MPI_Comm comm) {
    static long waves;
    const char *n = getenv("QECPIPE_FAULT_KILL_AFTER_WAVES");
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (n && ++waves == atol(n) && rank == size - 1) raise(SIGKILL);
}

static uint64_t opt_wave_shots(const job_spec *job) {
    return job->wave_shots ? job->wave_shots : QP_DEFAULT_WAVE_SHOTS;
}

// Runs (or finishes) one experiment in waves of job->wave_shots shots: each wave's tasks are
// scheduled, its committed rows written, and one journal row appended (which flushes), so a
// crash loses at most the wave in progress and memory holds one wave's outputs.
static int run_experiment(qp_store *store, qp_store_dset *journal, const job_spec *job, int index,
                          const journal_sum *js, qp_progress *progress, qp_err *err) {
    MPI_Comm comm = qp_store_comm(store);
    int rank;
    MPI_Comm_rank(comm, &rank);
    double t0 = qp_now_seconds();
    qp_job_experiment je;
    if (job->setup(&je, index, job->ctx, comm, err) != 0) return -1;
    je.info.index = index;

    experiment_run r = {
        .je = &je, .seed = job->seed, .spt = job->shots_per_task,
        .det_bytes = (je.num_detectors + 7) / 8, .obs_bytes = (je.num_observables + 7) / 8,
        .store = job->store, .progress = progress,
    };
    qp_stop_rule rule = {.max_shots = je.info.max_shots, .max_errors = je.info.max_errors,
                         .errors_first = 1, .errors_count = je.num_decoders};
    uint64_t max_tasks = (je.info.max_shots + r.spt - 1) / r.spt;
    uint64_t totals[QP_SCHED_MAX_COUNTERS] = {js->shots};
    for (int k = 0; k < je.num_decoders; k++) totals[1 + k] = js->errors[je.decoder_ids[k]];
    uint64_t first = js->tasks;
    if (js->rows > 0 && (qp_stop_rule_met(&rule, totals) || first >= max_tasks)) {
        progress->experiments_done++;  // finished before an interruption
        qp_job_experiment_free(&je);
        return 0;
    }

    experiment_dsets ds = {0};
    char g[QP_JOB_NAME_MAX + 32];
    // Room on disk for the experiment's texts first; a full disk stops the job here, cleanly.
    uint64_t texts = strlen(je.circuit_text) + strlen(je.dem_text) + (je.dem_odd_text ? strlen(je.dem_odd_text) : 0);
    int rc = qp_store_reserve(store, 0, texts, err);
    if (rc == 0 && js->rows == 0) {  // drop what an interrupted run may have half-created, start afresh
        snprintf(g, sizeof g, "/experiments/%s", je.info.group);
        rc = qp_store_unlink(store, g, err);
        snprintf(g, sizeof g, "/run/experiments/%s", je.info.group);
        if (rc == 0) rc = qp_store_unlink(store, g, err);
        if (rc == 0) rc = create_experiment(store, &je, err);
    } else if (rc == 0) {
        rc = reopen_experiment(store, &je, job->store, js->shots, &ds, err);
    }

    uint64_t wave_shots = opt_wave_shots(job);
    uint64_t wave_tasks = wave_shots / r.spt ? wave_shots / r.spt : 1;
    qp_progress_begin_experiment(progress, je.info.name, je.info.max_shots, rule.max_errors);
    while (rc == 0) {
        uint64_t n = max_tasks - first < wave_tasks ? max_tasks - first : wave_tasks;
        qp_sched_range range = {first, n, 1 + je.num_decoders, totals};
        qp_sched_result res;
        rc = qp_sched_run(comm, &range, &rule, run_task, &r, on_progress, &r, &res, err);
        if (rc != 0) break;
        if (r.num_outs > 1) qsort(r.outs, r.num_outs, sizeof *r.outs, by_task);
        uint64_t end = first + res.committed_tasks;
        int final = res.rule_met || end >= max_tasks;
        // The first wave says how many rows the per-shot datasets will hold: exactly its own
        // when it is also the last, else up to max_shots.
        uint64_t max_rows = final ? (res.totals[0] ? res.totals[0] : 1) : je.info.max_shots;
        if (!ds.open) rc = create_per_shot_dsets(store, &je, job, max_rows, &ds, err);
        if (rc == 0) rc = qp_store_reserve(store, res.totals[0] - totals[0], 0, err);
        if (rc == 0) rc = write_wave(&ds, &r, end, res.totals[0], err);
        if (rc == 0 && final) rc = write_stats(store, &je, res.totals, end, qp_now_seconds() - t0, err);
        uint64_t row[JOURNAL_WIDTH] = {(uint64_t)index, first, res.committed_tasks, res.totals[0] - totals[0]};
        for (int k = 0; k < je.num_decoders; k++) row[4 + je.decoder_ids[k]] = res.totals[1 + k] - totals[1 + k];
        if (rc == 0) rc = qp_store_journal_append(journal, row, rank == 0 ? 1 : 0, err);
        if (rc == 0) fault_injection_after_wave(comm);
        for (size_t i = 0; i < r.num_outs; i++) task_output_free(&r.outs[i]);
        r.num_outs = 0;
        memcpy(totals, res.totals, sizeof totals);
        first = end;
        if (rc == 0 && final) {
            qp_progress_end_experiment(progress, totals[0], je.num_decoders ? totals[1] : 0);
            if (rank == 0) print_summary(&je, totals);
            break;
        }
    }
    for (size_t i = 0; i < r.num_outs; i++) task_output_free(&r.outs[i]);
    free(r.outs);
    dsets_close(&ds);
    qp_job_experiment_free(&je);
    return rc;
}

static int write_job_attrs(qp_store *store, const job_spec *job, qp_err *err) {
    if (qp_store_attr_set_str(store, "/", "format", "qecpipe-results", err) != 0 ||
        qp_store_attr_set_i64(store, "/", "format_version", 1, err) != 0 ||
        qp_store_attr_set_str(store, "/", "qecpipe_version", QECPIPE_VERSION_STRING, err) != 0 ||
        qp_store_attr_set_str(store, "/", "command", job->command, err) != 0 ||
        qp_store_attr_set_str(store, "/", "config", job->text, err) != 0 ||
        qp_store_attr_set_str(store, "/", "config_path", job->source, err) != 0 ||
        qp_store_attr_set_str(store, "/", "job_name", job->name, err) != 0 ||
        qp_store_attr_set_u64(store, "/", "seed", job->seed, err) != 0 ||
        qp_store_attr_set_u64(store, "/", "shots_per_task", job->shots_per_task, err) != 0)
        return -1;
    return qp_store_group_create(store, "/experiments", err);
}

// Facts about this run (not the results): ranks, host, Slurm ids, times.
static int write_run_attrs(qp_store *store, double seconds, qp_err *err) {
    int size;
    MPI_Comm_size(qp_store_comm(store), &size);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *job = getenv("SLURM_JOB_ID"), *restarts = getenv("SLURM_RESTART_COUNT");
    time_t now = time(NULL);
    char stamp[64];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    if (qp_store_group_create(store, "/run", err) != 0 ||
        qp_store_attr_set_u64(store, "/run", "ranks", (uint64_t)size, err) != 0 ||
        qp_store_attr_set_str(store, "/run", "hostname", host, err) != 0 ||
        qp_store_attr_set_str(store, "/run", "slurm_job_id", job ? job : "", err) != 0 ||
        qp_store_attr_set_str(store, "/run", "slurm_restart_count", restarts ? restarts : "", err) != 0 ||
        qp_store_attr_set_str(store, "/run", "finished_utc", stamp, err) != 0 ||
        qp_store_attr_set_f64(store, "/run", "seconds", seconds, err) != 0)
        return -1;
    return 0;
}

// Opens the output under `claim` (rank 0's): a fresh PATH.partial, or an interrupted run of
// the same job, whose journal is summed per experiment into sums[e].
static int open_output(const job_spec *job, const qp_run_options *opt, qp_output *claim, MPI_Comm comm,
                       qp_store **store, qp_store_dset **journal, journal_sum *sums, qp_err *err) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    // --restart creates PATH.partial afresh (truncating it) instead of resuming it.
    int resumed = 0;
    if (qp_store_create_claimed(claim, comm, !opt->restart, store, &resumed, err) != 0) return -1;
    if (resumed && !qp_store_exists(*store, JOURNAL_PATH)) {
        // Killed before its first flush: no config, no journal, nothing to resume.
        qp_store_abort(*store);
        if (qp_store_create_claimed(claim, comm, 0, store, &resumed, err) != 0) return -1;
    }
    if (qp_store_reserve(*store, 0, 0, err) != 0) goto fail;
    if (!resumed) {
        const char *cols[JOURNAL_WIDTH] = {"experiment", "first_task", "tasks", "shots"};
        char names[QP_NUM_DECODERS][48];
        for (int k = 0; k < QP_NUM_DECODERS; k++) {
            snprintf(names[k], sizeof names[k], "errors_%s", qp_decoder_name((qp_decoder_id)k));
            cols[4 + k] = names[k];
        }
        if (write_job_attrs(*store, job, err) != 0 ||
            qp_store_journal_create(*store, JOURNAL_PATH, JOURNAL_WIDTH, cols, journal, err) != 0 ||
            qp_store_flush(*store, err) != 0)
            goto fail;
        return 0;
    }
    // Resuming: the partial file must come from the same job.
    char *old = NULL;
    int rc = qp_store_attr_get_str(*store, "/", "config", &old, err);
    int same = rc == 0 && strcmp(old, job->text) == 0;
    free(old);
    if (!same) {
        qp_fail(err, "%s.partial holds an unfinished run of a different job; re-run with "
                     "--restart to discard it", opt->output);
        goto fail;
    }
    uint64_t *rows = NULL, n = 0, width = 0;
    if (qp_store_journal_read(*store, JOURNAL_PATH, &rows, &n, &width, err) != 0) goto fail;
    if (n > 0 && width != JOURNAL_WIDTH) {
        free(rows);
        qp_fail(err, "%s.partial: journal has %llu columns, expected %d (written by another qecpipe "
                     "version); re-run with --restart", opt->output, (unsigned long long)width, JOURNAL_WIDTH);
        goto fail;
    }
    for (uint64_t i = 0; i < n; i++) {
        const uint64_t *row = rows + i * width;
        if (row[0] >= (uint64_t)job->num_experiments) continue;
        journal_sum *js = &sums[row[0]];
        js->rows++;
        js->tasks = row[1] + row[2];  // waves are journaled in order
        js->shots += row[3];
        for (int k = 0; k < QP_NUM_DECODERS; k++) js->errors[k] += row[4 + k];
    }
    free(rows);
    if (qp_store_dset_open(*store, JOURNAL_PATH, journal, err) != 0) goto fail;
    if (rank == 0 && n > 0)
        fprintf(stderr, "qecpipe: resuming %s.partial from its journal (%llu waves done)\n", opt->output,
                (unsigned long long)n);
    return 0;
fail:
    qp_store_abort(*store);
    *store = NULL;
    return -1;
}

static int run_spec(const job_spec *job, const qp_run_options *opt, MPI_Comm comm, qp_err *err) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    double t0 = qp_now_seconds();
    // The claim first, before anything is opened: the caller's, or our own.
    int given = rank == 0 && opt->claim;
    MPI_Bcast(&given, 1, MPI_INT, 0, comm);
    qp_output *own = NULL, *claim = opt->claim;
    if (!given) {
        if (qp_store_claim(opt->output, comm, &own, err) != 0) return -1;
        claim = own;
    }
    journal_sum *sums = qp_calloc((size_t)job->num_experiments + 1, sizeof *sums);
    qp_store *store = NULL;
    qp_store_dset *journal = NULL;
    if (open_output(job, opt, claim, comm, &store, &journal, sums, err) != 0) {
        free(sums);
        qp_output_release(own);
        return -1;
    }
    qp_progress progress;
    int selected = 0;
    for (int e = 0; e < job->num_experiments; e++)
        selected += opt->share_count <= 1 || e % opt->share_count == opt->share_index;
    qp_progress_init(&progress, rank == 0 && !opt->quiet, selected);
    int rc = 0;
    for (int e = 0; rc == 0 && e < job->num_experiments; e++) {
        if (opt->share_count > 1 && e % opt->share_count != opt->share_index) continue;
        rc = run_experiment(store, journal, job, e, &sums[e], &progress, err);
    }
    if (rc == 0) rc = write_run_attrs(store, qp_now_seconds() - t0, err);
    qp_store_dset_close(journal);
    if (rc == 0)
        rc = qp_store_close(store, err);
    else
        qp_store_abort(store);  // keeps PATH.partial if it holds journaled work
    free(sums);
    qp_output_release(own);
    return rc;
}

// --- qecpipe run -------------------------------------------------------------------------

static int config_setup(qp_job_experiment *je, int i, void *ctx, MPI_Comm comm, qp_err *err) {
    const qp_config *cfg = ctx;
    return qp_job_experiment_setup(je, &cfg->experiments[i], comm, err);
}

int qp_run_job(const qp_config *cfg, const qp_run_options *opt, MPI_Comm comm, qp_err *err) {
    // A share of a job array is its own job: its identity (for resuming) names the share.
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(cfg->text, f);
    if (opt->share_count > 1) fprintf(f, "\n# qecpipe share %d/%d\n", opt->share_index, opt->share_count);
    fclose(f);
    job_spec job = {
        .text = text, .source = cfg->source, .name = cfg->job.name, .command = "run",
        .seed = cfg->job.seed,
        .shots_per_task = cfg->job.shots_per_task, .store = cfg->job.store, .deflate = cfg->job.deflate,
        .wave_shots = opt->wave_shots,
        .num_experiments = cfg->num_experiments, .setup = config_setup, .ctx = (void *)cfg,
    };
    int rc = run_spec(&job, opt, comm, err);
    free(text);
    return rc;
}

// --- qecpipe redecode --------------------------------------------------------------------

typedef struct {
    const char *archive;
    const qp_archive_options *aopt;
    char **rels;
} archive_job;

static int archive_setup(qp_job_experiment *je, int i, void *ctx, MPI_Comm comm, qp_err *err) {
    const archive_job *a = ctx;
    return qp_job_archive_setup(je, a->archive, a->rels[i], a->aopt, comm, err);
}

int qp_redecode_job(const char *archive, const qp_archive_options *aopt, uint64_t shots_per_task,
                    const char *command_text, const qp_run_options *opt, MPI_Comm comm, qp_err *err) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    char **rels = NULL;
    size_t n = 0;
    char **skipped = NULL;
    size_t num_skipped = 0;
    int rc = rank == 0 ? qp_archive_list(archive, &rels, &n, &skipped, &num_skipped, err) : 0;
    if (rc == 0 && num_skipped) {  // said even with --quiet: these folders are not in the results
        fprintf(stderr, "qecpipe redecode: skipping %zu folder%s with a circuit but no detection_events.b8:",
                num_skipped, num_skipped == 1 ? "" : "s");
        for (size_t i = 0; i < num_skipped; i++) fprintf(stderr, " %s", skipped[i]);
        fprintf(stderr, "\n");
    }
    for (size_t i = 0; i < num_skipped; i++) free(skipped[i]);
    free(skipped);
    if (qp_bcast_status(comm, rc, err) != 0) return -1;
    uint64_t n64 = n;
    MPI_Bcast(&n64, 1, MPI_UINT64_T, 0, comm);
    if (rank != 0) rels = qp_calloc(n64 + 1, sizeof *rels);
    for (uint64_t i = 0; i < n64; i++) qp_bcast_string(comm, &rels[i]);
    n = n64;
    if (n == 0) {
        rc = qp_fail(err, "%s: no experiment folders (folders holding detection_events.b8)", archive);
    } else {
        archive_job a = {archive, aopt, rels};
        job_spec job = {
            .text = command_text, .source = archive, .name = "redecode", .command = "redecode", .seed = 0,
            .shots_per_task = shots_per_task, .store = aopt->store, .deflate = aopt->deflate,
            .num_experiments = (int)n,
            .wave_shots = opt->wave_shots,
            .setup = archive_setup, .ctx = &a,
        };
        rc = run_spec(&job, opt, comm, err);
    }
    for (size_t i = 0; i < n; i++) free(rels[i]);
    free(rels);
    return rc;
}
