#include "pipeline/formats/shot_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/formats/codec.h"
#include "pipeline/output/output.h"
#include "workers/util/alloc.h"

enum { WRITER_FLUSH_BYTES = 1 << 20 };

struct qp_shot_writer {
    char *path;              // the name given (for messages)
    qp_output *output;       // the claimed output (pipeline/output): where the bytes go
    FILE *file;
    qp_shot_format format;
    qp_record_shape shape;
    qp_byte_buffer encoded;  // encoded bytes not yet handed to the FILE
    uint8_t *pending;        // ptb64: (64, bytes_per_record) records waiting for a full group
    size_t num_pending;
    uint64_t records_written;  // records accepted by write()
    // Split output (qp_shot_writer_open_split): the two part writers and their batch buffers.
    qp_shot_writer *dets_part;  // (D bits per record) or NULL for an ordinary writer
    qp_shot_writer *obs_part;   // (K bits per record)
    uint8_t *part_dets;         // (SPLIT_BATCH, ceil(D/8))
    uint8_t *part_obs;          // (SPLIT_BATCH, ceil(K/8))
};

enum { SPLIT_BATCH = 4096 };

int qp_shot_encode(qp_shot_format format, const qp_record_shape *shape, const uint8_t *records, size_t n,
                   qp_byte_buffer *out, qp_err *err) {
    switch (format) {
    case QP_FORMAT_01: qp_encode_01(shape, records, n, out); return 0;
    case QP_FORMAT_B8: qp_encode_b8(shape, records, n, out); return 0;
    case QP_FORMAT_R8: qp_encode_r8(shape, records, n, out); return 0;
    case QP_FORMAT_HITS: qp_encode_hits(shape, records, n, out); return 0;
    case QP_FORMAT_DETS: qp_encode_dets(shape, records, n, out); return 0;
    case QP_FORMAT_PTB64:
        if (n % 64) return qp_fail(err, "ptb64 needs a multiple of 64 shots, got %zu", n);
        qp_encode_ptb64(shape, records, n, out);
        return 0;
    default: return qp_fail(err, "unknown shot format %d", (int)format);
    }
}

int qp_shot_writer_open(qp_shot_writer **writer, const char *path, qp_shot_format format, uint64_t num_detectors,
                        uint64_t num_observables, qp_err *err) {
    *writer = NULL;
    if ((int)format < 0 || format >= QP_FORMAT_COUNT) return qp_fail(err, "%s: unknown shot format %d", path, (int)format);
    if (num_detectors + num_observables == 0)
        return qp_fail(err, "%s: records must have at least one bit (0 detectors and 0 observables given)", path);
    qp_output *output;
    if (qp_output_claim(path, &output, err) != 0) return -1;
    FILE *file = qp_output_fopen(output, err);
    if (!file) {
        qp_output_abandon(output, NULL);
        return -1;
    }
    qp_shot_writer *w = qp_calloc(1, sizeof *w);
    w->path = qp_strdup(path);
    w->output = output;
    w->file = file;
    w->format = format;
    w->shape = qp_record_shape_make(num_detectors, num_observables);
    if (format == QP_FORMAT_PTB64) w->pending = qp_malloc(64 * w->shape.bytes_per_record);
    *writer = w;
    return 0;
}

int qp_shot_writer_open_split(qp_shot_writer **writer, const char *dets_path, qp_shot_format dets_format,
                              const char *obs_path, qp_shot_format obs_format, uint64_t num_detectors,
                              uint64_t num_observables, qp_err *err) {
    *writer = NULL;
    if (num_detectors == 0 || num_observables == 0)
        return qp_fail(err, "%s: a separate observables file needs detectors and observables (got %llu and %llu)",
                       obs_path, (unsigned long long)num_detectors, (unsigned long long)num_observables);
    qp_shot_writer *dets, *obs;
    if (qp_shot_writer_open(&dets, dets_path, dets_format, num_detectors, 0, err) != 0) return -1;
    if (qp_shot_writer_open(&obs, obs_path, obs_format, 0, num_observables, err) != 0) {
        qp_shot_writer_abort(dets);
        return -1;
    }
    qp_shot_writer *w = qp_calloc(1, sizeof *w);
    w->path = qp_strdup(dets_path);
    w->format = dets_format;
    w->shape = qp_record_shape_make(num_detectors, num_observables);
    w->dets_part = dets;
    w->obs_part = obs;
    w->part_dets = qp_malloc(SPLIT_BATCH * dets->shape.bytes_per_record);
    w->part_obs = qp_malloc(SPLIT_BATCH * obs->shape.bytes_per_record);
    *writer = w;
    return 0;
}

