// The decoder interface: the table of decoder kinds, and the matching decoders behind it.
#include "workers/decode/decoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/decode/correlated.h"
#include "workers/decode/matching_graph.h"
#include "workers/decode/ml.h"
#include "workers/decode/mwpm.h"
#include "workers/decode/mwpm_soft.h"
#include "workers/decode/union_find.h"
#include "workers/util/alloc.h"

struct qp_decoder {
    qp_decoder_id id;
    void *self;
    const qp_decoder_ops *ops;
    uint64_t num_detectors;
    uint32_t num_observables;
};

// ---- Matching decoders: one shot at a time on a matching graph -------------------------------

typedef int (*decode_one_fn)(void *engine, const uint8_t *dets, uint64_t *obs, double *weight, qp_err *err);

typedef struct {
    qp_matching_graph graph;  // unused by mwpm-corr, whose engine owns its graph
    const qp_matching_graph *g;
    void *engine;
    decode_one_fn decode_one;
    size_t (*last_correction)(void *engine, const uint32_t **edges);
    void (*free_engine)(void *engine);
} matching_decoder;

static int matching_decode_batch(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                                 uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    matching_decoder *m = self;
    size_t want = ((size_t)m->g->num_detectors + 7) / 8;
    if (bytes_per_shot != want)
        return qp_fail(err, "detector records have %zu bytes per shot but the model has %u detectors (%zu bytes per shot)",
                       bytes_per_shot, m->g->num_detectors, want);
    size_t obs_bytes = ((size_t)m->g->num_observables + 7) / 8;
    double *weights_out = extra_out;
    for (size_t s = 0; s < num_shots; s++) {
        uint64_t obs;
        double w;
        if (m->decode_one(m->engine, dets_b8 + s * bytes_per_shot, &obs, &w, err))
            return qp_fail_prefix(err, "shot %zu", s);
        uint8_t *out = obs_pred_b8_out + s * obs_bytes;
        for (size_t b = 0; b < obs_bytes; b++) out[b] = (uint8_t)(obs >> (8 * b));
        if (weights_out) weights_out[s] = w;
    }
    return 0;
}

static void matching_free(void *self) {
    matching_decoder *m = self;
    m->free_engine(m->engine);
    if (m->g == &m->graph) qp_matching_graph_free(&m->graph);
    free(m);
}

static const qp_decoder_ops matching_ops = {matching_decode_batch, matching_free, NULL};

static qp_decoder *wrap_matching(qp_decoder_id id, matching_decoder *m) {
    return qp_decoder_wrap(id, m, &matching_ops, m->g->num_detectors, m->g->num_observables);
}

static int mwpm_one(void *e, const uint8_t *d, uint64_t *obs, double *w, qp_err *err) {
    return qp_mwpm_decode_b8(e, d, obs, w, err);
}
static void mwpm_engine_free(void *e) { qp_mwpm_free(e); }
static size_t mwpm_correction(void *e, const uint32_t **edges) { return qp_mwpm_last_correction(e, edges); }

static qp_decoder *mwpm_from_dem(const qp_dem *dem, qp_err *err) {
    matching_decoder *m = qp_calloc(1, sizeof *m);
    if (qp_matching_graph_from_dem(&m->graph, dem, err)) {
        free(m);
        return NULL;
    }
    m->g = &m->graph;
    m->engine = qp_mwpm_create(&m->graph);
    m->decode_one = mwpm_one;
    m->last_correction = mwpm_correction;
    m->free_engine = mwpm_engine_free;
    return wrap_matching(QP_DEC_MWPM, m);
}

static int uf_one(void *e, const uint8_t *d, uint64_t *obs, double *w, qp_err *err) {
    return qp_uf_decode_b8(e, d, obs, w, err);
}
static void uf_free(void *e) { qp_uf_free(e); }
static size_t uf_correction(void *e, const uint32_t **edges) { return qp_uf_last_correction(e, edges); }

static qp_decoder *uf_from_dem(const qp_dem *dem, qp_err *err) {
    matching_decoder *m = qp_calloc(1, sizeof *m);
    if (qp_matching_graph_from_dem(&m->graph, dem, err)) {
        free(m);
        return NULL;
    }
    m->g = &m->graph;
    m->engine = qp_uf_create(&m->graph);
    m->decode_one = uf_one;
    m->last_correction = uf_correction;
    m->free_engine = uf_free;
    return wrap_matching(QP_DEC_UF, m);
}

static int correlated_one(void *e, const uint8_t *d, uint64_t *obs, double *w, qp_err *err) {
    return qp_correlated_decode_b8(e, d, obs, w, NULL, err);
}
static void correlated_free(void *e) { qp_correlated_free(e); }
static size_t correlated_correction(void *e, const uint32_t **edges) {
    return qp_correlated_last_correction(e, edges);
}

static qp_decoder *correlated_from_dem(const qp_dem *dem, qp_err *err) {
    qp_correlated *corr = qp_correlated_create(dem, err);
    if (!corr) return NULL;
    matching_decoder *m = qp_calloc(1, sizeof *m);
    m->g = qp_correlated_graph(corr);
    m->engine = corr;
    m->decode_one = correlated_one;
    m->last_correction = correlated_correction;
    m->free_engine = correlated_free;
    return wrap_matching(QP_DEC_MWPM_CORR, m);
}

