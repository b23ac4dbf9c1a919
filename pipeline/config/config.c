// Loading a job config: the top level (job, experiments, train, redecode), the job and redecode
// sections, the names of enum values and experiment naming. The schema is in docs/config.md.
#include "pipeline/config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/sections.h"
#include "workers/util/alloc.h"

static const char *const top_keys[] = {"job", "experiments", "train", "redecode", NULL};
static const char *const job_keys[] = {"name",           "seed",   "output",  "store", "store_samples",
                                       "shots_per_task", "stages", "deflate", NULL};
static const char *const redecode_keys[] = {"archive", "decoders", "dem_name", "dem_by_parity", "model", NULL};
static const char *const stage_names[] = {"train", "simulate", "decode", "redecode", "report", NULL};

const char *const qp_keep_names[] = {"predictions", "weights", "confidence", "samples", "soft", NULL};

int qp_keep_parse(const char *list, uint32_t *bits, qp_err *err) {
    *bits = 0;
    for (const char *at = list; *at;) {
        size_t len = strcspn(at, ",");
        int k = 0;
        while (qp_keep_names[k] && !(strlen(qp_keep_names[k]) == len && strncmp(at, qp_keep_names[k], len) == 0)) k++;
        if (!qp_keep_names[k])
            return qp_fail(err, "unknown per-shot dataset '%.*s' (valid: predictions, weights, confidence, samples, soft)",
                           (int)len, at);
        *bits |= 1u << k;
        at += len + (at[len] == ',');
    }
    return 0;
}

// job.store (a name or a list of names; [] keeps only the statistics), or the older
// job.store_samples (true adds samples to the default); not both.
static int parse_store(const qp_cfg_ctx *c, const qp_yaml_node *sec, uint32_t *store) {
    const qp_yaml_node *n = qp_cfg_get(sec, "store"), *old = qp_cfg_get(sec, "store_samples");
    *store = QP_KEEP_DEFAULT;
    if (n && old)
        return qp_cfg_fail(c, old, "job.store_samples",
                           "give either store or store_samples (store: [predictions, samples] is store_samples: true)");
    if (old) {
        bool samples;
        if (qp_cfg_bool(c, old, "job.store_samples", &samples) != 0) return -1;
        if (samples) *store |= QP_KEEP_SAMPLES;
        return 0;
    }
    if (!n) return 0;
    *store = 0;
    if (n->kind == QP_YAML_SEQ && n->n == 0) return 0;  // statistics only
    int count;
    if (qp_cfg_list(c, n, "job.store", &count) != 0) return -1;
    for (int i = 0; i < count; i++) {
        const qp_yaml_node *item = qp_cfg_item(n, i);
        int k;
        if (qp_cfg_enum(c, item, "job.store", qp_keep_names, &k) != 0) return -1;
        if (*store & (1u << k)) return qp_cfg_fail(c, item, "job.store", "'%s' is listed twice", item->text);
        *store |= 1u << k;
    }
    return 0;
}

const char *qp_basis_name(qp_basis b) { return b == QP_BASIS_X ? "x" : "z"; }
const char *qp_code_name(qp_code c) {
    return c == QP_CODE_SURFACE ? "surface" : c == QP_CODE_REPETITION ? "repetition" : "circuit";
}
const char *qp_noise_name(qp_noise_model m) {
    return m == QP_NOISE_UNIFORM ? "uniform" : m == QP_NOISE_SI1000 ? "si1000" : "none";
}
const char *qp_stage_name(qp_stage s) {
    for (int k = 0; k < QP_NUM_STAGES; k++)
        if (s == (1u << k)) return stage_names[k];
    return "?";
}

void qp_experiment_generated_name(qp_code code, qp_basis basis, int distance, int rounds, qp_noise_model noise,
                                  double p, char *buf, size_t cap) {
    char pbuf[40];
    for (int prec = 1; prec <= 17; prec++) {  // fewest significant digits that read back as p
        snprintf(pbuf, sizeof pbuf, "%.*g", prec, p);
        if (strtod(pbuf, NULL) == p) break;
    }
    if (code == QP_CODE_REPETITION)
        snprintf(buf, cap, "repetition_d%d_r%d_%s_p%s", distance, rounds, qp_noise_name(noise), pbuf);
    else
        snprintf(buf, cap, "surface_%s_d%d_r%d_%s_p%s", qp_basis_name(basis), distance, rounds, qp_noise_name(noise), pbuf);
}

