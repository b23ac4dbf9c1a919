// Parser for Stim's detector error model text. Accepts error(p), detector(coords),
// logical_observable, shift_detectors(coords) n, nested `repeat N { ... }`, `[tag]`
// suffixes, `#` comments and blank lines; names are case-insensitive. Every failure names
// SOURCE:line:column. It does not unroll repeats (see dem_flatten.h for that).
#include "workers/dem/dem.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"
#include "workers/util/read_file.h"

typedef struct {
    const char *text, *p, *line_start, *name;
    uint32_t line;
    qp_err *err;
} parser;

static int col(const parser *ps, const char *at) { return (int)(at - ps->line_start) + 1; }

#define FAIL_AT(ps, at, ...)                                                                   \
    (qp_fail((ps)->err, __VA_ARGS__), qp_fail_prefix((ps)->err, "%s:%u:%d", (ps)->name,        \
                                                     (ps)->line, col((ps), (at))))

static void skip_spaces(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r') ps->p++;
}

static int at_line_end(const parser *ps) { return *ps->p == '\n' || *ps->p == 0 || *ps->p == '#'; }

static void next_line(parser *ps) {
    while (*ps->p && *ps->p != '\n') ps->p++;
    if (*ps->p == '\n') {
        ps->p++;
        ps->line++;
        ps->line_start = ps->p;
    }
}

// Unsigned decimal integer; fails on overflow past `limit`.
static int parse_uint(parser *ps, uint64_t limit, uint64_t *out, const char *what) {
    const char *start = ps->p;
    if (!isdigit((unsigned char)*ps->p)) return FAIL_AT(ps, start, "expected %s", what);
    uint64_t v = 0;
    while (isdigit((unsigned char)*ps->p)) {
        uint64_t dgt = (uint64_t)(*ps->p - '0');
        if (v > (limit - dgt) / 10) return FAIL_AT(ps, start, "%s too large", what);
        v = v * 10 + dgt;
        ps->p++;
    }
    *out = v;
    return 0;
}

static int is_token_end(char c) {
    return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#' || c == '^';
}

static int parse_block(parser *ps, qp_dem_block *b, int depth, uint32_t open_line);

