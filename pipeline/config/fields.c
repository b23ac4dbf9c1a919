// Typed readers for config values (rules in fields.h).
#include "pipeline/config/fields.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/config/config.h"
#include "pipeline/config/shipped.h"

int qp_cfg_fail(const qp_cfg_ctx *c, const qp_yaml_node *at, const char *where, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *sep = where && *where ? ": " : "";
    if (!where) where = "";
    if (at) return qp_fail(c->err, "%s:%d:%d: %s%s%s", c->file, at->line, at->col, where, sep, msg);
    return qp_fail(c->err, "%s: %s%s%s", c->file, where, sep, msg);
}

static int expected(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, const char *what) {
    char got[96];
    qp_yaml_describe(n, got, sizeof got);
    return qp_cfg_fail(c, n, where, "expected %s, got %s", what, got);
}

int qp_cfg_check_map(const qp_cfg_ctx *c, const qp_yaml_node *node, const char *where, const char *const *valid) {
    if (!node || node->kind != QP_YAML_MAP) {
        char what[512] = "a mapping with keys ";
        for (int i = 0; valid[i]; i++) {
            strncat(what, valid[i], sizeof what - strlen(what) - 1);
            if (valid[i + 1]) strncat(what, ", ", sizeof what - strlen(what) - 1);
        }
        return expected(c, node, where, what);
    }
    for (int i = 0; i < node->n; i++) {
        const qp_yaml_node *key = node->child[2 * i];
        int known = 0;
        for (int k = 0; valid[k] && !known; k++) known = strcmp(valid[k], key->text) == 0;
        if (!known) {
            char list[512] = "";
            for (int k = 0; valid[k]; k++) {
                strncat(list, valid[k], sizeof list - strlen(list) - 1);
                if (valid[k + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return qp_cfg_fail(c, key, where, "unknown key '%.64s' (valid keys: %s)", key->text, list);
        }
    }
    return 0;
}

const qp_yaml_node *qp_cfg_get(const qp_yaml_node *map, const char *key) {
    const qp_yaml_node *v = qp_yaml_map_get(map, key);
    return v && !qp_yaml_is_null(v) ? v : NULL;
}

int qp_cfg_require(const qp_cfg_ctx *c, const qp_yaml_node *map, const char *where, const char *key,
                   const qp_yaml_node **out) {
    *out = qp_cfg_get(map, key);
    if (*out) return 0;
    for (int i = 0; map && map->kind == QP_YAML_MAP && i < map->n; i++)  // present but null: point at the key
        if (strcmp(map->child[2 * i]->text, key) == 0)
            return qp_cfg_fail(c, map->child[2 * i], where, "required key '%s' has no value", key);
    return qp_cfg_fail(c, map, where, "missing required key '%s'", key);
}

// Parses an integer literal (rules in fields.h) into sign and magnitude.
// Returns 0, -1 (not an integer) or -2 (too large for 64 bits).
static int parse_integer(const char *s, int *neg, uint64_t *mag) {
    char buf[80];
    size_t n = 0;
    *neg = 0;
    if (*s == '+' || *s == '-') *neg = *s++ == '-';
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '_') {  // only between two digits
            if (i == 0 || !s[i + 1] || s[i - 1] == '_' || s[i + 1] == '_') return -1;
            continue;
        }
        if (n + 1 >= sizeof buf) return -2;
        buf[n++] = s[i];
    }
    buf[n] = 0;
    if (n == 0) return -1;
    if (n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
        uint64_t v = 0;
        for (size_t i = 2; i < n; i++) {
            int dgt;
            char ch = buf[i];
            if (ch >= '0' && ch <= '9') dgt = ch - '0';
            else if (ch >= 'a' && ch <= 'f') dgt = ch - 'a' + 10;
            else if (ch >= 'A' && ch <= 'F') dgt = ch - 'A' + 10;
            else return -1;
            if (v >> 60) return -2;
            v = v * 16 + (uint64_t)dgt;
        }
        *mag = v;
        return 0;
    }
    int all_digits = 1;
    for (size_t i = 0; i < n; i++) all_digits &= buf[i] >= '0' && buf[i] <= '9';
    if (all_digits) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(buf[i] - '0'), &v))
                return -2;
        *mag = v;
        return 0;
    }
    // Exponent form such as 1e6 or 2.5e5: accepted when it is an exact integer up to 2^53.
    int has_e = strchr(buf, 'e') || strchr(buf, 'E');
    if (!has_e || !((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '.')) return -1;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || errno || !isfinite(d)) return -1;
    if (d != floor(d)) return -1;
    if (d > 9007199254740992.0) return -2;
    *mag = (uint64_t)d;
    return 0;
}

