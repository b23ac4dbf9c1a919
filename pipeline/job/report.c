#include "pipeline/job/report.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_text.h"
#include "pipeline/job/run_job.h"
#include "pipeline/store/store_journal.h"
#include "workers/util/alloc.h"
#include "workers/util/sha256.h"
#include "workers/util/stats.h"

// Feeds a string to the hash as a JSON string literal, so that the concatenation of fields
// is unambiguous (sinter hashes a JSON object of the same fields).
static void hash_json_string(qp_sha256 *h, const char *key, const char *s) {
    qp_sha256_update(h, "\"", 1);
    qp_sha256_update(h, key, strlen(key));
    qp_sha256_update(h, "\":\"", 3);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') snprintf(esc, sizeof esc, "\\%c", *c);
        else if (*c < 0x20) snprintf(esc, sizeof esc, "\\u%04x", *c);
        else esc[0] = (char)*c, esc[1] = 0;
        qp_sha256_update(h, esc, strlen(esc));
    }
    qp_sha256_update(h, "\",", 2);
}

// model_sha256: the hash of the decoder's model file (nn), "" for decoders built from the DEM.
static void strong_id(const char *circuit, const char *dem, const char *dem_odd, const char *decoder,
                      const char *model_sha256, const char *json_metadata, char hex[65]) {
    qp_sha256 h;
    qp_sha256_init(&h);
    qp_sha256_update(&h, "{", 1);
    hash_json_string(&h, "circuit", circuit);
    hash_json_string(&h, "decoder", decoder);
    hash_json_string(&h, "decoder_error_model", dem);
    if (dem_odd[0]) hash_json_string(&h, "decoder_error_model_odd_shots", dem_odd);
    if (model_sha256[0]) hash_json_string(&h, "decoder_model_sha256", model_sha256);
    qp_sha256_update(&h, "\"json_metadata\":", 16);
    qp_sha256_update(&h, json_metadata, strlen(json_metadata));
    qp_sha256_update(&h, "}", 1);
    qp_sha256_hex(&h, hex);
}

static void copy_attr_str(qp_store *st, const char *obj, const char *name, char *dst, size_t cap) {
    char *v = NULL;
    qp_err ignored;
    dst[0] = 0;
    if (qp_store_attr_exists(st, obj, name) && qp_store_attr_get_str(st, obj, name, &v, &ignored) == 0) {
        snprintf(dst, cap, "%s", v);
        free(v);
    }
}

static uint64_t attr_u64(qp_store *st, const char *obj, const char *name) {
    uint64_t v = 0;
    qp_err ignored;
    if (qp_store_attr_exists(st, obj, name)) qp_store_attr_get_u64(st, obj, name, &v, &ignored);
    return v;
}

static double attr_f64(qp_store *st, const char *obj, const char *name) {
    double v = 0;
    qp_err ignored;
    if (qp_store_attr_exists(st, obj, name)) qp_store_attr_get_f64(st, obj, name, &v, &ignored);
    return v;
}

// A text dataset as a string; "" when absent.
static char *read_text(qp_store *st, const char *group, const char *name) {
    char path[1100], *text = NULL;
    snprintf(path, sizeof path, "%s/%s", group, name);
    qp_err ignored;
    if (!qp_store_exists(st, path) || qp_store_text_read(st, path, &text, NULL, NULL, &ignored) != 0)
        return qp_strdup("");
    return text;
}

// An unfinished run's journal summed per experiment index: (num_exps, QP_JOB_JOURNAL_WIDTH)
// with column 3 the shots and 4 + id the errors of decoder id; NULL when there is none.
static uint64_t *journal_sums(qp_store *st, uint64_t *num_exps) {
    uint64_t *rows = NULL, n = 0, width = 0, max = 0;
    qp_err ignored;
    *num_exps = 0;
    if (!qp_store_exists(st, QP_JOB_JOURNAL_PATH) ||
        qp_store_journal_read(st, QP_JOB_JOURNAL_PATH, &rows, &n, &width, &ignored) != 0 ||
        width != QP_JOB_JOURNAL_WIDTH) {
        free(rows);
        return NULL;
    }
    enum { MAX_INDEX = 1 << 24 };  // a damaged row must not size the allocation
    for (uint64_t i = 0; i < n; i++)
        if (rows[i * width] < MAX_INDEX && rows[i * width] + 1 > max) max = rows[i * width] + 1;
    uint64_t *sums = qp_calloc(max * width + 1, sizeof *sums);
    for (uint64_t i = 0; i < n; i++)
        for (uint64_t c = 3; c < width && rows[i * width] < MAX_INDEX; c++)
            sums[rows[i * width] * width + c] += rows[i * width + c];
    free(rows);
    *num_exps = max;
    return sums;
}