// ---- Exact maximum likelihood: one table lookup per shot ------------------------------------

static int ml_decode_batch(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                           uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    const qp_ml *ml = self;
    size_t want = ((size_t)qp_ml_num_detectors(ml) + 7) / 8;
    if (bytes_per_shot != want)
        return qp_fail(err, "detector records have %zu bytes per shot but the model has %llu detectors (%zu bytes per shot)",
                       bytes_per_shot, (unsigned long long)qp_ml_num_detectors(ml), want);
    size_t obs_bytes = ((size_t)qp_ml_num_observables(ml) + 7) / 8;
    double *margins = extra_out;
    for (size_t s = 0; s < num_shots; s++) {
        uint64_t obs;
        qp_ml_decode_b8(ml, dets_b8 + s * bytes_per_shot, &obs, margins ? &margins[s] : NULL);
        for (size_t b = 0; b < obs_bytes; b++) obs_pred_b8_out[s * obs_bytes + b] = (uint8_t)(obs >> (8 * b));
    }
    return 0;
}

static void ml_free(void *self) { qp_ml_free(self); }

static const qp_decoder_ops ml_ops = {ml_decode_batch, ml_free, NULL};

static qp_decoder *ml_from_dem(const qp_dem *dem, qp_err *err) {
    qp_ml *ml = qp_ml_create(dem, err);
    if (!ml) return NULL;
    return qp_decoder_wrap(QP_DEC_ML, ml, &ml_ops, qp_ml_num_detectors(ml), qp_ml_num_observables(ml));
}

// ---- mwpm-soft: matching with the shot's soft readout ---------------------------------------

static int soft_hard_batch(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                           uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    return qp_fail(err, "decoder mwpm-soft needs the soft readout of every shot (decode --soft-in FILE, or an "
                        "experiment with noise.readout)");
}

static int soft_batch(void *self, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                      const qp_soft_batch *soft, uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    qp_mwpm_soft *ms = self;
    if (!soft) return soft_hard_batch(self, dets_b8, num_shots, bytes_per_shot, obs_pred_b8_out, extra_out, err);
    const qp_matching_graph *g = qp_mwpm_soft_graph(ms);
    size_t want = ((size_t)g->num_detectors + 7) / 8;
    if (bytes_per_shot != want)
        return qp_fail(err, "detector records have %zu bytes per shot but the model has %u detectors (%zu bytes per shot)",
                       bytes_per_shot, g->num_detectors, want);
    if (soft->num_measurements != qp_mwpm_soft_num_measurements(ms))
        return qp_fail(err, "the soft readout has %llu measurements per shot but the circuit has %u",
                       (unsigned long long)soft->num_measurements, qp_mwpm_soft_num_measurements(ms));
    size_t obs_bytes = ((size_t)g->num_observables + 7) / 8;
    double *weights_out = extra_out;
    for (size_t s = 0; s < num_shots; s++) {
        uint64_t obs;
        double w;
        if (qp_mwpm_soft_decode_b8(ms, dets_b8 + s * bytes_per_shot, soft->p1 + s * soft->stride, &obs, &w, err))
            return qp_fail_prefix(err, "shot %zu", s);
        for (size_t b = 0; b < obs_bytes; b++) obs_pred_b8_out[s * obs_bytes + b] = (uint8_t)(obs >> (8 * b));
        if (weights_out) weights_out[s] = w;
    }
    return 0;
}

static void soft_free(void *self) { qp_mwpm_soft_free(self); }

static const qp_decoder_ops soft_ops = {soft_hard_batch, soft_free, soft_batch};

static qp_decoder *soft_from_circuit(const qp_dem *dem, const qp_circuit *c, qp_err *err) {
    qp_mwpm_soft *ms = qp_mwpm_soft_create(dem, c, err);
    if (!ms) return NULL;
    const qp_matching_graph *g = qp_mwpm_soft_graph(ms);
    return qp_decoder_wrap(QP_DEC_MWPM_SOFT, ms, &soft_ops, g->num_detectors, g->num_observables);
}

// ---- The table -------------------------------------------------------------------------------

static const qp_decoder_kind kinds[QP_NUM_DECODERS] = {
    [QP_DEC_MWPM] = {"mwpm", "exact minimum-weight perfect matching", QP_DECODER_WEIGHT, 0, mwpm_from_dem},
    [QP_DEC_MWPM_CORR] = {"mwpm-corr", "correlated matching: a second pass reweighted by the first pass's edges",
                          QP_DECODER_WEIGHT, 0, correlated_from_dem},
    [QP_DEC_UF] = {"uf", "union-find", QP_DECODER_WEIGHT, 0, uf_from_dem},
    [QP_DEC_NN] = {"nn", "the neural decoder (a model from qecpipe train, with the circuit)", QP_DECODER_CONFIDENCE,
                   1, NULL},
    [QP_DEC_ML] = {"ml", "exact maximum likelihood (DEMs of at most 25 detectors + observables, e.g. d=3 with 3 rounds)",
                   QP_DECODER_WEIGHT, 0, ml_from_dem},
    [QP_DEC_MWPM_SOFT] = {"mwpm-soft",
                          "mwpm with measurement-error edges reweighted per shot by soft readout (needs the circuit and "
                          "the shots' p1 values)",
                          QP_DECODER_WEIGHT, 0, NULL, 1, soft_from_circuit},
};

