// The `train:` section: what the neural decoder trains on (one circuit spec, no lists), the
// optimiser, the model size, evaluation and checkpoints. Defaults are in config.h / docs/config.md.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/sections.h"
#include "workers/util/alloc.h"

static const char *const train_keys[] = {QP_CFG_SPEC_KEYS, "steps",        "batch_size", "learning_rate",
                                         "warmup_steps",   "weight_decay", "grad_clip",  "hidden",
                                         "layers",         "heads",        "eval_every", "eval_shots",
                                         "checkpoint_every", "checkpoint", "init",       "attention_bias",
                                         "attention_bias_radius", "stabilizer_embedding", "conv_dilations",
                                         "ffn", "readout", "archive", "holdout_fraction", "holdout_shots", NULL};

// Training uses one circuit: a list with more than one value is an error.
static int require_single(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *key) {
    if (n && n->kind == QP_YAML_SEQ && n->n != 1)
        return qp_cfg_fail(c, n, key, "train uses one circuit: expected a single value, got a list of %d", n->n);
    return 0;
}

static int opt_u64(const qp_cfg_ctx *c, const qp_yaml_node *sec, const char *name, uint64_t lo, uint64_t hi,
                   uint64_t def, uint64_t *out) {
    char key[64];
    snprintf(key, sizeof key, "train.%s", name);
    *out = def;
    const qp_yaml_node *n = qp_cfg_get(sec, name);
    return n ? qp_cfg_u64(c, n, key, lo, hi, out) : 0;
}

static int opt_int(const qp_cfg_ctx *c, const qp_yaml_node *sec, const char *name, int lo, int hi, int def, int *out) {
    char key[64];
    snprintf(key, sizeof key, "train.%s", name);
    *out = def;
    const qp_yaml_node *n = qp_cfg_get(sec, name);
    int64_t v;
    if (!n) return 0;
    if (qp_cfg_int(c, n, key, lo, hi, &v) != 0) return -1;
    *out = (int)v;
    return 0;
}

static int opt_double(const qp_cfg_ctx *c, const qp_yaml_node *sec, const char *name, double lo, bool lo_open,
                      double hi, bool hi_open, double def, double *out) {
    char key[64];
    snprintf(key, sizeof key, "train.%s", name);
    *out = def;
    const qp_yaml_node *n = qp_cfg_get(sec, name);
    return n ? qp_cfg_double(c, n, key, lo, lo_open, hi, hi_open, out) : 0;
}

// An optional two-way choice: *out = 1 for names[1].
static int opt_choice(const qp_cfg_ctx *c, const qp_yaml_node *sec, const char *name, const char *off,
                      const char *on, bool *out) {
    char key[64];
    snprintf(key, sizeof key, "train.%s", name);
    const char *const names[] = {off, on, NULL};
    const qp_yaml_node *n = qp_cfg_get(sec, name);
    int v = 0;
    if (n && qp_cfg_enum(c, n, key, names, &v) != 0) return -1;
    *out = v == 1;
    return 0;
}

// The opt-in layers (attention_bias, stabilizer_embedding, conv_dilations, ffn, readout).
static int parse_structure(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t) {
    if (opt_choice(c, sec, "attention_bias", "table", "geometric", &t->attention_bias_geometric) != 0 ||
        opt_int(c, sec, "attention_bias_radius", 1, 16, 4, &t->attention_bias_radius) != 0 ||
        opt_choice(c, sec, "stabilizer_embedding", "table", "type", &t->stabilizer_embedding_type) != 0 ||
        opt_choice(c, sec, "ffn", "plain", "gated", &t->ffn_gated) != 0 ||
        opt_choice(c, sec, "readout", "mean", "lines", &t->readout_lines) != 0)
        return -1;
    const qp_yaml_node *n = qp_cfg_get(sec, "conv_dilations");
    t->num_conv_dilations = 0;
    if (!n) return 0;
    if (n->kind == QP_YAML_SEQ && n->n == 0) return 0;  // [] = no convolutions
    int count;
    if (qp_cfg_list(c, n, "train.conv_dilations", &count) != 0) return -1;
    if (count > 4) return qp_cfg_fail(c, n, "train.conv_dilations", "at most 4 dilations, got %d", count);
    for (int i = 0; i < count; i++) {
        int64_t v;
        if (qp_cfg_int(c, qp_cfg_item(n, i), "train.conv_dilations", 1, 8, &v) != 0) return -1;
        t->conv_dilations[i] = (int)v;
    }
    t->num_conv_dilations = count;
    return 0;
}