int qp_report_collect(const char *path, qp_report_row **rows, size_t *n, qp_err *err) {
    qp_store *st = NULL;
    if (qp_store_open(path, MPI_COMM_SELF, QP_STORE_READ, &st, err) != 0) return -1;
    // A finished run has /run finished_utc; without it the statistics attributes of the
    // experiments in progress are not written yet, and the journal says what was done.
    int finished = qp_store_exists(st, "/run") && qp_store_attr_exists(st, "/run", "finished_utc");
    uint64_t journal_exps = 0, *journal = finished ? NULL : journal_sums(st, &journal_exps);
    uint64_t seed = attr_u64(st, "/", "seed");
    char **exps = NULL;
    size_t num_exps = 0;
    int rc = qp_store_group_list(st, "/experiments", &exps, &num_exps, err);
    size_t cap = *n;
    for (size_t i = 0; rc == 0 && i < num_exps; i++) {
        char g[1024], dg[1300], rg[1100];
        snprintf(g, sizeof g, "/experiments/%s", exps[i]);
        snprintf(rg, sizeof rg, "/run/experiments/%s", exps[i]);
        char *circuit = read_text(st, g, "circuit"), *dem = read_text(st, g, "dem");
        char *dem_odd = read_text(st, g, "dem_odd_shots");
        uint64_t index = attr_u64(st, g, "index");
        snprintf(dg, sizeof dg, "%s/decoders", g);
        char **decs = NULL;
        size_t num_decs = 0;
        rc = qp_store_group_list(st, dg, &decs, &num_decs, err);
        for (size_t k = 0; rc == 0 && k < num_decs; k++) {
            char d[1400];
            snprintf(d, sizeof d, "%s/%s", dg, decs[k]);
            qp_grow(*rows, cap, *n + 1);
            qp_report_row *r = &(*rows)[(*n)++];
            memset(r, 0, sizeof *r);
            snprintf(r->file, sizeof r->file, "%s", path);
            copy_attr_str(st, g, "name", r->name, sizeof r->name);
            if (!r->name[0]) snprintf(r->name, sizeof r->name, "%s", exps[i]);
            snprintf(r->decoder, sizeof r->decoder, "%s", decs[k]);
            if (qp_store_attr_exists(st, d, "shots")) {  // the experiment is complete
                r->shots = attr_u64(st, d, "shots");
                r->errors = attr_u64(st, d, "errors");
                r->discards = attr_u64(st, d, "discards");
                r->seconds = attr_f64(st, rg, "seconds");
            } else if (!finished) {
                r->unfinished = 1;
                int id = qp_decoder_from_name(decs[k]);
                if (journal && index < journal_exps && id >= 0) {
                    const uint64_t *sum = journal + index * QP_JOB_JOURNAL_WIDTH;
                    r->shots = sum[3];
                    r->errors = sum[4 + id];
                }
            }
            copy_attr_str(st, g, "json_metadata", r->json_metadata, sizeof r->json_metadata);
            copy_attr_str(st, g, "code", r->code, sizeof r->code);
            copy_attr_str(st, g, "basis", r->basis, sizeof r->basis);
            copy_attr_str(st, g, "noise", r->noise, sizeof r->noise);
            r->distance = attr_u64(st, g, "distance");
            r->rounds = attr_u64(st, g, "rounds");
            r->p = attr_f64(st, g, "p");
            r->seed = seed;
            r->stream = attr_u64(st, g, "stream");
            char model_sha256[80];
            copy_attr_str(st, d, "model_sha256", model_sha256, sizeof model_sha256);
            strong_id(circuit, dem, dem_odd, decs[k], model_sha256, r->json_metadata, r->strong_id);
        }
        qp_store_names_free(decs, num_decs);
        free(circuit);
        free(dem);
        free(dem_odd);
    }
    qp_store_names_free(exps, num_exps);
    free(journal);
    qp_err close_err;
    qp_store_close(st, &close_err);
    if (rc != 0) qp_fail_prefix(err, "%s", path);
    return rc;
}