static int parse_instruction(parser *ps, qp_dem_block *b, int depth, int *closed) {
    const char *name_at = ps->p;
    if (*ps->p == '}') {
        if (depth == 0) return FAIL_AT(ps, name_at, "'}' without an open repeat block");
        ps->p++;
        skip_spaces(ps);
        if (!at_line_end(ps)) return FAIL_AT(ps, ps->p, "unexpected text after '}'");
        *closed = 1;
        return 0;
    }
    while (isalpha((unsigned char)*ps->p) || *ps->p == '_') ps->p++;
    size_t len = (size_t)(ps->p - name_at);
    static const struct { const char *name; qp_dem_kind kind; } names[] = {
        {"error", QP_DEM_ERROR},
        {"detector", QP_DEM_DETECTOR},
        {"logical_observable", QP_DEM_LOGICAL_OBSERVABLE},
        {"shift_detectors", QP_DEM_SHIFT_DETECTORS},
        {"repeat", QP_DEM_REPEAT},
    };
    int kind = -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (len == strlen(names[i].name) && strncasecmp(name_at, names[i].name, len) == 0)
            kind = (int)names[i].kind;
    if (kind < 0) {
        const char *e = name_at;
        while (!is_token_end(*e) && *e != '(' && *e != '[') e++;
        return FAIL_AT(ps, name_at, "unknown instruction '%.*s'", (int)(e - name_at), name_at);
    }
    char *tag = NULL;
    if (*ps->p == '[') {
        const char *t0 = ++ps->p;
        while (*ps->p && *ps->p != ']' && *ps->p != '\n') ps->p++;
        if (*ps->p != ']') return FAIL_AT(ps, t0 - 1, "unterminated tag '['");
        tag = qp_malloc((size_t)(ps->p - t0) + 1);
        if (ps->p > t0) memcpy(tag, t0, (size_t)(ps->p - t0));
        tag[ps->p - t0] = 0;
        ps->p++;
    }
    double *args = NULL;
    size_t num_args = 0, cap_args = 0;
    uint64_t *targets = NULL;
    size_t num_targets = 0, cap_targets = 0;
    int rc = -1;
    skip_spaces(ps);
    if (*ps->p == '(') {
        ps->p++;
        for (;;) {
            skip_spaces(ps);
            const char *a0 = ps->p;
            if (num_args == 0 && *ps->p == ')') break;
            char *end;
            errno = 0;
            double v = strtod(ps->p, &end);
            if (end == ps->p || isspace((unsigned char)*ps->p)) {
                FAIL_AT(ps, a0, "expected a number");
                goto out;
            }
            if (v != v) {
                FAIL_AT(ps, a0, "argument is not a number");
                goto out;
            }
            ps->p = end;
            qp_grow(args, cap_args, num_args + 1);
            args[num_args++] = v;
            skip_spaces(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p == ')') break;
            FAIL_AT(ps, ps->p, "expected ',' or ')' in arguments");
            goto out;
        }
        ps->p++;
    }
    if (kind == QP_DEM_REPEAT) {
        skip_spaces(ps);
        if (num_args) {
            FAIL_AT(ps, name_at, "repeat takes no arguments");
            goto out;
        }
        uint64_t count;
        const char *c0 = ps->p;
        if (parse_uint(ps, UINT64_MAX, &count, "repeat count") < 0) goto out;
        if (count == 0) {
            FAIL_AT(ps, c0, "repeat count must be positive");
            goto out;
        }
        skip_spaces(ps);
        if (*ps->p != '{') {
            FAIL_AT(ps, ps->p, "expected '{' after repeat count");
            goto out;
        }
        ps->p++;
        skip_spaces(ps);
        if (!at_line_end(ps)) {
            FAIL_AT(ps, ps->p, "unexpected text after '{'");
            goto out;
        }
        if (depth >= 100) {
            FAIL_AT(ps, name_at, "repeat blocks nested too deeply");
            goto out;
        }
        uint32_t open_line = ps->line;
        qp_dem_instr *in = qp_dem_block_append(b, QP_DEM_REPEAT, NULL, 0, NULL, 0);
        in->tag = tag;
        tag = NULL;
        in->repeat_count = count;
        in->line = open_line;
        next_line(ps);
        rc = parse_block(ps, in->body, depth + 1, open_line);
        goto out;
    }
    for (;;) {
        skip_spaces(ps);
        if (at_line_end(ps)) break;
        const char *t0 = ps->p;
        uint64_t v;
        if (*ps->p == '^') {
            ps->p++;
            v = QP_DEM_SEPARATOR;
        } else if (*ps->p == 'D' || *ps->p == 'd') {
            ps->p++;
            if (parse_uint(ps, QP_DEM_OBS - 1, &v, "detector id") < 0) goto out;
        } else if (*ps->p == 'L' || *ps->p == 'l') {
            ps->p++;
            if (parse_uint(ps, UINT32_MAX - 1, &v, "observable id") < 0) goto out;
            v |= QP_DEM_OBS;
        } else if (isdigit((unsigned char)*ps->p)) {
            if (parse_uint(ps, QP_DEM_OBS - 1, &v, "integer") < 0) goto out;
            if (kind != QP_DEM_SHIFT_DETECTORS) {
                FAIL_AT(ps, t0, "plain integer target outside shift_detectors");
                goto out;
            }
            qp_grow(targets, cap_targets, num_targets + 1);
            targets[num_targets++] = v;
            if (!is_token_end(*ps->p)) {
                FAIL_AT(ps, ps->p, "unexpected character in target");
                goto out;
            }
            continue;
        } else {
            FAIL_AT(ps, t0, "expected a target (D<k>, L<k> or ^)");
            goto out;
        }
        if (!is_token_end(*ps->p)) {
            FAIL_AT(ps, ps->p, "unexpected character in target");
            goto out;
        }
        int is_sep = v == QP_DEM_SEPARATOR, is_obs = !is_sep && (v & QP_DEM_OBS);
        if (kind == QP_DEM_SHIFT_DETECTORS ||
            (kind == QP_DEM_DETECTOR && (is_sep || is_obs)) ||
            (kind == QP_DEM_LOGICAL_OBSERVABLE && !is_obs)) {
            FAIL_AT(ps, t0, "target not allowed here");
            goto out;
        }
        if (kind == QP_DEM_ERROR && is_sep &&
            (num_targets == 0 || targets[num_targets - 1] == QP_DEM_SEPARATOR)) {
            FAIL_AT(ps, t0, "misplaced '^' separator");
            goto out;
        }
        qp_grow(targets, cap_targets, num_targets + 1);
        targets[num_targets++] = v;
    }
    if (kind == QP_DEM_ERROR) {
        if (num_args != 1) {
            FAIL_AT(ps, name_at, "error takes exactly one probability argument");
            goto out;
        }
        if (!(args[0] >= 0 && args[0] <= 1)) {
            FAIL_AT(ps, name_at, "error probability %g is not in [0, 1]", args[0]);
            goto out;
        }
        if (num_targets && targets[num_targets - 1] == QP_DEM_SEPARATOR) {
            FAIL_AT(ps, ps->p, "'^' separator at end of error");
            goto out;
        }
    } else if (kind == QP_DEM_SHIFT_DETECTORS) {
        if (num_targets != 1) {
            FAIL_AT(ps, name_at, "shift_detectors takes exactly one integer target");
            goto out;
        }
    } else if (kind == QP_DEM_LOGICAL_OBSERVABLE && num_args) {
        FAIL_AT(ps, name_at, "logical_observable takes no arguments");
        goto out;
    }
    qp_dem_instr *in = qp_dem_block_append(b, (qp_dem_kind)kind, args, (uint32_t)num_args,
                                           targets, (uint32_t)num_targets);
    in->tag = tag;
    tag = NULL;
    in->line = ps->line;
    rc = 0;
out:
    free(args);
    free(targets);
    free(tag);
    return rc;
}