static int parse_archive(const qp_cfg_ctx *c, const qp_yaml_node *sec, const qp_yaml_node *arch,
                         qp_train_config *t);
static int parse_sampled(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t);
static int parse_rest(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t);

int qp_cfg_parse_train(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t) {
    memset(t, 0, sizeof *t);
    if (qp_cfg_check_map(c, sec, "train", train_keys) != 0) return -1;
    static const char *const single[] = {"distance", "rounds", "basis"};
    for (int k = 0; k < 3; k++) {
        char key[64];
        snprintf(key, sizeof key, "train.%s", single[k]);
        if (require_single(c, qp_cfg_get(sec, single[k]), key) != 0) return -1;
    }
    const qp_yaml_node *arch = qp_cfg_get(sec, "archive");
    if (arch) {
        static const char *const excluded[] = {"code", "circuit", "distance", "rounds", "basis", "noise", NULL};
        for (int k = 0; excluded[k]; k++) {
            const qp_yaml_node *n = qp_cfg_get(sec, excluded[k]);
            if (n)
                return qp_cfg_fail(c, n, "train.archive",
                                   "train.archive trains on the archive's shots and circuit: remove train.%s",
                                   excluded[k]);
        }
        if (parse_archive(c, sec, arch, t) != 0) return -1;
    } else {
        static const char *const need_archive[] = {"holdout_fraction", "holdout_shots", NULL};
        for (int k = 0; need_archive[k]; k++) {
            const qp_yaml_node *n = qp_cfg_get(sec, need_archive[k]);
            char key[64];
            snprintf(key, sizeof key, "train.%s", need_archive[k]);
            if (n) return qp_cfg_fail(c, n, key, "only with train.archive (sampled shots need no split)");
        }
    }
    return arch ? parse_rest(c, sec, t) : parse_sampled(c, sec, t);
}

// The split of an archive: a fraction (default 0.1) or a count of held-out shots.
static int parse_archive(const qp_cfg_ctx *c, const qp_yaml_node *sec, const qp_yaml_node *arch,
                         qp_train_config *t) {
    if (qp_cfg_path(c, arch, "train.archive", true, t->archive, sizeof t->archive) != 0) return -1;
    const qp_yaml_node *f = qp_cfg_get(sec, "holdout_fraction"), *n = qp_cfg_get(sec, "holdout_shots");
    if (f && n)
        return qp_cfg_fail(c, n, "train.holdout_shots", "give train.holdout_fraction or train.holdout_shots, not both");
    t->holdout_fraction = 0.1;
    if (f && qp_cfg_double(c, f, "train.holdout_fraction", 0, true, 1, true, &t->holdout_fraction) != 0) return -1;
    if (n && qp_cfg_u64(c, n, "train.holdout_shots", 1, UINT64_C(1) << 40, &t->holdout_shots) != 0) return -1;
    if (n) t->holdout_fraction = 0;
    t->code = QP_CODE_CIRCUIT;
    t->basis = QP_BASIS_Z;
    t->noise = QP_NOISE_NONE;
    const char *base = strrchr(t->archive, '/');
    base = base && base[1] ? base + 1 : t->archive;
    snprintf(t->data_name, sizeof t->data_name, "archive %.100s", base);
    return 0;
}