void qp_report_merge(qp_report_row *rows, size_t *n, FILE *warn) {
    // 1. The same shots twice: keep the larger row (the other holds a prefix of its shots).
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        qp_report_row *r = &rows[i], *same = NULL;
        for (size_t j = 0; j < m && !same; j++)
            if (strcmp(rows[j].strong_id, r->strong_id) == 0 && rows[j].seed == r->seed && rows[j].stream == r->stream)
                same = &rows[j];
        if (!same) {
            if (m != i) rows[m] = *r;
            m++;
            continue;
        }
        if (warn)
            fprintf(warn, "qecpipe report: %s and %s both hold experiment %s, decoder %s (seed %llu, stream %llu): "
                    "the same shots, counted once (%llu shots kept)\n", same->file, r->file, r->name, r->decoder,
                    (unsigned long long)r->seed, (unsigned long long)r->stream,
                    (unsigned long long)(r->shots > same->shots ? r->shots : same->shots));
        if (r->shots > same->shots) *same = *r;
    }
    // 2. Disjoint samples of one problem: summed.
    size_t out = 0;
    for (size_t i = 0; i < m; i++) {
        qp_report_row *r = &rows[i], *same = NULL;
        for (size_t j = 0; j < out && !same; j++)
            if (strcmp(rows[j].strong_id, r->strong_id) == 0) same = &rows[j];
        if (!same) {
            if (out != i) rows[out] = *r;
            out++;
            continue;
        }
        same->shots += r->shots;
        same->errors += r->errors;
        same->discards += r->discards;
        same->seconds += r->seconds;
        same->unfinished |= r->unfinished;
    }
    *n = out;
}

void qp_report_write_csv(FILE *out, const qp_report_row *rows, size_t n) {
    fprintf(out, "     shots,    errors,  discards, seconds,decoder,strong_id,json_metadata\n");
    for (size_t i = 0; i < n; i++) {
        const qp_report_row *r = &rows[i];
        fprintf(out, "%10llu,%10llu,%10llu,%8.3f,%s,%s,\"", (unsigned long long)r->shots,
                (unsigned long long)r->errors, (unsigned long long)r->discards, r->seconds,
                r->decoder, r->strong_id);
        // CSV quoting: the JSON's quotes are doubled.
        for (const char *c = r->json_metadata; *c; c++) {
            if (*c == '"') fputc('"', out);
            fputc(*c, out);
        }
        fprintf(out, "\"\n");
    }
}

void qp_report_print_table(FILE *out, const qp_report_row *rows, size_t n) {
    fprintf(out, "%-44s %-10s %10s %8s %11s %25s %11s\n", "experiment", "decoder", "shots", "errors",
            "LER", "95% interval", "LER/round");
    int saturated = 0;
    for (size_t i = 0; i < n; i++) {
        const qp_report_row *r = &rows[i];
        double lo, hi, ler = r->shots ? (double)r->errors / r->shots : 0;
        qp_wilson_interval(r->errors, r->shots, 1.96, &lo, &hi);
        char per_round[32] = "-";
        double pr = r->rounds ? qp_ler_per_round(ler, r->rounds) : 0;
        if (r->rounds && isnan(pr)) snprintf(per_round, sizeof per_round, "saturated"), saturated = 1;
        else if (r->rounds) snprintf(per_round, sizeof per_round, "%.3e", pr);
        char name[sizeof r->name + 2];
        snprintf(name, sizeof name, "%s%s", r->name, r->unfinished ? " *" : "");
        fprintf(out, "%-44s %-10s %10llu %8llu %11.3e   [%.3e, %.3e] %11s\n", name, r->decoder,
                (unsigned long long)r->shots, (unsigned long long)r->errors, ler, lo, hi, per_round);
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].unfinished) {
            fprintf(out, "* unfinished run: the shots and errors its journal holds so far\n");
            break;
        }
    if (saturated)
        fprintf(out, "saturated: LER >= 0.5, so no per-round rate (1 - (1 - 2 LER)^(1/rounds)) / 2 exists; "
                     "fewer rounds or a lower p measure one\n");
}