int qp_config_find_experiment(const qp_config *cfg, const char *name) {
    for (int i = 0; i < cfg->num_experiments; i++)
        if (strcmp(cfg->experiments[i].name, name) == 0) return i;
    return -1;
}

int qp_cfg_decoders(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, uint32_t *mask) {
    int count;
    if (qp_cfg_list(c, n, where, &count) != 0) return -1;
    *mask = 0;
    for (int i = 0; i < count; i++) {
        const qp_yaml_node *item = qp_cfg_item(n, i);
        const char *decoder_names[QP_NUM_DECODERS + 1] = {NULL};
        for (int d = 0; d < QP_NUM_DECODERS; d++) decoder_names[d] = qp_decoder_name((qp_decoder_id)d);
        int k;
        if (qp_cfg_enum(c, item, where, decoder_names, &k) != 0) return -1;
        if (*mask & QP_DECODER_BIT(k)) return qp_cfg_fail(c, item, where, "decoder '%s' is listed twice", item->text);
        *mask |= QP_DECODER_BIT(k);
    }
    return 0;
}

int qp_cfg_parse_job(const qp_cfg_ctx *c, const qp_yaml_node *sec, qp_job_config *job) {
    if (qp_cfg_check_map(c, sec, "job", job_keys) != 0) return -1;
    const qp_yaml_node *n;
    if (qp_cfg_require(c, sec, "job", "name", &n) != 0 || qp_cfg_name(c, n, "job.name", job->name, sizeof job->name))
        return -1;
    if (qp_cfg_require(c, sec, "job", "seed", &n) != 0 || qp_cfg_u64(c, n, "job.seed", 0, UINT64_MAX, &job->seed))
        return -1;
    snprintf(job->output, sizeof job->output, "results.h5");
    if ((n = qp_cfg_get(sec, "output")) && qp_cfg_path(c, n, "job.output", false, job->output, sizeof job->output))
        return -1;
    if (parse_store(c, sec, &job->store) != 0) return -1;
    int64_t deflate = 0;
    if ((n = qp_cfg_get(sec, "deflate")) && qp_cfg_int(c, n, "job.deflate", 0, 9, &deflate)) return -1;
    job->deflate = (int)deflate;
    job->shots_per_task = 10000;
    if ((n = qp_cfg_get(sec, "shots_per_task")) &&
        qp_cfg_u64(c, n, "job.shots_per_task", 1, UINT64_C(1) << 32, &job->shots_per_task))
        return -1;
    job->stages = 0;
    if ((n = qp_cfg_get(sec, "stages"))) {
        int count;
        if (qp_cfg_list(c, n, "job.stages", &count) != 0) return -1;
        for (int i = 0; i < count; i++) {
            const qp_yaml_node *item = qp_cfg_item(n, i);
            int k;
            if (qp_cfg_enum(c, item, "job.stages", stage_names, &k) != 0) return -1;
            if (job->stages & (1u << k))
                return qp_cfg_fail(c, item, "job.stages", "stage '%s' is listed twice", item->text);
            job->stages |= 1u << k;
        }
    }
    return 0;
}

