// The `experiments:` list: each entry is checked, then expanded into a flat array of
// qp_experiment (cartesian product basis x distance x rounds x noise model x p, in that nesting
// order, outermost first; entries in file order), each with a stable unique name.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/sections.h"
#include "workers/util/alloc.h"
#include "workers/util/rng.h"

static const char *const entry_keys[] = {QP_CFG_SPEC_KEYS, "name",       "decoders", "max_shots",
                                         "max_errors",     "model",      "window",   "commit", NULL};

// FNV-1a over the name, finished with SplitMix64: the experiment's random stream id.
static uint64_t name_stream(const char *name) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) h = (h ^ *s) * 0x100000001b3ULL;
    return qp_mix64(h);
}

// What one entry contributes besides its circuit spec.
typedef struct {
    char name[QP_CONFIG_NAME_MAX];  // circuit experiments: the experiment name
    uint32_t decoders;
    uint64_t max_shots, max_errors;
    uint64_t window, commit;
    char model[QP_CONFIG_PATH_MAX];
} entry_extras;

static int parse_extras(const qp_cfg_ctx *c, const qp_yaml_node *entry, const char *where, const qp_cfg_spec *spec,
                        const qp_config *cfg, entry_extras *x) {
    memset(x, 0, sizeof *x);  // whole buffers zeroed: experiments are compared and sent as bytes
    char key[300];
    const qp_yaml_node *n = qp_cfg_get(entry, "name");
    if (n && spec->code != QP_CODE_CIRCUIT)
        return qp_cfg_fail(c, n, where,
                           "'name' is only for circuit experiments (generated ones are named "
                           "surface_<basis>_d<d>_r<rounds>_<noise>_p<p>)");
    if (spec->code == QP_CODE_CIRCUIT) {
        snprintf(key, sizeof key, "%s.name", where);
        if (n) {
            if (qp_cfg_name(c, n, key, x->name, sizeof x->name) != 0) return -1;
        } else if (spec->circuit_stem[0]) {
            snprintf(x->name, sizeof x->name, "%s", spec->circuit_stem);
        } else {
            return qp_cfg_fail(c, spec->circuit_node, where,
                               "the circuit's file name is not a usable experiment name ([A-Za-z0-9_.-], at most %d "
                               "bytes); add a 'name' key",
                               QP_CONFIG_NAME_MAX - 1);
        }
    }

    snprintf(key, sizeof key, "%s.decoders", where);
    n = qp_cfg_get(entry, "decoders");
    if (n) {
        if (qp_cfg_decoders(c, n, key, &x->decoders) != 0) return -1;
    } else {
        x->decoders = QP_DECODER_BIT(QP_DEC_MWPM);
    }
    // mwpm-soft decodes with each shot's soft readout, which only a readout model produces.
    if ((x->decoders & qp_decoder_soft_kinds()) && !(spec->readout_snr > 0))
        return qp_cfg_fail(c, n, key,
                           "decoder mwpm-soft needs the shots' soft readout, and this experiment's noise has no "
                           "readout model (noise.readout)");

    snprintf(key, sizeof key, "%s.max_shots", where);
    if (qp_cfg_require(c, entry, where, "max_shots", &n) != 0) return -1;
    if (qp_cfg_u64(c, n, key, 1, UINT64_MAX, &x->max_shots) != 0) return -1;
    x->max_errors = UINT64_MAX;
    n = qp_cfg_get(entry, "max_errors");
    snprintf(key, sizeof key, "%s.max_errors", where);
    if (n && qp_cfg_u64(c, n, key, 1, UINT64_MAX, &x->max_errors) != 0) return -1;

    n = qp_cfg_get(entry, "window");
    snprintf(key, sizeof key, "%s.window", where);
    if (n && qp_cfg_u64(c, n, key, 1, UINT64_MAX, &x->window) != 0) return -1;
    const qp_yaml_node *cn = qp_cfg_get(entry, "commit");
    snprintf(key, sizeof key, "%s.commit", where);
    if (cn && !n) return qp_cfg_fail(c, cn, key, "'commit' needs 'window' (rounds per decoding window)");
    if (cn && qp_cfg_u64(c, cn, key, 1, x->window, &x->commit) != 0) return -1;

    n = qp_cfg_get(entry, "model");
    snprintf(key, sizeof key, "%s.model", where);
    x->model[0] = 0;
    if (x->decoders & qp_decoder_model_kinds()) {
        if (n) {
            if (qp_cfg_model_path(c, n, key, x->model, sizeof x->model) != 0) return -1;
        } else if (cfg->train.present) {
            snprintf(x->model, sizeof x->model, "%s", cfg->train.checkpoint);
        }  // else empty: the shipped model covering the experiment's circuit (models/)
    } else if (n) {
        return qp_cfg_fail(c, n, key, "'model' is only used by the nn decoder; add nn to decoders or remove it");
    }
    return 0;
}

static int compare_names(const void *a, const void *b) {
    const qp_experiment *x = *(const qp_experiment *const *)a, *y = *(const qp_experiment *const *)b;
    return strcmp(x->name, y->name);
}

