// The `train:` section: what the neural decoder trains on (one circuit spec, no lists; or a
// curriculum of stages that vary its noise, basis and batch), the
// optimiser, the model size, evaluation and checkpoints. Defaults are in config.h / docs/config.md.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/sections.h"
#include "workers/util/alloc.h"

static const char *const train_keys[] = {QP_CFG_SPEC_KEYS, "steps",        "batch_size", "learning_rate",
                                         "warmup_steps",   "weight_decay", "grad_clip",  "aux_weight", "hidden",
                                         "layers",         "heads",        "eval_every", "eval_shots",
                                         "checkpoint_every", "checkpoint", "init",       "attention_bias",
                                         "attention_bias_radius", "stabilizer_embedding", "conv_dilations",
                                         "ffn", "readout", "archive", "holdout_fraction", "holdout_shots",
                                         "curriculum", NULL};

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
static int parse_curriculum(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t);
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
    t->data.basis = QP_BASIS_Z;
    t->data.noise = QP_NOISE_NONE;
    const char *base = strrchr(t->archive, '/');
    base = base && base[1] ? base + 1 : t->archive;
    snprintf(t->data.name, sizeof t->data.name, "archive %.100s", base);
    return 0;
}

// d->name for generated training data: an experiment's name, with its leakage and readout
// suffixes (experiments.c).
static void name_generated_data(const qp_train_config *t, qp_train_data *d) {
    char *out = d->name;
    size_t cap = sizeof d->name;
    qp_experiment_generated_name(t->code, d->basis, t->distance, t->rounds, d->noise, d->p, out, cap);
    size_t len = strlen(out);
    if (d->leak_p > 0)
        len += (size_t)snprintf(out + len, cap - len, "_leak%.6g_m%.6g", d->leak_p, d->leak_mean_rounds);
    if (d->readout_snr > 0 && len < cap)
        snprintf(out + len, cap - len, "_snr%.6g_t%.6g", d->readout_snr, d->readout_t1);
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
            t->data.basis = QP_BASIS_Z;
            t->data.noise = QP_NOISE_NONE;
            snprintf(t->data.name, sizeof t->data.name, "%s",
                     spec->circuit_stem[0] ? spec->circuit_stem : "train_circuit");
        } else {
            t->distance = spec->distance[0];
            t->data = (qp_train_data){.basis = spec->basis[0], .noise = spec->noise[0], .p = spec->p[0],
                                      .leak_p = spec->leak_p, .leak_mean_rounds = spec->leak_mean_rounds,
                                      .readout_snr = spec->readout_snr, .readout_t1 = spec->readout_t1};
            rc = qp_cfg_spec_rounds(c, spec, "train", 0, t->distance, &t->rounds);
            if (rc == 0) name_generated_data(t, &t->data);
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
        opt_double(c, sec, "aux_weight", 0, false, 100, false, 0.5, &t->aux_weight) != 0 ||
        opt_int(c, sec, "hidden", 1, 4096, 64, &t->hidden) != 0 || opt_int(c, sec, "layers", 1, 64, 2, &t->layers) != 0 ||
        opt_int(c, sec, "heads", 1, 64, 4, &t->heads) != 0 ||
        opt_u64(c, sec, "eval_every", 0, UINT64_C(1) << 40, 100, &t->eval_every) != 0 ||
        opt_u64(c, sec, "eval_shots", 1, UINT64_C(1) << 40, 10000, &t->eval_shots) != 0 ||
        opt_u64(c, sec, "checkpoint_every", 0, UINT64_C(1) << 40, 100, &t->checkpoint_every) != 0)
        return -1;

    const qp_yaml_node *n;
    if (t->hidden % t->heads != 0) {
        n = qp_cfg_get(sec, "hidden");
        return qp_cfg_fail(c, n ? n : qp_cfg_get(sec, "heads"), "train.hidden",
                           "hidden (%d) must be a multiple of heads (%d)", t->hidden, t->heads);
    }
    if (parse_structure(c, sec, t) != 0) return -1;
    if (parse_curriculum(c, sec, t) != 0) return -1;  // may set steps: before the warmup's check

    n = qp_cfg_get(sec, "warmup_steps");
    if (n && t->warmup_steps > t->steps)
        return qp_cfg_fail(c, n, "train.warmup_steps", "%llu is more than steps (%llu)",
                           (unsigned long long)t->warmup_steps, (unsigned long long)t->steps);
    if (!qp_cfg_get(sec, "warmup_steps") && t->warmup_steps > t->steps) t->warmup_steps = t->steps;

    snprintf(t->checkpoint, sizeof t->checkpoint, "model.h5");
    n = qp_cfg_get(sec, "checkpoint");
    if (n && qp_cfg_path(c, n, "train.checkpoint", false, t->checkpoint, sizeof t->checkpoint) != 0) return -1;
    n = qp_cfg_get(sec, "init");
    if (n && qp_cfg_model_path(c, n, "train.init", t->init, sizeof t->init) != 0) return -1;
    t->present = true;
    return 0;
}

