// Typed reading of config values from a qp_yaml_tree, with one-line errors of the form
//   "file:line:col: where: expected ..., got ..."
// where `where` is the key path ("experiments[1].noise.p"). Internal to pipeline/config.
//
// Scalar rules (documented for users in docs/config.md):
// - integers: plain (unquoted) decimal with optional '_' between digits ("1_000_000"), or 0x hex,
//   or an exponent form that is an exact integer ("1e6");
// - numbers: plain decimal or exponent form ("0.001", "1e-3"); no inf/nan;
// - booleans: plain true/false (also True/TRUE/False/FALSE);
// - strings: any scalar, quoted or not;
// - "a value or a list of values": a scalar, or a non-empty flow/block sequence of scalars.
#ifndef QP_CONFIG_FIELDS_H
#define QP_CONFIG_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/config/yaml_tree.h"
#include "workers/util/err.h"

typedef struct {
    const char *file;      // name used in messages
    const char *base_dir;  // directory that relative input paths are joined to ("" = as written)
    qp_err *err;
} qp_cfg_ctx;

// Formats "file:line:col: where: <fmt>" into ctx->err and returns -1. `at` may be NULL (no position).
int qp_cfg_fail(const qp_cfg_ctx *c, const qp_yaml_node *at, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// Checks `node` is a mapping ("expected a mapping with keys ...") and that all its keys are in
// `valid` (NULL-terminated); an unknown key's error lists the valid keys.
int qp_cfg_check_map(const qp_cfg_ctx *c, const qp_yaml_node *node, const char *where, const char *const *valid);

// map[key] unless absent or null (then NULL).
const qp_yaml_node *qp_cfg_get(const qp_yaml_node *map, const char *key);
// Like qp_cfg_get, but a missing key is an error at the mapping's position.
int qp_cfg_require(const qp_cfg_ctx *c, const qp_yaml_node *map, const char *where, const char *key,
                   const qp_yaml_node **out);

// Scalars. `where` names the key path for messages. Ranges are inclusive.
int qp_cfg_int(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, int64_t lo, int64_t hi, int64_t *out);
int qp_cfg_u64(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, uint64_t lo, uint64_t hi,
               uint64_t *out);
// A finite number in the range lo..hi; lo_open/hi_open make that end exclusive.
int qp_cfg_double(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, double lo, bool lo_open, double hi,
                  bool hi_open, double *out);
int qp_cfg_bool(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, bool *out);
// A string of at most cap-1 bytes (cap includes the NUL).
int qp_cfg_string(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, char *buf, size_t cap);
// One of `names` (NULL-terminated); *out gets its index.
int qp_cfg_enum(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, const char *const *names, int *out);

// "A value or a list of values": *count gets 1 for a scalar, the length for a list (1..QP_CONFIG_MAX_LIST).
// Mappings, empty lists and nested lists are errors. Item i is qp_cfg_item(n, i).
int qp_cfg_list(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, int *count);
const qp_yaml_node *qp_cfg_item(const qp_yaml_node *n, int i);

// A name made of [A-Za-z0-9_.-], 1..cap-1 bytes.
int qp_cfg_name(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, char *buf, size_t cap);
// A path (string, non-empty). With resolve, a relative path is joined to c->base_dir.
int qp_cfg_path(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, bool resolve, char *buf, size_t cap);
// A model path (resolved like an input path); a bare name that is no file there names a model
// shipped with qecpipe (pipeline/config/shipped.h) when one exists.
int qp_cfg_model_path(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, char *buf, size_t cap);

#endif