int qp_cfg_parse_redecode(const qp_cfg_ctx *c, const qp_yaml_node *sec, const qp_train_config *train,
                          qp_redecode_config *rd) {
    memset(rd, 0, sizeof *rd);
    if (qp_cfg_check_map(c, sec, "redecode", redecode_keys) != 0) return -1;
    const qp_yaml_node *n;
    if (qp_cfg_require(c, sec, "redecode", "archive", &n) != 0 ||
        qp_cfg_path(c, n, "redecode.archive", true, rd->archive, sizeof rd->archive))
        return -1;
    rd->decoders = QP_DECODER_BIT(QP_DEC_MWPM);
    if ((n = qp_cfg_get(sec, "decoders")) && qp_cfg_decoders(c, n, "redecode.decoders", &rd->decoders)) return -1;
    if (rd->decoders & qp_decoder_soft_kinds())
        return qp_cfg_fail(c, n, "redecode.decoders", "decoder mwpm-soft needs soft readout, which archives do not hold");
    if ((n = qp_cfg_get(sec, "dem_name"))) {
        if (qp_cfg_string(c, n, "redecode.dem_name", rd->dem_name, sizeof rd->dem_name) != 0) return -1;
        if (!rd->dem_name[0] || strchr(rd->dem_name, '/'))
            return qp_cfg_fail(c, n, "redecode.dem_name", "expected a file name inside each experiment folder (no '/')");
    }
    if ((n = qp_cfg_get(sec, "dem_by_parity")) && qp_cfg_bool(c, n, "redecode.dem_by_parity", &rd->dem_by_parity))
        return -1;
    if (rd->dem_by_parity && rd->dem_name[0])
        return qp_cfg_fail(c, qp_cfg_get(sec, "dem_name"), "redecode",
                           "dem_name and dem_by_parity exclude each other (dem_by_parity picks the DEM per shot)");
    n = qp_cfg_get(sec, "model");
    if (rd->decoders & qp_decoder_model_kinds()) {
        if (n) {
            if (qp_cfg_model_path(c, n, "redecode.model", rd->model, sizeof rd->model) != 0) return -1;
        } else if (train->present) {
            snprintf(rd->model, sizeof rd->model, "%s", train->checkpoint);
        } else {
            return qp_cfg_fail(c, sec, "redecode", "decoder nn needs 'model: FILE.h5' (or a train section)");
        }
    } else if (n) {
        return qp_cfg_fail(c, n, "redecode.model", "'model' is only used by the nn decoder; add nn to decoders or remove it");
    }
    rd->present = true;
    return 0;
}

// Default stages, or checks that each requested stage has what it needs.
static int settle_stages(const qp_cfg_ctx *c, const qp_yaml_node *root, qp_config *cfg) {
    uint32_t have = 0;
    if (cfg->train.present) have |= QP_STAGE_TRAIN;
    if (cfg->num_experiments > 0) have |= QP_STAGE_SIMULATE | QP_STAGE_DECODE | QP_STAGE_REPORT;
    if (cfg->redecode.present) have |= QP_STAGE_REDECODE | QP_STAGE_REPORT;
    if (cfg->job.stages == 0) {
        cfg->job.stages = have;
        return 0;
    }
    const qp_yaml_node *at = qp_yaml_map_get(qp_yaml_map_get(root, "job"), "stages");
    static const char *const needs[] = {"a train section", "an experiments list", "an experiments list",
                                        "a redecode section", "experiments or a redecode section"};
    for (int k = 0; k < QP_NUM_STAGES; k++)
        if ((cfg->job.stages & (1u << k)) && !(have & (1u << k)))
            return qp_cfg_fail(c, at, "job.stages", "stage '%s' needs %s", stage_names[k], needs[k]);
    if ((cfg->job.stages & QP_STAGE_DECODE) && !(cfg->job.stages & QP_STAGE_SIMULATE))
        return qp_cfg_fail(c, at, "job.stages", "stage 'decode' needs 'simulate' (it decodes the simulated shots)");
    return 0;
}

// Values echoed in messages may hold newlines or other control characters (multi-line scalars);
// an error stays one line by writing them as \n, \t, \r or \xHH.
static void one_line(qp_err *err) {
    if (!err) return;
    char out[sizeof err->msg];
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)err->msg; *s && o + 5 < sizeof out; s++) {
        if (*s >= 0x20 && *s != 0x7f) {
            out[o++] = (char)*s;
        } else {
            char esc = *s == '\n' ? 'n' : *s == '\t' ? 't' : *s == '\r' ? 'r' : 0;
            o += (size_t)(esc ? snprintf(out + o, 3, "\\%c", esc) : snprintf(out + o, 5, "\\x%02x", *s));
        }
    }
    out[o] = 0;
    memcpy(err->msg, out, o + 1);
}

