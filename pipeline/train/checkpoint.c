// HDF5 checkpoints of the neural decoder (see checkpoint.h).
#include "pipeline/train/checkpoint.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_dataset.h"
#include "pipeline/store/store_text.h"
#include "workers/util/alloc.h"

#define QP_NN_CHECKPOINT_FORMAT "qecpipe-nn-model"
#define QP_NN_CHECKPOINT_VERSION 1            // the original architecture
#define QP_NN_CHECKPOINT_VERSION_STRUCTURE 2  // with opt-in layers: their attributes follow

// The opt-in layers' attributes (version 2). Version 1 files have none, and a version-1
// reader refuses version 2, so an older qecpipe never runs such a model as another one.
static int write_structure(qp_store *s, const nn_config *mc, qp_err *err) {
    const char *r = "/";
    char dil[64] = "none";
    for (int j = 0, at = 0; j < mc->num_dilations; j++)
        at += snprintf(dil + at, sizeof dil - (size_t)at, "%s%d", j ? "," : "", mc->dilations[j]);
    return qp_store_attr_set_str(s, r, "attention_bias", mc->attn_bias_geometric ? "geometric" : "table", err) ||
           qp_store_attr_set_i64(s, r, "attention_bias_radius", mc->geom_radius, err) ||
           qp_store_attr_set_str(s, r, "stabilizer_embedding", mc->stab_emb_by_type ? "type" : "table", err) ||
           qp_store_attr_set_str(s, r, "conv_dilations", dil, err) ||
           qp_store_attr_set_str(s, r, "ffn", mc->ffn_gated ? "gated" : "plain", err) ||
           qp_store_attr_set_str(s, r, "readout", mc->readout_lines ? "lines" : "mean", err);
}

// One of two names -> 0 / 1.
static int read_choice(qp_store *s, const char *name, const char *off, const char *on, int *out, qp_err *err) {
    char *v = NULL;
    if (qp_store_attr_get_str(s, "/", name, &v, err)) return -1;
    int rc = 0;
    if (strcmp(v, off) == 0) *out = 0;
    else if (strcmp(v, on) == 0) *out = 1;
    else rc = qp_fail(err, "attribute %s = \"%s\": expected %s or %s", name, v, off, on);
    free(v);
    return rc;
}

static int read_structure(qp_store *s, nn_config *mc, qp_err *err) {
    int64_t radius;
    char *dil = NULL;
    if (read_choice(s, "attention_bias", "table", "geometric", &mc->attn_bias_geometric, err) ||
        qp_store_attr_get_i64(s, "/", "attention_bias_radius", &radius, err) ||
        read_choice(s, "stabilizer_embedding", "table", "type", &mc->stab_emb_by_type, err) ||
        read_choice(s, "ffn", "plain", "gated", &mc->ffn_gated, err) ||
        read_choice(s, "readout", "mean", "lines", &mc->readout_lines, err) ||
        qp_store_attr_get_str(s, "/", "conv_dilations", &dil, err))
        return -1;
    if (radius < 0 || radius > 64 || (mc->attn_bias_geometric && radius < 1)) {
        free(dil);
        return qp_fail(err, "attribute attention_bias_radius = %lld out of range", (long long)radius);
    }
    mc->geom_radius = (int)radius;
    int rc = 0;
    mc->num_dilations = 0;
    if (strcmp(dil, "none") != 0)
        for (char *at = dil; rc == 0;) {
            char *end;
            long d = strtol(at, &end, 10);
            if (end == at || d < 1 || d > 64 || mc->num_dilations == NN_MAX_DILATIONS || (*end && *end != ','))
                rc = qp_fail(err, "attribute conv_dilations = \"%s\": expected none or up to %d dilations 1..64 "
                             "separated by commas", dil, NN_MAX_DILATIONS);
            else mc->dilations[mc->num_dilations++] = (int)d;
            if (*end != ',') break;
            at = end + 1;
        }
    free(dil);
    return rc;
}

// Writes a whole (rows, cols) dataset (cols 0: a (rows,) dataset).
static int write_dset(qp_store *s, const char *path, qp_store_type type, uint64_t rows, uint64_t cols, const void *buf,
                      qp_err *err) {
    qp_store_dset *d;
    if (qp_store_dset_create_fixed(s, path, type, rows, cols, &d, err)) return -1;
    int rc = 0;
    if (rows) rc = qp_store_dset_write(d, 0, rows, buf, err);
    qp_store_dset_close(d);
    return rc;
}