const qp_decoder_kind *qp_decoder_kind_of(qp_decoder_id id) { return &kinds[id]; }

uint32_t qp_decoder_model_kinds(void) {
    uint32_t mask = 0;
    for (int k = 0; k < QP_NUM_DECODERS; k++)
        if (kinds[k].needs_model) mask |= 1u << k;
    return mask;
}

uint32_t qp_decoder_soft_kinds(void) {
    uint32_t mask = 0;
    for (int k = 0; k < QP_NUM_DECODERS; k++)
        if (kinds[k].needs_soft) mask |= 1u << k;
    return mask;
}

const char *qp_decoder_name(qp_decoder_id id) { return id >= 0 && id < QP_NUM_DECODERS ? kinds[id].name : "?"; }

int qp_decoder_from_name(const char *name) {
    for (int k = 0; k < QP_NUM_DECODERS; k++)
        if (strcmp(name, kinds[k].name) == 0) return k;
    return -1;
}

void qp_decoder_list_names(char *buf, size_t cap) {
    size_t len = 0;
    if (cap) buf[0] = 0;
    for (int k = 0; k < QP_NUM_DECODERS && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? ", " : "", kinds[k].name);
}

// ---- The object ------------------------------------------------------------------------------

qp_decoder *qp_decoder_wrap(qp_decoder_id id, void *self, const qp_decoder_ops *ops, uint64_t num_detectors,
                            uint32_t num_observables) {
    qp_decoder *dec = qp_calloc(1, sizeof *dec);
    *dec = (qp_decoder){id, self, ops, num_detectors, num_observables};
    return dec;
}

void *qp_decoder_self(const qp_decoder *dec, const qp_decoder_ops *ops) {
    return dec->ops == ops ? dec->self : NULL;
}

const qp_matching_graph *qp_decoder_graph(const qp_decoder *dec) {
    const matching_decoder *m = qp_decoder_self(dec, &matching_ops);
    return m ? m->g : NULL;
}

size_t qp_decoder_last_correction(qp_decoder *dec, const uint32_t **edges) {
    matching_decoder *m = qp_decoder_self(dec, &matching_ops);
    return m ? m->last_correction(m->engine, edges) : 0;
}

qp_decoder *qp_decoder_create_from_circuit(const char *kind, const qp_dem *dem, const qp_circuit *c, qp_err *err) {
    int id = qp_decoder_from_name(kind);
    if (id < 0 || kinds[id].needs_model || (!kinds[id].from_dem && !c)) {
        char names[256];
        qp_decoder_list_names(names, sizeof names);
        if (id < 0) qp_fail(err, "unknown decoder '%s' (available: %s)", kind, names);
        else if (kinds[id].needs_model)
            qp_fail(err, "decoder '%s' is built from a trained model, not from a detector error model", kind);
        else qp_fail(err, "decoder '%s' needs the circuit, not only its detector error model", kind);
        return NULL;
    }
    return kinds[id].from_dem ? kinds[id].from_dem(dem, err) : kinds[id].from_circuit(dem, c, err);
}

qp_decoder *qp_decoder_create(const char *kind, const qp_dem *dem, qp_err *err) {
    return qp_decoder_create_from_circuit(kind, dem, NULL, err);
}

void qp_decoder_free(qp_decoder *dec) {
    if (!dec) return;
    dec->ops->free(dec->self);
    free(dec);
}

qp_decoder_id qp_decoder_id_of(const qp_decoder *dec) { return dec->id; }
const char *qp_decoder_kind_name(const qp_decoder *dec) { return kinds[dec->id].name; }
uint64_t qp_decoder_num_detectors(const qp_decoder *dec) { return dec->num_detectors; }
uint32_t qp_decoder_num_observables(const qp_decoder *dec) { return dec->num_observables; }

int qp_decoder_decode_batch(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                            uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    return dec->ops->decode_batch(dec->self, dets_b8, num_shots, bytes_per_shot, obs_pred_b8_out, extra_out, err);
}

int qp_decoder_decode_batch_soft(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots, size_t bytes_per_shot,
                                 const qp_soft_batch *soft, uint8_t *obs_pred_b8_out, void *extra_out, qp_err *err) {
    if (!dec->ops->decode_batch_soft)
        return dec->ops->decode_batch(dec->self, dets_b8, num_shots, bytes_per_shot, obs_pred_b8_out, extra_out, err);
    return dec->ops->decode_batch_soft(dec->self, dets_b8, num_shots, bytes_per_shot, soft, obs_pred_b8_out, extra_out,
                                       err);
}