static int parse_sampled(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t) {
    const qp_yaml_node *noise = qp_cfg_get(sec, "noise");
    if (noise && noise->kind == QP_YAML_MAP &&
        (require_single(c, qp_cfg_get(noise, "model"), "train.noise.model") != 0 ||
         require_single(c, qp_cfg_get(noise, "p"), "train.noise.p") != 0))
        return -1;

    qp_cfg_spec *spec = qp_calloc(1, sizeof *spec);
    int rc = qp_cfg_parse_spec(c, sec, "train", spec);
    if (rc == 0 && spec->code == QP_CODE_REPETITION)
        rc = qp_cfg_fail(c, qp_cfg_get(sec, "code"), "train.code",
                         "the neural decoder trains on surface codes (code: surface) or a circuit file");
    if (rc == 0) {
        t->code = spec->code;
        if (spec->code == QP_CODE_CIRCUIT) {
            memcpy(t->circuit, spec->circuit, sizeof t->circuit);
            t->basis = QP_BASIS_Z;
            t->noise = QP_NOISE_NONE;
            if (spec->circuit_stem[0]) snprintf(t->data_name, sizeof t->data_name, "%s", spec->circuit_stem);
            else snprintf(t->data_name, sizeof t->data_name, "train_circuit");
        } else {
            t->distance = spec->distance[0];
            t->basis = spec->basis[0];
            t->noise = spec->noise[0];
            t->p = spec->p[0];
            rc = qp_cfg_spec_rounds(c, spec, "train", 0, t->distance, &t->rounds);
            t->leak_p = spec->leak_p;
            t->leak_mean_rounds = spec->leak_mean_rounds;
            if (rc == 0)
                qp_experiment_generated_name(t->code, t->basis, t->distance, t->rounds, t->noise, t->p, t->data_name,
                                             sizeof t->data_name);
            if (rc == 0 && t->leak_p > 0) {  // as an experiment's name (experiments.c)
                size_t len = strlen(t->data_name);
                snprintf(t->data_name + len, sizeof t->data_name - len, "_leak%.6g_m%.6g", t->leak_p,
                         t->leak_mean_rounds);
            }
            t->readout_snr = spec->readout_snr;
            t->readout_t1 = spec->readout_t1;
            if (rc == 0 && t->readout_snr > 0) {
                size_t len = strlen(t->data_name);
                snprintf(t->data_name + len, sizeof t->data_name - len, "_snr%.6g_t%.6g", t->readout_snr,
                         t->readout_t1);
            }
        }
    }
    free(spec);
    if (rc != 0) return -1;
    return parse_rest(c, sec, t);
}

// Everything after what the training shots are: optimiser, model, evaluation, checkpoints.
static int parse_rest(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t) {
    if (opt_u64(c, sec, "steps", 1, UINT64_C(1) << 40, 1000, &t->steps) != 0 ||
        opt_u64(c, sec, "batch_size", 1, 1u << 20, 64, &t->batch_size) != 0 ||
        opt_double(c, sec, "learning_rate", 0, true, 1, false, 1e-3, &t->learning_rate) != 0 ||
        opt_u64(c, sec, "warmup_steps", 0, UINT64_C(1) << 40, 100, &t->warmup_steps) != 0 ||
        opt_double(c, sec, "weight_decay", 0, false, 1, true, 1e-4, &t->weight_decay) != 0 ||
        opt_double(c, sec, "grad_clip", 0, false, 1e6, false, 1.0, &t->grad_clip) != 0 ||
        opt_int(c, sec, "hidden", 1, 4096, 64, &t->hidden) != 0 || opt_int(c, sec, "layers", 1, 64, 2, &t->layers) != 0 ||
        opt_int(c, sec, "heads", 1, 64, 4, &t->heads) != 0 ||
        opt_u64(c, sec, "eval_every", 0, UINT64_C(1) << 40, 100, &t->eval_every) != 0 ||
        opt_u64(c, sec, "eval_shots", 1, UINT64_C(1) << 40, 10000, &t->eval_shots) != 0 ||
        opt_u64(c, sec, "checkpoint_every", 0, UINT64_C(1) << 40, 100, &t->checkpoint_every) != 0)
        return -1;

    const qp_yaml_node *n = qp_cfg_get(sec, "warmup_steps");
    if (n && t->warmup_steps > t->steps)
        return qp_cfg_fail(c, n, "train.warmup_steps", "%llu is more than steps (%llu)",
                           (unsigned long long)t->warmup_steps, (unsigned long long)t->steps);
    if (!qp_cfg_get(sec, "warmup_steps") && t->warmup_steps > t->steps) t->warmup_steps = t->steps;
    if (t->hidden % t->heads != 0) {
        n = qp_cfg_get(sec, "hidden");
        return qp_cfg_fail(c, n ? n : qp_cfg_get(sec, "heads"), "train.hidden",
                           "hidden (%d) must be a multiple of heads (%d)", t->hidden, t->heads);
    }

    if (parse_structure(c, sec, t) != 0) return -1;

    snprintf(t->checkpoint, sizeof t->checkpoint, "model.h5");
    n = qp_cfg_get(sec, "checkpoint");
    if (n && qp_cfg_path(c, n, "train.checkpoint", false, t->checkpoint, sizeof t->checkpoint) != 0) return -1;
    n = qp_cfg_get(sec, "init");
    if (n && qp_cfg_model_path(c, n, "train.init", t->init, sizeof t->init) != 0) return -1;
    t->present = true;
    return 0;
}
