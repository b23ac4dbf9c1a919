// Integer expressions of the code distance d, for `rounds:` ("d", "3*d", "2*d+1", "(d+1)/2").
//
// Grammar (whitespace allowed between tokens):
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '/') unary)*
//   unary   := ('+' | '-') unary | primary
//   primary := decimal integer | 'd' | '(' expr ')'
// Arithmetic is on int64; '/' is integer division rounding toward zero. Overflow, division by
// zero, nesting deeper than QP_EXPR_MAX_DEPTH and any other character are errors with the
// byte offset of the offending token. Nothing is evaluated outside this grammar.
#ifndef QP_CONFIG_EXPR_H
#define QP_CONFIG_EXPR_H

#include <stddef.h>
#include <stdint.h>

#define QP_EXPR_MAX_DEPTH 64

typedef struct {
    size_t offset;  // byte offset into the expression text where the problem is
    char msg[96];   // what was wrong / expected
} qp_expr_error;

// Evaluates NUL-terminated `text` with the variable d bound to `d`. Returns 0 and *out, or -1.
int qp_expr_eval(const char *text, int64_t d, int64_t *out, qp_expr_error *e);

#endif
