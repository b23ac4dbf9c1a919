// Parser for Stim's circuit language (every instruction of gate_table.c). One instruction per line:
//
//   NAME[tag](arg, arg, ...) target target ...   # comment
//   REPEAT[tag] N {
//       ...
//   }
//
// Names are case-insensitive and include Stim's aliases (CNOT -> CX, MZ -> M, ...). Targets
// are qubit indices, `!q` (inverted measurement result), `rec[-k]`, `sweep[k]`, Pauli terms
// `X0 Y1 Z2` and their products `X0*Z1` (MPP, SPP, E, OBSERVABLE_INCLUDE). Every error is one
// line "SOURCE:line:col: message"; unknown gates are errors that name the gate. REPEAT blocks
// are kept as nested blocks, never unrolled. The parser checks, as it reads, that no
// rec[-k] reaches before the first measurement (counting REPEAT bodies once for the first
// iteration, which is the tightest), then calls qp_circuit_finalize.
#include "workers/circuit/circuit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"
#include "workers/util/read_file.h"

typedef struct {
    qp_block *block;         // the block instructions are appended to
    qp_instr *repeat;        // the REPEAT instruction owning `block` (NULL at top level)
    uint64_t meas_at_entry;  // measurements before the block's first iteration
    uint32_t open_line;      // line of the REPEAT (for "unterminated" errors)
} open_block;

typedef struct {
    const char *text, *end;
    const char *p;           // cursor
    const char *line_start;  // start of the current line (for columns)
    uint32_t line;
    const char *source;
    qp_err *err;
    open_block stack[QP_MAX_REPEAT_DEPTH + 1];
    int depth;
    uint64_t measurements;   // measurements before the cursor (first iteration of each block)
    // Scratch for the instruction being read.
    double *args;
    size_t num_args, cap_args;
    uint32_t *targets;
    size_t num_targets, cap_targets;
    char *tag;
    size_t cap_tag;
} parser;

static int fail_at(parser *ps, const char *at, const char *fmt, const char *detail) {
    unsigned col = (unsigned)(at - ps->line_start) + 1;
    char msg[sizeof ps->err->msg];
    snprintf(msg, sizeof msg, fmt, detail);
    return qp_fail(ps->err, "%s:%u:%u: %s", ps->source, ps->line, col, msg);
}

static int at_end(const parser *ps) { return ps->p >= ps->end; }
static char peek(const parser *ps) { return at_end(ps) ? '\n' : *ps->p; }
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}
static int at_line_end(const parser *ps) {
    char c = peek(ps);
    return c == '\n' || c == '#';
}

static void skip_spaces(parser *ps) {
    while (!at_end(ps) && is_space(*ps->p)) ps->p++;
}

// After the last token of a line: only spaces and a comment may follow.
static int expect_line_end(parser *ps) {
    skip_spaces(ps);
    if (!at_line_end(ps)) {
        char detail[8] = {*ps->p, 0};
        if (*ps->p == '\0') return fail_at(ps, ps->p, "unexpected NUL byte%s", "");
        return fail_at(ps, ps->p, "unexpected '%s' at end of instruction", detail);
    }
    return 0;
}

static void skip_to_next_line(parser *ps) {
    while (!at_end(ps) && *ps->p != '\n') ps->p++;
    if (!at_end(ps)) ps->p++;
    ps->line++;
    ps->line_start = ps->p;
}

// Reads an unsigned decimal integer (at most `max`) at the cursor.
static int read_uint(parser *ps, uint64_t max, uint64_t *out, const char *what) {
    const char *start = ps->p;
    if (!is_digit(peek(ps))) return fail_at(ps, start, "expected %s", what);
    uint64_t v = 0;
    *out = 0;
    while (is_digit(peek(ps))) {
        uint64_t d = (uint64_t)(*ps->p - '0');
        if (v > (max - d) / 10) return fail_at(ps, start, "%s is too large", what);
        v = v * 10 + d;
        ps->p++;
    }
    *out = v;
    return 0;
}

// A target or REPEAT count must be followed by whitespace, a comment, the line end, or (in
// Pauli products) the '*' joining the next factor.
static int expect_separator(parser *ps, int allow_star) {
    char c = peek(ps);
    if (is_space(c) || c == '\n' || c == '#' || (allow_star && c == '*')) return 0;
    if (c == '\0') return fail_at(ps, ps->p, "unexpected NUL byte%s", "");
    char detail[8] = {c, 0};
    return fail_at(ps, ps->p, "unexpected '%s' in target", detail);
}