void qp_shot_writer_set_det_prefix(qp_shot_writer *w, char prefix) {
    w->shape.det_prefix = prefix;
    if (w->dets_part) w->dets_part->shape.det_prefix = prefix;
}

uint64_t qp_shot_writer_records_written(const qp_shot_writer *w) { return w->records_written; }

static int flush_encoded(qp_shot_writer *w, qp_err *err) {
    if (w->encoded.len && fwrite(w->encoded.data, 1, w->encoded.len, w->file) != w->encoded.len)
        return qp_fail(err, "%s: write failed: %s", qp_output_write_path(w->output), strerror(errno));
    w->encoded.len = 0;
    return 0;
}

int qp_shot_writer_write(qp_shot_writer *w, const uint8_t *records, size_t n, qp_err *err) {
    if (n == 0) return 0;
    size_t bpr = w->shape.bytes_per_record;
    if (w->dets_part) {
        for (size_t i = 0; i < n; i += SPLIT_BATCH) {
            size_t chunk = n - i < SPLIT_BATCH ? n - i : SPLIT_BATCH;
            qp_records_split(records + i * bpr, chunk, w->shape.num_detectors, w->shape.num_observables, w->part_dets,
                             w->part_obs);
            if (qp_shot_writer_write(w->dets_part, w->part_dets, chunk, err) != 0) return -1;
            if (qp_shot_writer_write(w->obs_part, w->part_obs, chunk, err) != 0) return -1;
        }
        w->records_written += n;
        return 0;
    }
    if (w->format == QP_FORMAT_PTB64) {
        size_t i = 0;
        if (w->num_pending) {  // top up the waiting group first
            size_t take = 64 - w->num_pending < n ? 64 - w->num_pending : n;
            memcpy(w->pending + w->num_pending * bpr, records, take * bpr);
            w->num_pending += take;
            i = take;
            if (w->num_pending == 64) {
                qp_encode_ptb64(&w->shape, w->pending, 64, &w->encoded);
                w->num_pending = 0;
            }
        }
        size_t whole = (n - i) / 64 * 64;
        qp_encode_ptb64(&w->shape, records + i * bpr, whole, &w->encoded);
        i += whole;
        memcpy(w->pending + w->num_pending * bpr, records + i * bpr, (n - i) * bpr);
        w->num_pending += n - i;
    } else {
        qp_shot_encode(w->format, &w->shape, records, n, &w->encoded, NULL);
    }
    w->records_written += n;
    if (w->encoded.len >= WRITER_FLUSH_BYTES) return flush_encoded(w, err);
    return 0;
}

static void writer_free(qp_shot_writer *w) {
    free(w->part_dets);
    free(w->part_obs);
    qp_byte_buffer_free(&w->encoded);
    free(w->pending);
    free(w->path);
    free(w);
}

void qp_shot_writer_abort(qp_shot_writer *w) {
    if (!w) return;
    if (w->dets_part) {
        qp_shot_writer_abort(w->dets_part);
        qp_shot_writer_abort(w->obs_part);
        writer_free(w);
        return;
    }
    qp_output_abandon(w->output, w->file);
    writer_free(w);
}

int qp_shot_writer_close(qp_shot_writer *w, qp_err *err) {
    if (w->dets_part) {
        // Observables first; if the detectors then fail, take the observables file away again
        // so that neither final name is left behind.
        qp_shot_writer *dets = w->dets_part, *obs = w->obs_part;
        int obs_replaced = qp_output_kind_of(obs->output) == QP_OUTPUT_ATOMIC;
        char *obs_path = qp_strdup(qp_output_final_path(obs->output));
        w->dets_part = w->obs_part = NULL;
        writer_free(w);
        int rc = 0;
        if (qp_shot_writer_close(obs, err) != 0) {
            qp_shot_writer_abort(dets);
            rc = -1;
        } else if (qp_shot_writer_close(dets, err) != 0) {
            if (obs_replaced) unlink(obs_path);
            rc = -1;
        }
        free(obs_path);
        return rc;
    }
    if (w->num_pending) {
        qp_fail(err, "%s: ptb64 needs a multiple of 64 shots, but %llu were written", w->path,
                (unsigned long long)w->records_written);
        qp_shot_writer_abort(w);
        return -1;
    }
    if (flush_encoded(w, err) != 0) {
        qp_shot_writer_abort(w);
        return -1;
    }
    int rc = qp_output_finish(w->output, w->file, err);
    writer_free(w);
    return rc;
}