int qp_cfg_int(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, int64_t lo, int64_t hi, int64_t *out) {
    char what[96];
    snprintf(what, sizeof what, "an integer in %lld..%lld", (long long)lo, (long long)hi);
    if (!n || n->kind != QP_YAML_SCALAR || !n->plain || qp_yaml_is_null(n)) return expected(c, n, where, what);
    int neg;
    uint64_t mag;
    int rc = parse_integer(n->text, &neg, &mag);
    if (rc == -1) return expected(c, n, where, what);
    if (rc == -2 || mag > (uint64_t)INT64_MAX)
        return qp_cfg_fail(c, n, where, "%.40s is out of range (expected %lld..%lld)", n->text, (long long)lo,
                           (long long)hi);
    int64_t v = neg ? -(int64_t)mag : (int64_t)mag;
    if (v < lo || v > hi)
        return qp_cfg_fail(c, n, where, "%lld is out of range (expected %lld..%lld)", (long long)v, (long long)lo,
                           (long long)hi);
    *out = v;
    return 0;
}

int qp_cfg_u64(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, uint64_t lo, uint64_t hi,
               uint64_t *out) {
    char what[96];
    snprintf(what, sizeof what, "a non-negative integer in %llu..%llu", (unsigned long long)lo,
             (unsigned long long)hi);
    if (!n || n->kind != QP_YAML_SCALAR || !n->plain || qp_yaml_is_null(n)) return expected(c, n, where, what);
    int neg;
    uint64_t mag;
    int rc = parse_integer(n->text, &neg, &mag);
    if (rc == -1) return expected(c, n, where, what);
    if (rc == -2)
        return qp_cfg_fail(c, n, where, "%.40s is out of range (expected %llu..%llu)", n->text,
                           (unsigned long long)lo, (unsigned long long)hi);
    if ((neg && mag != 0) || mag < lo || mag > hi)
        return qp_cfg_fail(c, n, where, "%s%llu is out of range (expected %llu..%llu)", neg ? "-" : "",
                           (unsigned long long)mag, (unsigned long long)lo, (unsigned long long)hi);
    *out = mag;
    return 0;
}

int qp_cfg_double(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, double lo, bool lo_open, double hi,
                  bool hi_open, double *out) {
    char range[96], what[128];
    snprintf(range, sizeof range, "%s%g, %g%s", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
    snprintf(what, sizeof what, "a number in %s", range);
    if (!n || n->kind != QP_YAML_SCALAR || !n->plain || qp_yaml_is_null(n)) return expected(c, n, where, what);
    const char *s = n->text;
    const char *digits = s + (*s == '+' || *s == '-');
    int ok = (digits[0] >= '0' && digits[0] <= '9') || (digits[0] == '.' && digits[1] >= '0' && digits[1] <= '9');
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) ok = 0;  // no hex floats
    char *end = NULL;
    double v = 0;
    if (ok) {
        errno = 0;
        v = strtod(s, &end);
        ok = *end == 0 && isfinite(v);
    }
    if (!ok) return expected(c, n, where, what);
    if (v < lo || v > hi || (lo_open && v == lo) || (hi_open && v == hi))
        return qp_cfg_fail(c, n, where, "%.40s is out of range (expected a number in %s)", n->text, range);
    *out = v;
    return 0;
}

int qp_cfg_bool(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, bool *out) {
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False", "FALSE"};
    if (n && n->kind == QP_YAML_SCALAR && n->plain) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(n->text, yes[i]) == 0) return *out = true, 0;
            if (strcmp(n->text, no[i]) == 0) return *out = false, 0;
        }
    }
    return expected(c, n, where, "true or false");
}