static int parse_block(parser *ps, qp_dem_block *b, int depth, uint32_t open_line) {
    for (;;) {
        skip_spaces(ps);
        if (*ps->p == 0) {
            if (depth > 0) {
                ps->line = open_line;
                ps->line_start = ps->p;
                qp_fail(ps->err, "repeat block opened here is never closed");
                return qp_fail_prefix(ps->err, "%s:%u:1", ps->name, open_line);
            }
            return 0;
        }
        if (at_line_end(ps)) {
            if (*ps->p == '#' || *ps->p == '\n') next_line(ps);
            continue;
        }
        int closed = 0;
        if (parse_instruction(ps, b, depth, &closed) < 0) return -1;
        if (closed) {
            next_line(ps);
            return 0;
        }
        // repeat bodies consume their own lines; other instructions end here.
        if (b->num_instrs && b->instrs[b->num_instrs - 1].kind == QP_DEM_REPEAT &&
            b->instrs[b->num_instrs - 1].line != ps->line)
            continue;
        skip_spaces(ps);
        if (!at_line_end(ps)) return FAIL_AT(ps, ps->p, "unexpected text");
        next_line(ps);
    }
}

int qp_dem_parse(qp_dem *d, const char *text, const char *source_name, qp_err *err) {
    qp_dem_init(d);
    parser ps = {text, text, text, source_name ? source_name : "<dem>", 1, err};
    if (parse_block(&ps, &d->top, 0, 0) < 0 || qp_dem_finalize_named(d, ps.name, err) < 0) {
        qp_dem_free(d);
        return -1;
    }
    return 0;
}

int qp_dem_parse_file(qp_dem *d, const char *path, qp_err *err) {
    qp_dem_init(d);
    size_t len;
    char *buf = qp_read_file(path, &len, err);
    if (!buf) return -1;
    if (memchr(buf, 0, len)) {
        size_t off = (size_t)((char *)memchr(buf, 0, len) - buf);
        free(buf);
        return qp_fail(err, "%s: byte offset %zu: NUL byte in text", path, off);
    }
    int rc = qp_dem_parse(d, buf, path, err);
    free(buf);
    return rc;
}