// Stage i of train.curriculum, node e, into t->stages[i]: the keys it gives, the section's
// otherwise. spec is scratch for its noise.
static int parse_stage(const qp_cfg_ctx *c, const qp_yaml_node *e, int i, qp_train_config *t, qp_cfg_spec *spec) {
    static const char *const keys[] = {"steps", "noise", "basis", "batch_size", NULL};
    static const char *const basis_names[] = {"x", "z", NULL};  // qp_basis order
    qp_train_stage *s = &t->stages[i];
    *s = (qp_train_stage){.steps = t->steps, .batch_size = t->batch_size, .data = t->data};
    qp_train_data *d = &s->data;
    char where[64], key[112];
    snprintf(where, sizeof where, "train.curriculum[%d]", i);
    const qp_yaml_node *n;
    if (qp_cfg_check_map(c, e, where, keys) != 0 || qp_cfg_require(c, e, where, "steps", &n) != 0) return -1;
    snprintf(key, sizeof key, "%s.steps", where);
    if (qp_cfg_u64(c, n, key, 1, UINT64_C(1) << 40, &s->steps) != 0) return -1;
    if ((n = qp_cfg_get(e, "basis"))) {
        int v;
        snprintf(key, sizeof key, "%s.basis", where);
        if (qp_cfg_enum(c, n, key, basis_names, &v) != 0) return -1;
        d->basis = (qp_basis)v;
    }
    n = qp_cfg_get(e, "batch_size");
    snprintf(key, sizeof key, "%s.batch_size", where);
    if (n && qp_cfg_u64(c, n, key, 1, 1u << 20, &s->batch_size) != 0) return -1;
    s->line = (n ? n : e)->line, s->col = (n ? n : e)->col;  // for the ranks' check (train_job.c)
    if ((n = qp_cfg_get(e, "noise"))) {
        memset(spec, 0, sizeof *spec);
        if (n->kind == QP_YAML_MAP) {
            snprintf(key, sizeof key, "%s.noise.model", where);
            if (require_single(c, qp_cfg_get(n, "model"), key) != 0) return -1;
            snprintf(key, sizeof key, "%s.noise.p", where);
            if (require_single(c, qp_cfg_get(n, "p"), key) != 0) return -1;
        }
        if (qp_cfg_parse_noise(c, n, where, spec) != 0) return -1;
        snprintf(key, sizeof key, "%s.noise", where);
        if ((spec->readout_snr > 0) != (t->data.readout_snr > 0))
            return qp_cfg_fail(c, n, key,
                               "noise.readout in %s but not in %s: the model's inputs (soft or hard) are fixed for "
                               "the whole run",
                               t->data.readout_snr > 0 ? "the train section" : "this stage",
                               t->data.readout_snr > 0 ? "this stage" : "the train section");
        d->noise = spec->noise[0], d->p = spec->p[0];
        d->leak_p = spec->leak_p, d->leak_mean_rounds = spec->leak_mean_rounds;
        d->readout_snr = spec->readout_snr, d->readout_t1 = spec->readout_t1;
    }
    name_generated_data(t, d);
    if (d->basis != t->stages[0].data.basis && !(t->attention_bias_geometric && t->stabilizer_embedding_type)) {
        n = qp_cfg_get(e, "basis");
        return qp_cfg_fail(c, n ? n : e, where,
                           "the curriculum changes the basis (%s -> %s), which needs a layout-portable model "
                           "(attention_bias: geometric and stabilizer_embedding: type)",
                           basis_names[t->stages[0].data.basis], basis_names[d->basis]);
    }
    return 0;
}

// train.curriculum: stages {steps, noise, basis, batch_size}, run one after the other; a stage
// omits a key to keep the section's own. Their steps add up to train.steps (left out: taken as
// their sum). A basis change needs a model whose parameters do not belong to stabilizers
// (geometric attention bias, per-type embedding); soft readout is on in every stage or in none
// (the model's inputs stay the same).
static int parse_curriculum(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_train_config *t) {
    const qp_yaml_node *list = qp_cfg_get(sec, "curriculum");
    if (!list) return 0;
    if (t->archive[0])
        return qp_cfg_fail(c, list, "train.curriculum",
                           "not with train.archive (a curriculum samples its shots; an archive's are given)");
    if (t->code != QP_CODE_SURFACE)
        return qp_cfg_fail(c, list, "train.curriculum",
                           "needs a generated training circuit (code: surface), not a file");
    if (list->kind != QP_YAML_SEQ || list->n == 0 || list->n > QP_TRAIN_MAX_STAGES)
        return qp_cfg_fail(c, list, "train.curriculum",
                           "expected a list of 1..%d stages {steps, noise, basis, batch_size}", QP_TRAIN_MAX_STAGES);
    qp_cfg_spec *spec = qp_malloc(sizeof *spec);
    uint64_t sum = 0;
    int rc = 0;
    for (int i = 0; i < list->n && rc == 0; i++) {
        rc = parse_stage(c, list->child[i], i, t, spec);
        sum += t->stages[i].steps;
    }
    free(spec);
    if (rc != 0) return -1;
    t->num_stages = list->n;
    const qp_yaml_node *n = qp_cfg_get(sec, "steps");
    if (n && t->steps != sum)
        return qp_cfg_fail(c, n, "train.steps",
                           "%llu, but the curriculum's stages add up to %llu steps (leave train.steps out to take "
                           "their sum)",
                           (unsigned long long)t->steps, (unsigned long long)sum);
    t->steps = sum;
    return 0;
}
