// Recursive-descent evaluator for rounds expressions (grammar in expr.h).
#include "pipeline/config/expr.h"

#include <stdio.h>

typedef struct {
    const char *s;
    size_t pos;
    int64_t d;
    int depth;
    qp_expr_error *e;
} expr_parser;

static int fail_at(expr_parser *p, size_t at, const char *msg) {
    p->e->offset = at;
    snprintf(p->e->msg, sizeof p->e->msg, "%s", msg);
    return -1;
}

static void skip_space(expr_parser *p) {
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t') p->pos++;
}

static int parse_expr(expr_parser *p, int64_t *out);

static int parse_primary(expr_parser *p, int64_t *out) {
    skip_space(p);
    char c = p->s[p->pos];
    if (c >= '0' && c <= '9') {
        size_t start = p->pos;
        int64_t v = 0;
        while (p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, p->s[p->pos] - '0', &v))
                return fail_at(p, start, "integer too large");
            p->pos++;
        }
        *out = v;
        return 0;
    }
    if (c == 'd') {
        p->pos++;
        char n = p->s[p->pos];
        if ((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9') || n == '_')
            return fail_at(p, p->pos - 1, "unknown name (the only variable is d)");
        *out = p->d;
        return 0;
    }
    if (c == '(') {
        p->pos++;
        if (parse_expr(p, out) != 0) return -1;
        skip_space(p);
        if (p->s[p->pos] != ')') return fail_at(p, p->pos, "expected ')'");
        p->pos++;
        return 0;
    }
    if (c == 0) return fail_at(p, p->pos, "expected a number, d or '(' but the expression ended");
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return fail_at(p, p->pos, "unknown name (the only variable is d)");
    return fail_at(p, p->pos, "expected a number, d or '('");
}

static int parse_unary(expr_parser *p, int64_t *out) {
    skip_space(p);
    char c = p->s[p->pos];
    if (c != '+' && c != '-') {
        if (++p->depth > QP_EXPR_MAX_DEPTH) return fail_at(p, p->pos, "expression nested too deeply");
        int rc = parse_primary(p, out);
        p->depth--;
        return rc;
    }
    size_t at = p->pos++;
    if (++p->depth > QP_EXPR_MAX_DEPTH) return fail_at(p, at, "expression nested too deeply");
    int64_t v;
    int rc = parse_unary(p, &v);
    p->depth--;
    if (rc != 0) return -1;
    if (c == '-' && __builtin_sub_overflow((int64_t)0, v, &v)) return fail_at(p, at, "integer overflow");
    *out = v;
    return 0;
}

static int parse_term(expr_parser *p, int64_t *out) {
    int64_t acc;
    if (parse_unary(p, &acc) != 0) return -1;
    for (;;) {
        skip_space(p);
        char op = p->s[p->pos];
        if (op != '*' && op != '/') break;
        size_t at = p->pos++;
        int64_t rhs;
        if (parse_unary(p, &rhs) != 0) return -1;
        if (op == '*') {
            if (__builtin_mul_overflow(acc, rhs, &acc)) return fail_at(p, at, "integer overflow");
        } else {
            if (rhs == 0) return fail_at(p, at, "division by zero");
            if (acc == INT64_MIN && rhs == -1) return fail_at(p, at, "integer overflow");
            acc /= rhs;
        }
    }
    *out = acc;
    return 0;
}

static int parse_expr(expr_parser *p, int64_t *out) {
    if (++p->depth > QP_EXPR_MAX_DEPTH) return fail_at(p, p->pos, "expression nested too deeply");
    int64_t acc;
    if (parse_term(p, &acc) != 0) return -1;
    for (;;) {
        skip_space(p);
        char op = p->s[p->pos];
        if (op != '+' && op != '-') break;
        size_t at = p->pos++;
        int64_t rhs;
        if (parse_term(p, &rhs) != 0) return -1;
        int overflow = op == '+' ? __builtin_add_overflow(acc, rhs, &acc) : __builtin_sub_overflow(acc, rhs, &acc);
        if (overflow) return fail_at(p, at, "integer overflow");
    }
    p->depth--;
    *out = acc;
    return 0;
}

int qp_expr_eval(const char *text, int64_t d, int64_t *out, qp_expr_error *e) {
    expr_parser p = {.s = text, .pos = 0, .d = d, .depth = 0, .e = e};
    skip_space(&p);
    if (text[p.pos] == 0) return fail_at(&p, p.pos, "empty expression");
    int64_t v;
    if (parse_expr(&p, &v) != 0) return -1;
    skip_space(&p);
    if (text[p.pos] != 0) {
        return fail_at(&p, p.pos, text[p.pos] == ')' ? "unmatched ')'" : "expected an operator (+ - * /) or the end");
    }
    *out = v;
    return 0;
}