int qp_cfg_string(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, char *buf, size_t cap) {
    if (!n || n->kind != QP_YAML_SCALAR || qp_yaml_is_null(n)) return expected(c, n, where, "a string");
    if (n->len >= cap) return qp_cfg_fail(c, n, where, "string longer than %zu bytes", cap - 1);
    memcpy(buf, n->text, n->len + 1);
    return 0;
}

int qp_cfg_enum(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, const char *const *names, int *out) {
    char what[256] = "one of ";
    for (int i = 0; names[i]; i++) {
        strncat(what, names[i], sizeof what - strlen(what) - 1);
        if (names[i + 1]) strncat(what, ", ", sizeof what - strlen(what) - 1);
    }
    if (n && n->kind == QP_YAML_SCALAR) {
        for (int i = 0; names[i]; i++)
            if (strcmp(n->text, names[i]) == 0) return *out = i, 0;
    }
    return expected(c, n, where, what);
}

int qp_cfg_list(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, int *count) {
    if (n && n->kind == QP_YAML_SCALAR) return *count = 1, 0;
    if (!n || n->kind != QP_YAML_SEQ) return expected(c, n, where, "a value or a list of values");
    if (n->n == 0) return qp_cfg_fail(c, n, where, "expected a value or a non-empty list, got an empty list");
    if (n->n > QP_CONFIG_MAX_LIST)
        return qp_cfg_fail(c, n, where, "list of %d values is longer than the limit of %d", n->n, QP_CONFIG_MAX_LIST);
    for (int i = 0; i < n->n; i++)
        if (n->child[i]->kind != QP_YAML_SCALAR)
            return expected(c, n->child[i], where, "a single value as list item");
    *count = n->n;
    return 0;
}

const qp_yaml_node *qp_cfg_item(const qp_yaml_node *n, int i) { return n->kind == QP_YAML_SEQ ? n->child[i] : n; }

int qp_cfg_name(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, char *buf, size_t cap) {
    if (qp_cfg_string(c, n, where, buf, cap) != 0) return -1;
    if (!buf[0]) return qp_cfg_fail(c, n, where, "expected a non-empty name");
    for (const char *s = buf; *s; s++) {
        int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
                 *s == '.' || *s == '-';
        if (!ok) {  // name the whole UTF-8 character, not its first byte
            unsigned char lead = (unsigned char)*s;
            int len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
            for (int k = 1; k < len; k++)
                if (((unsigned char)s[k] & 0xc0) != 0x80) len = k;  // stops at the string's end too
            return qp_cfg_fail(c, n, where, "character '%.*s' not allowed in a name (use letters, digits, '_', '.', '-')",
                               len, s);
        }
    }
    return 0;
}

int qp_cfg_path(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, bool resolve, char *buf, size_t cap) {
    if (qp_cfg_string(c, n, where, buf, cap) != 0) return -1;
    if (!buf[0]) return qp_cfg_fail(c, n, where, "expected a non-empty path");
    const char *base = c->base_dir;
    if (!resolve || buf[0] == '/' || !base || !base[0]) return 0;
    size_t nb = strlen(base), np = strlen(buf), sep = base[nb - 1] != '/';
    if (nb + sep + np >= cap) return qp_cfg_fail(c, n, where, "path longer than %zu bytes", cap - 1);
    memmove(buf + nb + sep, buf, np + 1);
    memcpy(buf, base, nb);
    if (sep) buf[nb] = '/';
    return 0;
}

int qp_cfg_model_path(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, char *buf, size_t cap) {
    char name[QP_CONFIG_PATH_MAX], dir[4096];
    if (qp_cfg_path(c, n, where, true, buf, cap) != 0) return -1;
    if (access(buf, F_OK) == 0 || qp_cfg_string(c, n, where, name, sizeof name) != 0) return 0;
    if (qp_shipped_dir(dir, sizeof dir) == 0) qp_shipped_lookup(dir, QP_SHIPPED_MODEL, name, buf, cap);
    return 0;
}