static int read_number(parser *ps, double *out) {
    const char *start = ps->p;
    char buf[72];
    size_t n = 0;
    while (!at_end(ps) && n + 1 < sizeof buf &&
           (is_digit(*ps->p) || *ps->p == '.' || *ps->p == '-' || *ps->p == '+' || *ps->p == 'e' ||
            *ps->p == 'E'))
        buf[n++] = *ps->p++;
    buf[n] = 0;
    if (n == 0) return fail_at(ps, start, "expected a number%s", "");
    char *endp = NULL;
    errno = 0;
    double v = strtod(buf, &endp);
    if (*endp != '\0' || endp == buf) return fail_at(ps, start, "invalid number '%s'", buf);
    if (errno == ERANGE && (v > 1 || v < -1)) return fail_at(ps, start, "number '%s' is out of range", buf);
    *out = v;
    return 0;
}

static int read_args(parser *ps) {
    ps->p++;  // '('
    skip_spaces(ps);
    if (peek(ps) == ')') {
        ps->p++;
        return 0;
    }
    for (;;) {
        skip_spaces(ps);
        double v = 0;
        if (read_number(ps, &v)) return -1;
        qp_grow(ps->args, ps->cap_args, ps->num_args + 1);
        ps->args[ps->num_args++] = v;
        if (ps->num_args > 4096) return fail_at(ps, ps->p, "too many arguments%s", "");
        skip_spaces(ps);
        char c = peek(ps);
        if (c == ',') {
            ps->p++;
            continue;
        }
        if (c == ')') {
            ps->p++;
            return 0;
        }
        if (c == '\n') return fail_at(ps, ps->p, "unterminated argument list (missing ')')%s", "");
        char detail[8] = {c, 0};
        return fail_at(ps, ps->p, "expected ',' or ')' in argument list, got '%s'", detail);
    }
}

static int read_tag(parser *ps) {
    const char *open = ps->p++;
    size_t n = 0;
    while (!at_end(ps) && *ps->p != ']' && *ps->p != '\n' && *ps->p != '\0') {
        qp_grow(ps->tag, ps->cap_tag, n + 2);
        ps->tag[n++] = *ps->p++;
    }
    if (peek(ps) != ']') return fail_at(ps, open, "unterminated tag (missing ']')%s", "");
    ps->p++;
    qp_grow(ps->tag, ps->cap_tag, n + 1);
    ps->tag[n] = 0;
    return 0;
}

// Reads `rec[-k]` or `sweep[k]` (the cursor is on the 'r' or 's'); *out gets the encoded bit.
static int read_bit_target(parser *ps, const qp_gate_info *gi, int is_rec, uint32_t *out) {
    const char *start = ps->p;
    uint16_t f = gi->flags;
    if (is_rec && !(f & (QP_GF_REC_TARGETS | QP_GF_BIT_TARGETS)))
        return fail_at(ps, start, "%s does not accept measurement record targets (rec[-k] is for DETECTOR, OBSERVABLE_INCLUDE and classically controlled CX CY CZ XCZ YCZ)",
                       gi->name);
    if (!is_rec && !(f & QP_GF_BIT_TARGETS))
        return fail_at(ps, start, "%s does not accept sweep[k] targets", gi->name);
    ps->p += is_rec ? 4 : 6;
    uint64_t v = 0;
    if (is_rec) {
        if (peek(ps) != '-') return fail_at(ps, ps->p, "expected '-' in rec[-k]%s", "");
        ps->p++;
        if (read_uint(ps, QP_MAX_LOOKBACK, &v, "a lookback k in rec[-k]")) return -1;
        if (v == 0) return fail_at(ps, start, "rec[-0] is not a valid lookback (k >= 1)%s", "");
    } else if (read_uint(ps, QP_TARGET_VALUE_MASK, &v, "a sweep bit index k in sweep[k]")) {
        return -1;
    }
    if (peek(ps) != ']') return fail_at(ps, ps->p, is_rec ? "expected ']' to close rec[-k]%s" : "expected ']' to close sweep[k]%s", "");
    ps->p++;
    if (is_rec && v > ps->measurements) {
        char detail[160];
        snprintf(detail, sizeof detail, "rec[-%llu] reaches before the first measurement (%llu measurements so far)",
                 (unsigned long long)v, (unsigned long long)ps->measurements);
        return fail_at(ps, start, "%s", detail);
    }
    *out = (uint32_t)v | (is_rec ? QP_TARGET_REC : QP_TARGET_SWEEP);
    return expect_separator(ps, 0);
}

