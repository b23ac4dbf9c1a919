// A YAML document as a small tree with source positions, built from libyaml's event stream.
// It keeps only what a config needs: scalars (with whether they were quoted), sequences and
// mappings, each with the 1-based line:column of its first character.
//
// Deliberately refused, each with one "file:line:col: ..." error:
// - aliases (*name): configs are small, and aliases make positions ambiguous and allow
//   exponential blow-up; anchors alone are accepted and ignored;
// - duplicate mapping keys, and keys that are not scalars;
// - more than one document in the stream; nesting deeper than QP_YAML_MAX_DEPTH;
// - scalars containing a NUL character.
// Malformed YAML reports libyaml's problem and problem_mark.
#ifndef QP_CONFIG_YAML_TREE_H
#define QP_CONFIG_YAML_TREE_H

#include <stddef.h>

#include "workers/util/err.h"

#define QP_YAML_MAX_DEPTH 32

typedef enum { QP_YAML_SCALAR, QP_YAML_SEQ, QP_YAML_MAP } qp_yaml_kind;

typedef struct qp_yaml_node qp_yaml_node;
struct qp_yaml_node {
    qp_yaml_kind kind;
    int line, col;          // 1-based position of the node's first character (a quote, for quoted scalars)
    int plain;              // scalar: 1 if written unquoted (plain style), 0 if quoted or block
    char *text;             // scalar: its value, NUL-terminated; NULL for SEQ and MAP
    size_t len;             // scalar: strlen(text)
    qp_yaml_node **child;   // SEQ: (n,) items. MAP: (2n,) key0, value0, key1, value1, ...
    int n;                  // SEQ: item count. MAP: pair count
    int cap;                // allocated length of child
};

typedef struct {
    qp_yaml_node *root;     // the document's root node; NULL for an empty stream
    qp_yaml_node **all;     // (num_all,) every node, so freeing needs no recursion
    int num_all, cap_all;
} qp_yaml_tree;

// Parses text[0..len) (`file` names it in messages). On failure the tree is freed and zeroed.
int qp_yaml_parse(qp_yaml_tree *tree, const char *text, size_t len, const char *file, qp_err *err);
void qp_yaml_free(qp_yaml_tree *tree);

// 1 for a null scalar: plain "", "~", "null", "Null", "NULL".
int qp_yaml_is_null(const qp_yaml_node *n);

// The value stored under `key` in a mapping, or NULL when absent. Does not test for null values.
const qp_yaml_node *qp_yaml_map_get(const qp_yaml_node *map, const char *key);

// "a string 'abc'", "a list", "a mapping", "null": for "expected X, got Y" messages.
void qp_yaml_describe(const qp_yaml_node *n, char *buf, size_t cap);

#endif