static int load(const char *text, size_t len, const char *name, qp_config *cfg, qp_err *err) {
    memset(cfg, 0, sizeof *cfg);
    if (!name) name = "<config>";
    snprintf(cfg->source, sizeof cfg->source, "%s", name);
    char base_dir[QP_CONFIG_PATH_MAX] = "";
    const char *slash = strrchr(cfg->source, '/');
    if (slash) {
        size_t n = slash == cfg->source ? 1 : (size_t)(slash - cfg->source);
        memcpy(base_dir, cfg->source, n);
        base_dir[n] = 0;
    }
    qp_cfg_ctx c = {.file = cfg->source, .base_dir = base_dir, .err = err};
    qp_yaml_tree tree;
    if (qp_yaml_parse(&tree, text, len, cfg->source, err) != 0) {
        memset(cfg, 0, sizeof *cfg);
        one_line(err);
        return -1;
    }
    int rc = 0;
    const qp_yaml_node *root = tree.root, *n;
    if (!root) {
        rc = qp_fail(err, "%s: the config is empty (expected a mapping with keys job, experiments, train, redecode)",
                     cfg->source);
    } else if (qp_cfg_check_map(&c, root, "", top_keys) != 0) {
        rc = -1;
    } else if (qp_cfg_require(&c, root, "", "job", &n) != 0 || qp_cfg_parse_job(&c, n, &cfg->job) != 0) {
        rc = -1;
    } else if (!qp_cfg_get(root, "experiments") && !qp_cfg_get(root, "train") && !qp_cfg_get(root, "redecode")) {
        rc = qp_cfg_fail(&c, root, "", "nothing to do: give an experiments list, a train section or a redecode section");
    } else if ((n = qp_cfg_get(root, "train")) && qp_cfg_parse_train(&c, n, &cfg->train) != 0) {
        rc = -1;
    } else if ((n = qp_cfg_get(root, "experiments")) && qp_cfg_parse_experiments(&c, n, cfg) != 0) {
        rc = -1;
    } else if ((n = qp_cfg_get(root, "redecode")) && qp_cfg_parse_redecode(&c, n, &cfg->train, &cfg->redecode) != 0) {
        rc = -1;
    } else {
        rc = settle_stages(&c, root, cfg);
    }
    qp_yaml_free(&tree);
    if (rc != 0) {
        qp_config_free(cfg);
        one_line(err);
        return -1;
    }
    cfg->text = qp_malloc(len + 1);
    memcpy(cfg->text, text, len);
    cfg->text[len] = 0;
    cfg->text_len = len;
    return 0;
}

int qp_config_load_text(const char *text, const char *name, qp_config *cfg, qp_err *err) {
    return load(text, strlen(text), name, cfg, err);
}

int qp_config_load_file(const char *path, qp_config *cfg, qp_err *err) {
    memset(cfg, 0, sizeof *cfg);
    FILE *f = fopen(path, "rb");
    if (!f) return qp_fail(err, "%s: cannot open: %s", path, strerror(errno));
    const size_t limit = 16u << 20;  // a config is text a person writes; this bounds a mistake
    char *buf = qp_malloc(limit + 1);
    size_t len = fread(buf, 1, limit + 1, f);
    int read_error = ferror(f);
    fclose(f);
    int rc;
    if (read_error) {
        rc = qp_fail(err, "%s: read error", path);
    } else if (len > limit) {
        rc = qp_fail(err, "%s: config larger than %zu bytes", path, limit);
    } else if (memchr(buf, 0, len)) {
        rc = qp_fail(err, "%s: byte %zu: NUL byte in a text file", path, (size_t)((char *)memchr(buf, 0, len) - buf));
    } else {
        rc = load(buf, len, path, cfg, err);
    }
    free(buf);
    if (rc != 0) one_line(err);
    return rc;
}

void qp_config_free(qp_config *cfg) {
    free(cfg->text);
    free(cfg->experiments);
    memset(cfg, 0, sizeof *cfg);
}
