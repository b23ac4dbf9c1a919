// Writer for Stim's circuit language, in the layout `stim gen` uses:
//   NAME[tag](a, b) t t rec[-k] !q X0*Y1 sweep[k]
//   REPEAT N {
//       ...            (four spaces per nesting level)
//   }
// Numbers are printed in the shortest form that reads back to the same double (so
// write -> parse -> write is a fixed point and probabilities survive exactly).
#include "workers/circuit/circuit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void write_number(FILE *out, double v) {
    char buf[40];
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v) {
        fprintf(out, "%lld", (long long)v);  // integers (coordinates, indices) without exponent
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, out);
}

int qp_instr_write(const qp_instr *in, FILE *out) {
    fputs(qp_gate_table[in->gate].name, out);
    if (in->tag) fprintf(out, "[%s]", in->tag);
    if (in->gate == QP_GATE_REPEAT) {
        fprintf(out, " %llu {", (unsigned long long)in->repeat_count);
        return ferror(out) ? -1 : 0;
    }
    if (in->num_args) {
        fputc('(', out);
        for (uint32_t i = 0; i < in->num_args; i++) {
            if (i) fputs(", ", out);
            write_number(out, in->args[i]);
        }
        fputc(')', out);
    }
    for (uint32_t i = 0; i < in->num_targets; i++) {
        uint32_t t = in->targets[i];
        uint32_t v = t & QP_TARGET_VALUE_MASK;
        if (t & QP_TARGET_COMBINER) {
            fputc('*', out);
            continue;
        }
        if (i == 0 || !(in->targets[i - 1] & QP_TARGET_COMBINER)) fputc(' ', out);
        if (t & QP_TARGET_REC) {
            fprintf(out, "rec[-%u]", v);
        } else if (t & QP_TARGET_SWEEP) {
            fprintf(out, "sweep[%u]", v);
        } else {
            if (t & QP_TARGET_INVERTED) fputc('!', out);
            if (t & QP_TARGET_PAULI) fputc("?XZY"[((t & QP_TARGET_PAULI_X) ? 1 : 0) | ((t & QP_TARGET_PAULI_Z) ? 2 : 0)], out);
            fprintf(out, "%u", v);
        }
    }
    return ferror(out) ? -1 : 0;
}

static void write_block(const qp_block *b, FILE *out, int depth) {
    for (size_t i = 0; i < b->num_instrs; i++) {
        const qp_instr *in = &b->instrs[i];
        for (int k = 0; k < depth; k++) fputs("    ", out);
        qp_instr_write(in, out);
        fputc('\n', out);
        if (in->gate == QP_GATE_REPEAT) {
            write_block(in->body, out, depth + 1);
            for (int k = 0; k < depth; k++) fputs("    ", out);
            fputs("}\n", out);
        }
    }
}

int qp_circuit_write(const qp_circuit *c, FILE *out, qp_err *err) {
    write_block(&c->top, out, 0);
    if (ferror(out)) return qp_fail(err, "error writing circuit: %s", strerror(errno));
    return 0;
}

char *qp_circuit_to_text(const qp_circuit *c, qp_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        qp_fail(err, "open_memstream failed: %s", strerror(errno));
        return NULL;
    }
    int rc = qp_circuit_write(c, f, err);
    if (fclose(f) != 0 && rc == 0) rc = qp_fail(err, "error writing circuit to memory");
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}
