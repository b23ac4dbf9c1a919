#include "pipeline/job/report.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_text.h"
#include "workers/util/alloc.h"
#include "workers/util/stats.h"

static uint64_t fnv1a(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
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

int qp_report_collect(const char *path, qp_report_row **rows, size_t *n, qp_err *err) {
    qp_store *st = NULL;
    if (qp_store_open(path, MPI_COMM_SELF, QP_STORE_READ, &st, err) != 0) return -1;
    char **exps = NULL;
    size_t num_exps = 0;
    int rc = qp_store_group_list(st, "/experiments", &exps, &num_exps, err);
    size_t cap = *n;
    for (size_t i = 0; rc == 0 && i < num_exps; i++) {
        char g[1024], dg[1300], rg[1100];
        snprintf(g, sizeof g, "/experiments/%s", exps[i]);
        snprintf(rg, sizeof rg, "/run/experiments/%s", exps[i]);
        char *circuit = read_text(st, g, "circuit"), *dem = read_text(st, g, "dem");
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
            copy_attr_str(st, g, "name", r->name, sizeof r->name);
            if (!r->name[0]) snprintf(r->name, sizeof r->name, "%s", exps[i]);
            snprintf(r->decoder, sizeof r->decoder, "%s", decs[k]);
            r->shots = attr_u64(st, d, "shots");
            r->errors = attr_u64(st, d, "errors");
            r->discards = attr_u64(st, d, "discards");
            r->seconds = attr_f64(st, rg, "seconds");
            copy_attr_str(st, g, "json_metadata", r->json_metadata, sizeof r->json_metadata);
            copy_attr_str(st, g, "code", r->code, sizeof r->code);
            copy_attr_str(st, g, "basis", r->basis, sizeof r->basis);
            copy_attr_str(st, g, "noise", r->noise, sizeof r->noise);
            r->distance = attr_u64(st, g, "distance");
            r->rounds = attr_u64(st, g, "rounds");
            r->p = attr_f64(st, g, "p");
            uint64_t h = 0xcbf29ce484222325ULL;
            h = fnv1a(fnv1a(fnv1a(h, circuit ? circuit : ""), dem ? dem : ""), decs[k]);
            snprintf(r->strong_id, sizeof r->strong_id, "%016llx", (unsigned long long)h);
        }
        qp_store_names_free(decs, num_decs);
        free(circuit);
        free(dem);
    }
    qp_store_names_free(exps, num_exps);
    qp_err close_err;
    qp_store_close(st, &close_err);
    if (rc != 0) qp_fail_prefix(err, "%s", path);
    return rc;
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
    for (size_t i = 0; i < n; i++) {
        const qp_report_row *r = &rows[i];
        double lo, hi, ler = r->shots ? (double)r->errors / r->shots : 0;
        qp_wilson_interval(r->errors, r->shots, 1.96, &lo, &hi);
        char per_round[32] = "-";
        if (r->rounds) snprintf(per_round, sizeof per_round, "%.3e", qp_ler_per_round(ler, r->rounds));
        fprintf(out, "%-44s %-10s %10llu %8llu %11.3e   [%.3e, %.3e] %11s\n", r->name, r->decoder,
                (unsigned long long)r->shots, (unsigned long long)r->errors, ler, lo, hi, per_round);
    }
}
