// The decoder interface: dispatch on the decoder kind ("mwpm", "mwpm-corr", "uf").
#include "workers/decode/decoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/decode/correlated.h"
#include "workers/decode/matching_graph.h"
#include "workers/decode/sparse_blossom.h"
#include "workers/decode/union_find.h"
#include "workers/util/alloc.h"

struct qp_decoder {
    char kind[16];
    qp_matching_graph graph;
    qp_sparse_blossom *sb;  // "mwpm": sparse blossom (exact, fast)
    qp_uf *uf;            // "uf"
    qp_correlated *corr;  // "mwpm-corr": owns its own graph; graph above unused
};

static const qp_matching_graph *decoder_graph(const qp_decoder *dec) {
    return dec->corr ? qp_correlated_graph(dec->corr) : &dec->graph;
}

qp_decoder *qp_decoder_create(const char *kind, const qp_dem *dem, qp_err *err) {
    if (strcmp(kind, "mwpm-corr") == 0) {
        qp_correlated *corr = qp_correlated_create(dem, err);
        if (!corr) return NULL;
        qp_decoder *dec = qp_calloc(1, sizeof *dec);
        snprintf(dec->kind, sizeof dec->kind, "%s", kind);
        dec->corr = corr;
        return dec;
    }
    if (strcmp(kind, "mwpm") != 0 && strcmp(kind, "uf") != 0) {
        qp_fail(err, "unknown decoder '%s' (available: mwpm, mwpm-corr, uf)", kind);
        return NULL;
    }
    qp_decoder *dec = qp_calloc(1, sizeof *dec);
    snprintf(dec->kind, sizeof dec->kind, "%s", kind);
    if (qp_matching_graph_from_dem(&dec->graph, dem, err)) {
        free(dec);
        return NULL;
    }
    if (strcmp(kind, "uf") == 0)
        dec->uf = qp_uf_create(&dec->graph);
    else
        dec->sb = qp_sparse_blossom_create(&dec->graph);
    return dec;
}

void qp_decoder_free(qp_decoder *dec) {
    if (!dec) return;
    qp_correlated_free(dec->corr);
    qp_sparse_blossom_free(dec->sb);
    qp_uf_free(dec->uf);
    if (!dec->corr) qp_matching_graph_free(&dec->graph);
    free(dec);
}

const char *qp_decoder_kind(const qp_decoder *dec) { return dec->kind; }
uint64_t qp_decoder_num_detectors(const qp_decoder *dec) { return decoder_graph(dec)->num_detectors; }
uint32_t qp_decoder_num_observables(const qp_decoder *dec) { return decoder_graph(dec)->num_observables; }

int qp_decoder_decode_batch(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots,
                            size_t bytes_per_shot, uint8_t *obs_pred_b8_out, double *weights_out,
                            qp_err *err) {
    const qp_matching_graph *g = decoder_graph(dec);
    size_t want = ((size_t)g->num_detectors + 7) / 8;
    if (bytes_per_shot != want)
        return qp_fail(err, "detector records have %zu bytes per shot but the model has %u detectors (%zu bytes per shot)",
                       bytes_per_shot, g->num_detectors, want);
    size_t obs_bytes = ((size_t)g->num_observables + 7) / 8;
    for (size_t s = 0; s < num_shots; s++) {
        uint64_t obs;
        double w;
        const uint8_t *rec = dets_b8 + s * bytes_per_shot;
        int rc = dec->corr ? qp_correlated_decode_b8(dec->corr, rec, &obs, &w, NULL, err)
                 : dec->uf ? qp_uf_decode_b8(dec->uf, rec, &obs, &w, err)
                           : qp_sparse_blossom_decode_b8(dec->sb, rec, &obs, &w, err);
        if (rc) return qp_fail_prefix(err, "shot %zu", s);
        uint8_t *out = obs_pred_b8_out + s * obs_bytes;
        for (size_t b = 0; b < obs_bytes; b++) out[b] = (uint8_t)(obs >> (8 * b));
        if (weights_out) weights_out[s] = w;
    }
    return 0;
}