static int read_target(parser *ps, qp_gate gate, uint32_t *out) {
    const qp_gate_info *gi = &qp_gate_table[gate];
    const char *start = ps->p;
    uint16_t f = gi->flags;
    if (f & QP_GF_NO_TARGETS) return fail_at(ps, start, "%s takes no targets", gi->name);
    if (peek(ps) == '*') {
        if (!(f & QP_GF_COMBINERS)) return fail_at(ps, start, "%s does not take '*' products", gi->name);
        ps->p++;
        *out = QP_TARGET_COMBINER;
        return 0;
    }
    if (ps->end - ps->p >= 4 && memcmp(ps->p, "rec[", 4) == 0) return read_bit_target(ps, gi, 1, out);
    if (ps->end - ps->p >= 6 && memcmp(ps->p, "sweep[", 6) == 0) return read_bit_target(ps, gi, 0, out);
    uint32_t flags = 0;
    if (peek(ps) == '!') {
        if (!gi->is_measurement)
            return fail_at(ps, start, "%s does not accept inverted targets (!q is only for measurements)", gi->name);
        flags = QP_TARGET_INVERTED;
        ps->p++;
    }
    char c = peek(ps);
    char uc = c;
    if ((uc == 'X' || uc == 'Y' || uc == 'Z') && is_digit(ps->p + 1 < ps->end ? ps->p[1] : 0)) {
        if (!(f & QP_GF_PAULI_TARGETS))
            return fail_at(ps, start, "%s does not accept Pauli targets (X0 Y1 Z2)", gi->name);
        flags |= uc == 'X' ? QP_TARGET_PAULI_X : uc == 'Z' ? QP_TARGET_PAULI_Z : QP_TARGET_PAULI;
        ps->p++;
        c = peek(ps);
    } else if ((f & QP_GF_PAULI_TARGETS) && gate != QP_GATE_OBSERVABLE_INCLUDE && is_digit(c)) {
        return fail_at(ps, start, "%s takes Pauli targets (X0 Y1 Z2), not bare qubits", gi->name);
    }
    if (!is_digit(c)) {
        char detail[8] = {c == '\n' ? ' ' : c, 0};
        if (c == '\0') return fail_at(ps, start, "unexpected NUL byte%s", "");
        return fail_at(ps, start, "unexpected '%s' (expected a qubit index or rec[-k])", detail);
    }
    if ((f & QP_GF_REC_TARGETS) && !(flags & QP_TARGET_PAULI))
        return fail_at(ps, start, gate == QP_GATE_DETECTOR ? "%s only accepts rec[-k] targets" : "%s only accepts rec[-k] or Pauli targets", gi->name);
    uint64_t v = 0;
    if (read_uint(ps, QP_MAX_QUBITS - 1, &v, "qubit index")) return -1;
    *out = (uint32_t)v | flags;
    return expect_separator(ps, (f & QP_GF_COMBINERS) != 0);
}

static int open_repeat(parser *ps, const char *name_at, const char *tag) {
    skip_spaces(ps);
    if (ps->num_args) return fail_at(ps, name_at, "REPEAT takes no arguments%s", "");
    uint64_t count;
    if (read_uint(ps, UINT64_MAX, &count, "a repetition count after REPEAT")) return -1;
    if (count == 0) return fail_at(ps, name_at, "REPEAT count must be at least 1%s", "");
    skip_spaces(ps);
    if (peek(ps) != '{') return fail_at(ps, ps->p, "expected '{' after REPEAT count%s", "");
    ps->p++;
    if (expect_line_end(ps)) return -1;
    if (ps->depth >= QP_MAX_REPEAT_DEPTH)
        return fail_at(ps, name_at, "REPEAT blocks nested deeper than %s", "64");
    qp_block *parent = ps->stack[ps->depth].block;
    qp_instr *in = qp_block_append_repeat(parent, count, tag);
    in->line = ps->line;
    ps->depth++;
    ps->stack[ps->depth] = (open_block){in->body, in, ps->measurements, ps->line};
    return 0;
}

static int close_repeat(parser *ps) {
    const char *brace = ps->p;
    if (ps->depth == 0) return fail_at(ps, brace, "'}' without an open REPEAT block%s", "");
    ps->p++;
    if (expect_line_end(ps)) return -1;
    open_block *ob = &ps->stack[ps->depth];
    uint64_t per = ps->measurements - ob->meas_at_entry;
    uint64_t count = ob->repeat->repeat_count;
    if (per && count > (UINT64_MAX - ob->meas_at_entry) / per)
        return fail_at(ps, brace, "REPEAT block makes the measurement count overflow 64 bits%s", "");
    ps->measurements = ob->meas_at_entry + per * count;
    ps->depth--;
    return 0;
}

