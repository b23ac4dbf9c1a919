// Writer for Stim's detector error model text. Probabilities are printed with 19
// significant digits (as Stim writes them, and enough to round-trip a double exactly);
// coordinates with the shortest of %.17g; repeat bodies indented by four spaces.
#include "workers/dem/dem.h"

#include <stdlib.h>
#include <string.h>

static void write_number(FILE *out, double v, int digits) {
    fprintf(out, "%.*g", digits, v);
}

static void write_block(const qp_dem_block *b, FILE *out, int indent) {
    static const char *names[] = {"error", "detector", "logical_observable", "shift_detectors",
                                  "repeat"};
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_dem_instr *in = &b->instrs[i];
        for (int k = 0; k < indent; k++) fputs("    ", out);
        fputs(names[in->kind], out);
        if (in->tag) fprintf(out, "[%s]", in->tag);
        if (in->kind == QP_DEM_REPEAT) {
            fprintf(out, " %llu {\n", (unsigned long long)in->repeat_count);
            write_block(in->body, out, indent + 1);
            for (int k = 0; k < indent; k++) fputs("    ", out);
            fputs("}\n", out);
            continue;
        }
        if (in->num_args || in->kind == QP_DEM_ERROR) {
            fputc('(', out);
            for (uint32_t a = 0; a < in->num_args; a++) {
                if (a) fputs(", ", out);
                write_number(out, in->args[a], in->kind == QP_DEM_ERROR ? 19 : 17);
            }
            fputc(')', out);
        }
        for (uint32_t t = 0; t < in->num_targets; t++) {
            uint64_t v = in->targets[t];
            if (v == QP_DEM_SEPARATOR) fputs(" ^", out);
            else if (in->kind == QP_DEM_SHIFT_DETECTORS) fprintf(out, " %llu", (unsigned long long)v);
            else if (v & QP_DEM_OBS) fprintf(out, " L%llu", (unsigned long long)(v & ~QP_DEM_OBS));
            else fprintf(out, " D%llu", (unsigned long long)v);
        }
        fputc('\n', out);
    }
}

int qp_dem_write(const qp_dem *d, FILE *out, qp_err *err) {
    write_block(&d->top, out, 0);
    if (ferror(out)) return qp_fail(err, "write error while writing detector error model");
    return 0;
}

char *qp_dem_to_string(const qp_dem *d, qp_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        qp_fail(err, "open_memstream failed");
        return NULL;
    }
    int rc = qp_dem_write(d, f, err);
    if (fclose(f) != 0 || rc < 0) {
        free(buf);
        if (rc == 0) qp_fail(err, "write error while writing detector error model");
        return NULL;
    }
    return buf;
}