// Every name must be unique: it keys the HDF5 group and the random stream.
static int check_unique_names(const qp_cfg_ctx *c, const qp_config *cfg) {
    int n = cfg->num_experiments;
    if (n < 2) return 0;
    const qp_experiment **sorted = qp_malloc((size_t)n * sizeof *sorted);
    for (int i = 0; i < n; i++) sorted[i] = &cfg->experiments[i];
    qsort(sorted, (size_t)n, sizeof *sorted, compare_names);
    int rc = 0;
    for (int i = 1; i < n && rc == 0; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) != 0) continue;
        const qp_experiment *a = sorted[i - 1], *b = sorted[i];
        if (a->entry > b->entry) {
            const qp_experiment *t = a;
            a = b;
            b = t;
        }
        rc = qp_fail(c->err, "%s:%d: experiments[%d]: experiment '%s' is also produced by experiments[%d] (line %d); "
                     "each experiment must appear once",
                     c->file, b->line, b->entry, b->name, a->entry, a->line);
    }
    free(sorted);
    return rc;
}

int qp_cfg_parse_experiments(const qp_cfg_ctx *c, const qp_yaml_node *list, qp_config *cfg) {
    if (list->kind != QP_YAML_SEQ || list->n == 0) {
        char got[96];
        qp_yaml_describe(list, got, sizeof got);
        return qp_cfg_fail(c, list, "experiments", "expected a non-empty list of experiments, got %s",
                           list->kind == QP_YAML_SEQ ? "an empty list" : got);
    }
    qp_cfg_spec *spec = qp_malloc(sizeof *spec);
    int cap = 0, rc = 0;
    for (int e = 0; e < list->n && rc == 0; e++) {
        const qp_yaml_node *entry = list->child[e];
        char where[64];
        snprintf(where, sizeof where, "experiments[%d]", e);
        entry_extras x;
        if (qp_cfg_check_map(c, entry, where, entry_keys) != 0 || qp_cfg_parse_spec(c, entry, where, spec) != 0 ||
            parse_extras(c, entry, where, spec, cfg, &x) != 0) {
            rc = -1;
            break;
        }
        long long count = 1;
        if (spec->code != QP_CODE_CIRCUIT)
            count = (long long)spec->num_basis * spec->num_distance * spec->num_rounds * spec->num_noise * spec->num_p;
        if (cfg->num_experiments + count > QP_CONFIG_MAX_EXPERIMENTS) {
            rc = qp_cfg_fail(c, entry, where, "the experiments expand to more than %d experiments",
                             QP_CONFIG_MAX_EXPERIMENTS);
            break;
        }
        qp_grow(cfg->experiments, cap, cfg->num_experiments + count);
        qp_experiment base;
        memset(&base, 0, sizeof base);
        base.code = spec->code;
        base.decoders = x.decoders;
        base.max_shots = x.max_shots;
        base.max_errors = x.max_errors;
        base.window = x.window;
        base.commit = x.commit;
        memcpy(base.model, x.model, sizeof base.model);
        base.entry = e;
        base.line = entry->line;
        if (spec->code == QP_CODE_CIRCUIT) {
            base.basis = QP_BASIS_Z;
            base.noise = QP_NOISE_NONE;
            memcpy(base.circuit, spec->circuit, sizeof base.circuit);
            memcpy(base.name, x.name, sizeof base.name);
            base.stream = name_stream(base.name);
            memcpy(&cfg->experiments[cfg->num_experiments++], &base, sizeof base);
            continue;
        }
        for (int ib = 0; ib < spec->num_basis && rc == 0; ib++)
            for (int id = 0; id < spec->num_distance && rc == 0; id++)
                for (int ir = 0; ir < spec->num_rounds && rc == 0; ir++) {
                    int rounds;
                    if (qp_cfg_spec_rounds(c, spec, where, ir, spec->distance[id], &rounds) != 0) {
                        rc = -1;
                        break;
                    }
                    for (int im = 0; im < spec->num_noise; im++)
                        for (int ip = 0; ip < spec->num_p; ip++) {
                            qp_experiment *ex = &cfg->experiments[cfg->num_experiments++];
                            memcpy(ex, &base, sizeof base);  // padding included
                            ex->basis = spec->basis[ib];
                            ex->distance = spec->distance[id];
                            ex->rounds = rounds;
                            ex->noise = spec->noise[im];
                            ex->p = spec->p[ip];
                            qp_experiment_generated_name(ex->code, ex->basis, ex->distance, ex->rounds, ex->noise, ex->p,
                                                         ex->name, sizeof ex->name);
                            ex->leak_p = spec->leak_p;
                            ex->leak_mean_rounds = spec->leak_mean_rounds;
                            if (ex->leak_p > 0) {  // its own shots and HDF5 group beside the same code without
                                size_t len = strlen(ex->name);
                                snprintf(ex->name + len, sizeof ex->name - len, "_leak%.6g_m%.6g", ex->leak_p,
                                         ex->leak_mean_rounds);
                            }
                            if (spec->readout_snr > 0) {  // soft readout: "..._snr8_t40"
                                ex->readout_snr = spec->readout_snr;
                                ex->readout_t1 = spec->readout_t1;
                                size_t len = strlen(ex->name);
                                snprintf(ex->name + len, sizeof ex->name - len, "_snr%.6g_t%.6g", ex->readout_snr,
                                         ex->readout_t1);
                            }
                            ex->stream = name_stream(ex->name);
                        }
                }
    }
    free(spec);
    if (rc == 0) rc = check_unique_names(c, cfg);
    return rc;
}