// Reads a whole dataset that must have the given type and shape into a new buffer.
static int read_dset(qp_store *s, const char *path, qp_store_type type, uint64_t rows, uint64_t cols, size_t elem,
                     void **out, qp_err *err) {
    *out = NULL;
    if (!qp_store_exists(s, path)) return qp_fail(err, "no dataset %s", path);
    qp_store_dset *d;
    if (qp_store_dset_open(s, path, &d, err)) return -1;
    uint64_t want_cols = cols ? cols : 1;
    if (qp_store_dset_type(d) != type || qp_store_dset_rows(d) != rows || qp_store_dset_cols(d) != want_cols) {
        qp_fail(err, "dataset %s has shape (%llu, %llu), expected (%llu, %llu) of another type", path,
                (unsigned long long)qp_store_dset_rows(d), (unsigned long long)qp_store_dset_cols(d),
                (unsigned long long)rows, (unsigned long long)want_cols);
        qp_store_dset_close(d);
        return -1;
    }
    void *buf = qp_malloc(rows * want_cols * elem + 1);
    int rc = rows ? qp_store_dset_read(d, 0, rows, buf, err) : 0;
    qp_store_dset_close(d);
    if (rc) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

static int write_all(qp_store *s, const qp_nn_checkpoint *ck, qp_err *err) {
    const nn_config *mc = &ck->model;
    const char *r = "/";
    size_t np = ck->num_params;
    if (qp_store_attr_set_str(s, r, "format", QP_NN_CHECKPOINT_FORMAT, err) ||
        qp_store_attr_set_i64(s, r, "version",
                              nn_config_has_structure(mc) ? QP_NN_CHECKPOINT_VERSION_STRUCTURE : QP_NN_CHECKPOINT_VERSION,
                              err) ||
        (nn_config_has_structure(mc) && write_structure(s, mc, err)) ||
        qp_store_attr_set_i64(s, r, "step", ck->step, err) ||
        qp_store_attr_set_i64(s, r, "total_steps", ck->total_steps, err) ||
        qp_store_attr_set_u64(s, r, "batch_size", ck->batch_size, err) ||
        qp_store_attr_set_i64(s, r, "ranks", ck->ranks, err) ||
        qp_store_attr_set_i64(s, r, "complete", ck->step >= ck->total_steps, err) ||
        qp_store_attr_set_i64(s, r, "num_stabs", mc->num_stabs, err) ||
        qp_store_attr_set_i64(s, r, "num_features", mc->num_features, err) ||
        qp_store_attr_set_i64(s, r, "num_obs", mc->num_obs, err) ||
        qp_store_attr_set_i64(s, r, "hidden", mc->hidden, err) ||
        qp_store_attr_set_i64(s, r, "layers", mc->num_layers, err) ||
        qp_store_attr_set_i64(s, r, "heads", mc->num_heads, err) ||
        qp_store_attr_set_i64(s, r, "ffn_hidden", mc->ffn_hidden, err) ||
        qp_store_attr_set_i64(s, r, "readout_hidden", mc->readout_hidden, err) ||
        qp_store_attr_set_f64(s, r, "state_scale", mc->state_scale, err) ||
        qp_store_attr_set_f64(s, r, "aux_weight", mc->aux_weight, err) ||
        qp_store_attr_set_u64(s, r, "num_params", np, err) ||
        qp_store_attr_set_i64(s, r, "num_dets", ck->num_dets, err) ||
        qp_store_attr_set_i64(s, r, "num_rounds", ck->num_rounds, err) ||
        qp_store_attr_set_f64(s, r, "train_loss", ck->train_loss, err) ||
        qp_store_attr_set_f64(s, r, "eval_loss", ck->eval_loss, err) ||
        qp_store_attr_set_f64(s, r, "eval_ler", ck->eval_ler, err) ||
        qp_store_attr_set_f64(s, r, "eval_noflip_ler", ck->eval_noflip_ler, err) ||
        qp_store_attr_set_u64(s, r, "eval_shots", ck->eval_shots, err) ||
        qp_store_attr_set_i64(s, r, "eval_step", ck->eval_step, err))
        return -1;
    if (write_dset(s, "/params", QP_STORE_F32, np, 0, ck->params, err)) return -1;
    if (ck->adam_m && write_dset(s, "/adam_m", QP_STORE_F32, np, 0, ck->adam_m, err)) return -1;
    if (ck->adam_v && write_dset(s, "/adam_v", QP_STORE_F32, np, 0, ck->adam_v, err)) return -1;
    if (write_dset(s, "/rng", QP_STORE_U64, 4, 0, ck->rng, err)) return -1;
    if (write_dset(s, "/recent_losses", QP_STORE_F64, QP_NN_RECENT_LOSSES, 0, ck->recent_losses, err)) return -1;
    if (write_dset(s, "/layout/detector_coords", QP_STORE_F64, ck->num_dets, 3, ck->det_coords, err)) return -1;
    if (ck->det_stab && ck->det_round) {
        uint32_t *u = qp_malloc((size_t)ck->num_dets * sizeof(uint32_t) + 1);
        int rc = 0;
        for (int k = 0; k < 2 && rc == 0; k++) {
            const int *src = k ? ck->det_round : ck->det_stab;
            for (int d = 0; d < ck->num_dets; d++) u[d] = (uint32_t)src[d];
            rc = write_dset(s, k ? "/layout/detector_round" : "/layout/detector_stabilizer", QP_STORE_U32, ck->num_dets,
                            0, u, err);
        }
        free(u);
        if (rc) return -1;
    }
    if (ck->stab_xy && write_dset(s, "/layout/stabilizer_xy", QP_STORE_F64, ck->num_stabs, 2, ck->stab_xy, err))
        return -1;
    if (ck->config_text && qp_store_text_write(s, "/config", "yaml", ck->config_text, err)) return -1;
    if (ck->circuit_text && qp_store_text_write(s, "/circuit", "stim", ck->circuit_text, err)) return -1;
    if (ck->archive_split && qp_store_text_write(s, "/archive_split", "tsv", ck->archive_split, err)) return -1;
    return 0;
}

int qp_nn_checkpoint_commit(qp_output *claim, const qp_nn_checkpoint *ck, qp_err *err) {
    const char *path = qp_output_final_path(claim);
    qp_store *s;
    if (qp_store_create_claimed(claim, MPI_COMM_SELF, 0, &s, NULL, err))
        return qp_fail_prefix(err, "checkpoint %s", path);
    if (write_all(s, ck, err)) {
        qp_store_abort(s);
        return qp_fail_prefix(err, "checkpoint %s", path);
    }
    if (qp_store_close(s, err)) return qp_fail_prefix(err, "checkpoint %s", path);
    return 0;
}

int qp_nn_checkpoint_write(const char *path, const qp_nn_checkpoint *ck, qp_err *err) {
    qp_output *claim;
    if (qp_store_claim(path, MPI_COMM_SELF, &claim, err)) return qp_fail_prefix(err, "checkpoint %s", path);
    int rc = qp_nn_checkpoint_commit(claim, ck, err);
    qp_output_release(claim);
    return rc;
}

static int get_int(qp_store *s, const char *name, int64_t lo, int64_t hi, int64_t *v, qp_err *err) {
    if (qp_store_attr_get_i64(s, "/", name, v, err)) return -1;
    if (*v < lo || *v > hi)
        return qp_fail(err, "attribute %s = %lld out of range [%lld, %lld]", name, (long long)*v, (long long)lo,
                       (long long)hi);
    return 0;
}

static int read_all(qp_store *s, int with_moments, qp_nn_checkpoint *ck, qp_err *err) {
    char *format = NULL;
    if (!qp_store_attr_exists(s, "/", "format") || qp_store_attr_get_str(s, "/", "format", &format, err))
        return qp_fail(err, "not a qecpipe neural-decoder model (no format attribute)");
    int ok = strcmp(format, QP_NN_CHECKPOINT_FORMAT) == 0;
    free(format);
    if (!ok) return qp_fail(err, "not a qecpipe neural-decoder model (format is not %s)", QP_NN_CHECKPOINT_FORMAT);
    int64_t v[12];
    double f[2];
    if (get_int(s, "version", QP_NN_CHECKPOINT_VERSION, QP_NN_CHECKPOINT_VERSION_STRUCTURE, &v[0], err) ||
        get_int(s, "num_stabs", 1, 1 << 24, &v[1], err) || get_int(s, "num_features", 1, 16, &v[2], err) ||
        get_int(s, "num_obs", 1, 1 << 16, &v[3], err) || get_int(s, "hidden", 1, 1 << 16, &v[4], err) ||
        get_int(s, "layers", 1, 1 << 10, &v[5], err) || get_int(s, "heads", 1, 1 << 10, &v[6], err) ||
        get_int(s, "ffn_hidden", 1, 1 << 20, &v[7], err) || get_int(s, "readout_hidden", 1, 1 << 20, &v[8], err) ||
        get_int(s, "num_dets", 1, 1 << 30, &v[9], err) || get_int(s, "num_rounds", 1, 1 << 30, &v[10], err) ||
        get_int(s, "step", 0, INT64_MAX, &ck->step, err) ||
        get_int(s, "total_steps", 0, INT64_MAX, &ck->total_steps, err) ||
        get_int(s, "ranks", 0, INT64_MAX, &ck->ranks, err) ||
        get_int(s, "eval_step", 0, INT64_MAX, &ck->eval_step, err) ||
        qp_store_attr_get_f64(s, "/", "state_scale", &f[0], err) ||
        qp_store_attr_get_f64(s, "/", "aux_weight", &f[1], err) ||
        qp_store_attr_get_u64(s, "/", "batch_size", &ck->batch_size, err) ||
        qp_store_attr_get_f64(s, "/", "train_loss", &ck->train_loss, err) ||
        qp_store_attr_get_f64(s, "/", "eval_loss", &ck->eval_loss, err) ||
        qp_store_attr_get_f64(s, "/", "eval_ler", &ck->eval_ler, err) ||
        qp_store_attr_get_f64(s, "/", "eval_noflip_ler", &ck->eval_noflip_ler, err) ||
        qp_store_attr_get_u64(s, "/", "eval_shots", &ck->eval_shots, err))
        return -1;
    nn_config *mc = &ck->model;
    *mc = (nn_config){.num_stabs = (int)v[1], .num_features = (int)v[2], .num_obs = (int)v[3], .hidden = (int)v[4],
                      .num_layers = (int)v[5], .num_heads = (int)v[6], .ffn_hidden = (int)v[7],
                      .readout_hidden = (int)v[8], .state_scale = (float)f[0], .aux_weight = (float)f[1]};
    if (v[0] >= QP_NN_CHECKPOINT_VERSION_STRUCTURE && read_structure(s, mc, err)) return -1;
    if (mc->hidden % mc->num_heads)
        return qp_fail(err, "hidden %d is not a multiple of heads %d", mc->hidden, mc->num_heads);
    ck->num_stabs = mc->num_stabs;
    ck->num_dets = (int)v[9];
    ck->num_rounds = (int)v[10];
    size_t sizes[NN_NUM_PARAM_TENSORS];
    size_t np = nn_param_sizes(sizes, mc);
    uint64_t stored;
    if (qp_store_attr_get_u64(s, "/", "num_params", &stored, err)) return -1;
    if (stored != np)
        return qp_fail(err, "num_params %llu does not match the model config (%zu)", (unsigned long long)stored, np);
    ck->num_params = np;
    void *p;
    if (read_dset(s, "/params", QP_STORE_F32, np, 0, sizeof(float), &p, err)) return -1;
    ck->params = p;
    if (with_moments) {
        if (read_dset(s, "/adam_m", QP_STORE_F32, np, 0, sizeof(float), &p, err)) return -1;
        ck->adam_m = p;
        if (read_dset(s, "/adam_v", QP_STORE_F32, np, 0, sizeof(float), &p, err)) return -1;
        ck->adam_v = p;
    }
    if (read_dset(s, "/rng", QP_STORE_U64, 4, 0, sizeof(uint64_t), &p, err)) return -1;
    memcpy(ck->rng, p, sizeof ck->rng);
    free(p);
    for (int i = 0; i < QP_NN_RECENT_LOSSES; i++) ck->recent_losses[i] = NAN;
    if (qp_store_exists(s, "/recent_losses")) {  // absent in checkpoints of older versions
        if (read_dset(s, "/recent_losses", QP_STORE_F64, QP_NN_RECENT_LOSSES, 0, sizeof(double), &p, err)) return -1;
        memcpy(ck->recent_losses, p, sizeof ck->recent_losses);
        free(p);
    }
    if (read_dset(s, "/layout/detector_coords", QP_STORE_F64, ck->num_dets, 3, sizeof(double), &p, err)) return -1;
    ck->det_coords = p;
    if (read_dset(s, "/layout/stabilizer_xy", QP_STORE_F64, ck->num_stabs, 2, sizeof(double), &p, err)) return -1;
    ck->stab_xy = p;
    for (int k = 0; k < 2; k++) {
        if (read_dset(s, k ? "/layout/detector_round" : "/layout/detector_stabilizer", QP_STORE_U32, ck->num_dets, 0,
                      sizeof(uint32_t), &p, err))
            return -1;
        int *dst = qp_malloc((size_t)ck->num_dets * sizeof(int));
        for (int d = 0; d < ck->num_dets; d++) dst[d] = (int)((uint32_t *)p)[d];
        free(p);
        if (k)
            ck->det_round = dst;
        else
            ck->det_stab = dst;
    }
    if (qp_store_exists(s, "/config") && qp_store_text_read(s, "/config", &ck->config_text, NULL, NULL, err)) return -1;
    if (qp_store_exists(s, "/circuit") && qp_store_text_read(s, "/circuit", &ck->circuit_text, NULL, NULL, err))
        return -1;
    if (qp_store_exists(s, "/archive_split") &&
        qp_store_text_read(s, "/archive_split", &ck->archive_split, NULL, NULL, err))
        return -1;
    return 0;
}

int qp_nn_checkpoint_read(const char *path, int with_moments, qp_nn_checkpoint *ck, qp_err *err) {
    memset(ck, 0, sizeof *ck);
    qp_store *s;
    if (qp_store_open(path, MPI_COMM_SELF, QP_STORE_READ, &s, err)) return qp_fail_prefix(err, "model %s", path);
    int rc = read_all(s, with_moments, ck, err);
    qp_err close_err;
    qp_store_close(s, &close_err);
    if (rc) {
        qp_nn_checkpoint_free(ck);
        return qp_fail_prefix(err, "model %s", path);
    }
    return 0;
}

void qp_nn_checkpoint_free(qp_nn_checkpoint *ck) {
    free(ck->params);
    free(ck->adam_m);
    free(ck->adam_v);
    free(ck->det_coords);
    free(ck->det_stab);
    free(ck->det_round);
    free(ck->stab_xy);
    free(ck->config_text);
    free(ck->circuit_text);
    free(ck->archive_split);
    memset(ck, 0, sizeof *ck);
}

int qp_nn_config_compare(const nn_config *have, const nn_config *want, qp_err *err) {
    const char *names[] = {"num_stabs", "num_features", "num_obs",    "hidden",
                           "layers",    "heads",        "ffn_hidden", "readout_hidden"};
    int a[] = {have->num_stabs,  have->num_features, have->num_obs,    have->hidden,
               have->num_layers, have->num_heads,    have->ffn_hidden, have->readout_hidden};
    int b[] = {want->num_stabs,  want->num_features, want->num_obs,    want->hidden,
               want->num_layers, want->num_heads,    want->ffn_hidden, want->readout_hidden};
    for (int k = 0; k < 8; k++)
        if (a[k] != b[k]) return qp_fail(err, "%s: checkpoint %d, config %d", names[k], a[k], b[k]);
    if (have->state_scale != want->state_scale) return qp_fail(err, "state_scale differs");
    if (have->aux_weight != want->aux_weight) return qp_fail(err, "aux_weight differs");
    int sa[] = {have->attn_bias_geometric, have->attn_bias_geometric ? have->geom_radius : 0, have->stab_emb_by_type,
                have->ffn_gated, have->readout_lines, have->num_dilations};
    int sb[] = {want->attn_bias_geometric, want->attn_bias_geometric ? want->geom_radius : 0, want->stab_emb_by_type,
                want->ffn_gated, want->readout_lines, want->num_dilations};
    const char *sn[] = {"attention_bias geometric", "attention_bias_radius", "stabilizer_embedding type",
                        "ffn gated", "readout lines", "number of conv_dilations"};
    for (int k = 0; k < 6; k++)
        if (sa[k] != sb[k]) return qp_fail(err, "%s: checkpoint %d, config %d", sn[k], sa[k], sb[k]);
    for (int j = 0; j < have->num_dilations; j++)
        if (have->dilations[j] != want->dilations[j])
            return qp_fail(err, "conv_dilations[%d]: checkpoint %d, config %d", j, have->dilations[j], want->dilations[j]);
    return 0;
}