static int parse_instruction(parser *ps) {
    const char *name_at = ps->p;
    while (!at_end(ps) && is_name_char(*ps->p)) ps->p++;
    size_t len = (size_t)(ps->p - name_at);
    if (len == 0) {
        char c = peek(ps);
        if (c == '\0') return fail_at(ps, name_at, "unexpected NUL byte%s", "");
        char detail[8] = {c, 0};
        return fail_at(ps, name_at, "unexpected '%s' (expected a gate name)", detail);
    }
    int g = qp_gate_from_name(name_at, len);
    if (g < 0) {
        char name[64];
        size_t n = len < sizeof name - 4 ? len : sizeof name - 4;
        memcpy(name, name_at, n);
        strcpy(name + n, len > n ? "..." : "");
        return fail_at(ps, name_at, "unknown gate '%s'", name);
    }
    qp_gate gate = (qp_gate)g;
    ps->num_args = ps->num_targets = 0;
    int has_tag = 0;
    if (peek(ps) == '[') {
        if (read_tag(ps)) return -1;
        has_tag = 1;
    }
    skip_spaces(ps);
    if (peek(ps) == '(') {
        if (read_args(ps)) return -1;
    }
    if (gate == QP_GATE_REPEAT) return open_repeat(ps, name_at, has_tag ? ps->tag : NULL);
    for (;;) {
        skip_spaces(ps);
        if (at_line_end(ps)) break;
        uint32_t t = 0;
        if (read_target(ps, gate, &t)) return -1;
        qp_grow(ps->targets, ps->cap_targets, ps->num_targets + 1);
        ps->targets[ps->num_targets++] = t;
        if (ps->num_targets > (1u << 28)) return fail_at(ps, ps->p, "too many targets%s", "");
    }
    qp_instr tmp = {.gate = gate, .num_args = (uint32_t)ps->num_args, .num_targets = (uint32_t)ps->num_targets,
                    .args = ps->args, .targets = ps->targets};
    qp_err verr;
    if (qp_instr_validate(&tmp, &verr)) return fail_at(ps, name_at, "%s", verr.msg);
    qp_instr *in = qp_block_append(ps->stack[ps->depth].block, gate, ps->args, (uint32_t)ps->num_args,
                                   ps->targets, (uint32_t)ps->num_targets, has_tag ? ps->tag : NULL);
    in->line = ps->line;
    ps->measurements += qp_instr_num_results(in);
    return 0;
}

static int parse_all(parser *ps) {
    while (!at_end(ps)) {
        skip_spaces(ps);
        char c = peek(ps);
        if (c == '\n' || c == '#') {
            skip_to_next_line(ps);
            continue;
        }
        int rc = c == '}' ? close_repeat(ps) : parse_instruction(ps);
        if (rc) return -1;
        skip_to_next_line(ps);
    }
    if (ps->depth > 0) {
        return qp_fail(ps->err, "%s:%u:1: unterminated REPEAT block (opened on line %u has no '}')",
                       ps->source, ps->line, ps->stack[ps->depth].open_line);
    }
    return 0;
}

int qp_circuit_parse_buffer(qp_circuit *c, const char *text, size_t len, const char *source_name,
                            qp_err *err) {
    qp_circuit_init(c);
    parser ps = {0};
    ps.text = ps.p = ps.line_start = text;
    ps.end = text + len;
    ps.line = 1;
    ps.source = source_name ? source_name : "circuit";
    ps.err = err;
    ps.stack[0].block = &c->top;
    int rc = parse_all(&ps);
    free(ps.args);
    free(ps.targets);
    free(ps.tag);
    if (rc == 0 && qp_circuit_finalize(c, err)) {
        qp_fail_prefix(err, "%s", ps.source);
        rc = -1;
    }
    if (rc) qp_circuit_free(c);
    return rc;
}

int qp_circuit_parse(qp_circuit *c, const char *text, const char *source_name, qp_err *err) {
    return qp_circuit_parse_buffer(c, text, strlen(text), source_name, err);
}

int qp_circuit_parse_file(qp_circuit *c, const char *path, qp_err *err) {
    qp_circuit_init(c);
    size_t len;
    char *buf = qp_read_file(path, &len, err);
    if (!buf) return -1;
    int rc = qp_circuit_parse_buffer(c, buf, len, path, err);
    free(buf);
    return rc;
}
