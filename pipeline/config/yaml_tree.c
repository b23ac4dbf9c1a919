// YAML text -> qp_yaml_tree, from libyaml's event API (see yaml_tree.h for what is refused).
#include "pipeline/config/yaml_tree.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "workers/util/alloc.h"

static qp_yaml_node *new_node(qp_yaml_tree *t, qp_yaml_kind kind, const yaml_mark_t *mark) {
    qp_yaml_node *n = qp_calloc(1, sizeof *n);
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    qp_grow(t->all, t->cap_all, t->num_all + 1);
    t->all[t->num_all++] = n;
    return n;
}

// Adds `child` under `parent`: as an item of a SEQ, or as the next key or value of a MAP.
// MAP bookkeeping: `pending` marks that child[2n] holds a key whose value is still to come.
static int attach(qp_yaml_node *parent, int *pending, qp_yaml_node *child, const char *file, qp_err *err) {
    if (parent->kind == QP_YAML_SEQ) {
        qp_grow(parent->child, parent->cap, parent->n + 1);
        parent->child[parent->n++] = child;
        return 0;
    }
    if (*pending) {  // value for the pending key
        parent->child[2 * parent->n + 1] = child;
        parent->n++;
        *pending = 0;
        return 0;
    }
    if (child->kind != QP_YAML_SCALAR)
        return qp_fail(err, "%s:%d:%d: mapping keys must be plain names, got a %s", file, child->line, child->col,
                       child->kind == QP_YAML_SEQ ? "list" : "mapping");
    for (int i = 0; i < parent->n; i++) {
        const qp_yaml_node *k = parent->child[2 * i];
        if (k->len == child->len && memcmp(k->text, child->text, k->len) == 0)
            return qp_fail(err, "%s:%d:%d: duplicate key '%s' (first given at line %d, column %d)", file, child->line,
                           child->col, child->text, k->line, k->col);
    }
    qp_grow(parent->child, parent->cap, 2 * parent->n + 2);
    parent->child[2 * parent->n] = child;
    *pending = 1;
    return 0;
}

static int parser_error(const yaml_parser_t *p, const char *file, qp_err *err) {
    const char *problem = p->problem ? p->problem : "unknown error";
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR)  // encoding problems: libyaml gives a byte offset
        return qp_fail(err, "%s: byte %zu: malformed YAML: %s", file, p->problem_offset, problem);
    if (p->context)
        return qp_fail(err, "%s:%d:%d: malformed YAML: %s (%s at line %d, column %d)", file, line, col, problem,
                       p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return qp_fail(err, "%s:%d:%d: malformed YAML: %s", file, line, col, problem);
}

int qp_yaml_parse(qp_yaml_tree *tree, const char *text, size_t len, const char *file, qp_err *err) {
    memset(tree, 0, sizeof *tree);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return qp_fail(err, "%s: cannot initialise the YAML parser", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    qp_yaml_node *stack[QP_YAML_MAX_DEPTH];  // open collections, innermost last
    int pending[QP_YAML_MAX_DEPTH];          // per open MAP: a key awaits its value
    int depth = 0, documents = 0, rc = 0, done = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_error(&parser, file, err);
            break;
        }
        const yaml_mark_t *m = &ev.start_mark;
        qp_yaml_node *node = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = 1; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                rc = qp_fail(err, "%s:%d:%d: expected one YAML document, found a second one", file, (int)m->line + 1,
                             (int)m->column + 1);
            break;
        case YAML_ALIAS_EVENT:
            rc = qp_fail(err, "%s:%d:%d: aliases (*%s) are not supported in configs; write the value out", file,
                         (int)m->line + 1, (int)m->column + 1, (const char *)ev.data.alias.anchor);
            break;
        case YAML_SCALAR_EVENT:
            if (memchr(ev.data.scalar.value, 0, ev.data.scalar.length)) {
                rc = qp_fail(err, "%s:%d:%d: NUL character in a value", file, (int)m->line + 1, (int)m->column + 1);
                break;
            }
            node = new_node(tree, QP_YAML_SCALAR, m);
            node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            node->len = ev.data.scalar.length;
            node->text = qp_malloc(node->len + 1);
            memcpy(node->text, ev.data.scalar.value, node->len);
            node->text[node->len] = 0;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth == QP_YAML_MAX_DEPTH) {
                rc = qp_fail(err, "%s:%d:%d: nesting deeper than %d levels", file, (int)m->line + 1,
                             (int)m->column + 1, QP_YAML_MAX_DEPTH);
                break;
            }
            node = new_node(tree, ev.type == YAML_SEQUENCE_START_EVENT ? QP_YAML_SEQ : QP_YAML_MAP, m);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) depth--;
            break;
        default: break;  // stream start, document end
        }
        if (node && rc == 0) {
            if (depth == 0) {
                tree->root = node;
            } else {
                rc = attach(stack[depth - 1], &pending[depth - 1], node, file, err);
            }
            if (rc == 0 && node->kind != QP_YAML_SCALAR) {
                stack[depth] = node;
                pending[depth] = 0;
                depth++;
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc != 0) qp_yaml_free(tree);
    return rc;
}

void qp_yaml_free(qp_yaml_tree *tree) {
    for (int i = 0; i < tree->num_all; i++) {
        free(tree->all[i]->text);
        free(tree->all[i]->child);
        free(tree->all[i]);
    }
    free(tree->all);
    memset(tree, 0, sizeof *tree);
}

int qp_yaml_is_null(const qp_yaml_node *n) {
    if (!n || n->kind != QP_YAML_SCALAR || !n->plain) return 0;
    return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 || strcmp(n->text, "Null") == 0 ||
           strcmp(n->text, "NULL") == 0;
}

const qp_yaml_node *qp_yaml_map_get(const qp_yaml_node *map, const char *key) {
    if (!map || map->kind != QP_YAML_MAP) return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->child[2 * i]->text, key) == 0) return map->child[2 * i + 1];
    return NULL;
}

void qp_yaml_describe(const qp_yaml_node *n, char *buf, size_t cap) {
    if (!n || qp_yaml_is_null(n)) {
        snprintf(buf, cap, "null");
    } else if (n->kind == QP_YAML_SEQ) {
        snprintf(buf, cap, "a list");
    } else if (n->kind == QP_YAML_MAP) {
        snprintf(buf, cap, "a mapping");
    } else {
        const int shown = 40;
        snprintf(buf, cap, "%s '%.*s%s'", n->plain ? "" : "the quoted string", shown, n->text,
                 n->len > (size_t)shown ? "..." : "");
        if (n->plain) memmove(buf, buf + 1, strlen(buf));  // drop the leading space
    }
}
