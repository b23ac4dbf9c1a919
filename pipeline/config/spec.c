// The circuit spec shared by experiments entries and the train section: either a generated
// memory experiment (code: surface or repetition; distance, rounds, basis, noise) or a circuit file.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/config/expr.h"
#include "pipeline/config/sections.h"

static const char *const code_names[] = {"surface", "repetition", NULL};  // index: qp_code below
static const char *const basis_names[] = {"x", "z", NULL};
static const char *const noise_names[] = {"uniform", "si1000", NULL};  // index + 1 = qp_noise_model

// The file name of `path` without directories and without a ".stim" suffix, when it is a valid name.
static void circuit_stem(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".stim") == 0) n -= 5;
    out[0] = 0;
    if (n == 0 || n >= cap) return;
    for (size_t i = 0; i < n; i++) {
        char ch = base[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '.' || ch == '-'))
            return;
    }
    memcpy(out, base, n);
    out[n] = 0;
}

static int parse_circuit(const qp_cfg_ctx *c, const qp_yaml_node *entry, const char *where, qp_cfg_spec *spec) {
    static const char *const excluded[] = {"code", "distance", "rounds", "basis", "noise"};
    for (int k = 0; k < 5; k++) {
        const qp_yaml_node *v = qp_yaml_map_get(entry, excluded[k]);
        if (v)
            return qp_cfg_fail(c, v, where,
                               "'%s' cannot be combined with 'circuit' (a circuit file fixes its code, distance, "
                               "rounds, basis and noise)",
                               excluded[k]);
    }
    char key[256];
    snprintf(key, sizeof key, "%s.circuit", where);
    spec->code = QP_CODE_CIRCUIT;
    spec->circuit_node = qp_cfg_get(entry, "circuit");
    if (qp_cfg_path(c, spec->circuit_node, key, true, spec->circuit, sizeof spec->circuit) != 0) return -1;
    circuit_stem(spec->circuit, spec->circuit_stem, sizeof spec->circuit_stem);
    return 0;
}

static int parse_distances(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *key, qp_cfg_spec *spec) {
    if (qp_cfg_list(c, n, key, &spec->num_distance) != 0) return -1;
    for (int i = 0; i < spec->num_distance; i++) {
        const qp_yaml_node *item = qp_cfg_item(n, i);
        int64_t d;
        if (qp_cfg_int(c, item, key, INT32_MIN, INT32_MAX, &d) != 0) return -1;
        int rep = spec->code == QP_CODE_REPETITION;  // a repetition code takes any distance >= 2
        if (d < (rep ? 2 : 3) || d > QP_CONFIG_MAX_DISTANCE)
            return qp_cfg_fail(c, item, key, "distance %lld is out of range (expected %s integer in %d..%d)",
                               (long long)d, rep ? "an" : "an odd", rep ? 2 : 3, QP_CONFIG_MAX_DISTANCE);
        if (!rep && d % 2 == 0)
            return qp_cfg_fail(c, item, key,
                               "even distance %lld (a rotated surface-code memory needs an odd distance >= 3)",
                               (long long)d);
        for (int j = 0; j < i; j++)
            if (spec->distance[j] == d) return qp_cfg_fail(c, item, key, "distance %lld is listed twice", (long long)d);
        spec->distance[i] = (int)d;
    }
    return 0;
}

// Reads a list of enum values with no repeats; out[i] = index into names. `max` (the capacity of
// out) must be at least the number of names, so a list without repeats always fits.
static int parse_enum_list(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *key, const char *const *names,
                           int max, int *out, int *count) {
    if (qp_cfg_list(c, n, key, count) != 0) return -1;
    for (int i = 0; i < *count; i++) {
        const qp_yaml_node *item = qp_cfg_item(n, i);
        int v;
        if (qp_cfg_enum(c, item, key, names, &v) != 0) return -1;
        for (int j = 0; j < i; j++)
            if (out[j] == v) return qp_cfg_fail(c, item, key, "'%s' is listed twice", names[v]);
        if (i >= max) return qp_cfg_fail(c, item, key, "too many values");  // unreachable without repeats
        out[i] = v;
    }
    return 0;
}

// noise.leakage: {p: P, mean_rounds: R} (workers/sim/frame_leak.h), single values.
static int parse_leakage(const qp_cfg_ctx *c, const qp_yaml_node *leak, const char *nwhere, qp_cfg_spec *spec) {
    static const char *const keys[] = {"p", "mean_rounds", NULL};
    char lwhere[300], key[320];
    snprintf(lwhere, sizeof lwhere, "%s.leakage", nwhere);
    if (qp_cfg_check_map(c, leak, lwhere, keys) != 0) return -1;
    const qp_yaml_node *p, *m;
    if (qp_cfg_require(c, leak, lwhere, "p", &p) != 0) return -1;
    if (qp_cfg_require(c, leak, lwhere, "mean_rounds", &m) != 0) return -1;
    snprintf(key, sizeof key, "%s.p", lwhere);
    if (qp_cfg_double(c, p, key, 0.0, false, 1.0, false, &spec->leak_p) != 0) return -1;
    snprintf(key, sizeof key, "%s.mean_rounds", lwhere);
    if (qp_cfg_double(c, m, key, 1.0, false, 1e12, false, &spec->leak_mean_rounds) != 0) return -1;
    if (spec->leak_p == 0) spec->leak_mean_rounds = 0;  // off: the experiment as without the key
    return 0;
}

// noise.readout: {snr: S, t1_over_tint: T} (T may be .inf/inf: no decay), the analog readout
// model of workers/sim/readout_model.h.
static int parse_readout(const qp_cfg_ctx *c, const qp_yaml_node *ro, const char *nwhere, qp_cfg_spec *spec) {
    static const char *const keys[] = {"snr", "t1_over_tint", NULL};
    char rwhere[300], key[320];
    snprintf(rwhere, sizeof rwhere, "%s.readout", nwhere);
    if (qp_cfg_check_map(c, ro, rwhere, keys) != 0) return -1;
    const qp_yaml_node *snr, *t1;
    if (qp_cfg_require(c, ro, rwhere, "snr", &snr) != 0 || qp_cfg_require(c, ro, rwhere, "t1_over_tint", &t1) != 0)
        return -1;
    snprintf(key, sizeof key, "%s.snr", rwhere);
    if (qp_cfg_double(c, snr, key, 0.0, true, 1e6, false, &spec->readout_snr) != 0) return -1;
    snprintf(key, sizeof key, "%s.t1_over_tint", rwhere);
    const char *t = t1->text ? t1->text : "";
    if (strcmp(t, ".inf") == 0 || strcmp(t, "inf") == 0 || strcmp(t, ".Inf") == 0 || strcmp(t, ".INF") == 0)
        spec->readout_t1 = INFINITY;
    else if (qp_cfg_double(c, t1, key, 0.0, true, 1e300, false, &spec->readout_t1) != 0)
        return -1;
    return 0;
}

int qp_cfg_parse_noise(const qp_cfg_ctx *c, const qp_yaml_node *noise, const char *where, qp_cfg_spec *spec) {
    static const char *const keys[] = {"model", "p", "leakage", "readout", NULL};
    char nwhere[256], key[300];
    snprintf(nwhere, sizeof nwhere, "%s.noise", where);
    if (qp_cfg_check_map(c, noise, nwhere, keys) != 0) return -1;
    const qp_yaml_node *model, *p;
    if (qp_cfg_require(c, noise, nwhere, "model", &model) != 0) return -1;
    if (qp_cfg_require(c, noise, nwhere, "p", &p) != 0) return -1;
    int idx[2];
    snprintf(key, sizeof key, "%s.model", nwhere);
    if (parse_enum_list(c, model, key, noise_names, 2, idx, &spec->num_noise) != 0) return -1;
    int si1000 = 0;
    for (int i = 0; i < spec->num_noise; i++) {
        spec->noise[i] = (qp_noise_model)(idx[i] + 1);
        si1000 |= spec->noise[i] == QP_NOISE_SI1000;
    }
    snprintf(key, sizeof key, "%s.p", nwhere);
    if (qp_cfg_list(c, p, key, &spec->num_p) != 0) return -1;
    for (int i = 0; i < spec->num_p; i++) {
        const qp_yaml_node *item = qp_cfg_item(p, i);
        if (qp_cfg_double(c, item, key, 0.0, true, 0.5, true, &spec->p[i]) != 0) return -1;
        if (si1000 && spec->p[i] >= 0.1)
            return qp_cfg_fail(c, item, key,
                               "%s is out of range for si1000 (expected a number in (0, 0.1): its measurement flip "
                               "probability is 5p)",
                               item->text);
        for (int j = 0; j < i; j++)
            if (spec->p[j] == spec->p[i]) return qp_cfg_fail(c, item, key, "p = %s is listed twice", item->text);
    }
    const qp_yaml_node *ro = qp_cfg_get(noise, "readout");
    if (ro && parse_readout(c, ro, nwhere, spec) != 0) return -1;
    const qp_yaml_node *leak = qp_cfg_get(noise, "leakage");
    return leak ? parse_leakage(c, leak, nwhere, spec) : 0;
}

int qp_cfg_parse_spec(const qp_cfg_ctx *c, const qp_yaml_node *entry, const char *where, qp_cfg_spec *spec) {
    memset(spec, 0, sizeof *spec);
    if (qp_cfg_get(entry, "circuit")) return parse_circuit(c, entry, where, spec);
    char key[300];
    const qp_yaml_node *code = qp_cfg_get(entry, "code");
    if (!code) return qp_cfg_fail(c, entry, where, "missing required key 'code' (or give 'circuit: FILE.stim')");
    int idx[2];
    snprintf(key, sizeof key, "%s.code", where);
    if (qp_cfg_enum(c, code, key, code_names, &idx[0]) != 0) return -1;
    spec->code = idx[0] == 1 ? QP_CODE_REPETITION : QP_CODE_SURFACE;

    const qp_yaml_node *n;
    if (qp_cfg_require(c, entry, where, "distance", &n) != 0) return -1;
    snprintf(key, sizeof key, "%s.distance", where);
    if (parse_distances(c, n, key, spec) != 0) return -1;

    n = qp_cfg_get(entry, "rounds");
    snprintf(key, sizeof key, "%s.rounds", where);
    if (!n) {
        spec->num_rounds = 1;
        spec->rounds[0] = NULL;
    } else {
        if (qp_cfg_list(c, n, key, &spec->num_rounds) != 0) return -1;
        for (int i = 0; i < spec->num_rounds; i++) {
            spec->rounds[i] = qp_cfg_item(n, i);
            int r;  // check the syntax now, at the first distance
            if (qp_cfg_spec_rounds(c, spec, where, i, spec->distance[0], &r) != 0) return -1;
        }
    }

    snprintf(key, sizeof key, "%s.basis", where);
    if (spec->code == QP_CODE_REPETITION && !qp_cfg_get(entry, "basis")) {
        spec->num_basis = 1;  // a repetition code protects a Z observable
        spec->basis[0] = QP_BASIS_Z;
    } else {
        if (qp_cfg_require(c, entry, where, "basis", &n) != 0) return -1;
        if (parse_enum_list(c, n, key, basis_names, 2, idx, &spec->num_basis) != 0) return -1;
        for (int i = 0; i < spec->num_basis; i++) spec->basis[i] = (qp_basis)idx[i];
        if (spec->code == QP_CODE_REPETITION && (spec->num_basis != 1 || spec->basis[0] != QP_BASIS_Z))
            return qp_cfg_fail(c, n, key, "a repetition code is a Z-basis memory (basis: z, or leave it out)");
    }

    if (qp_cfg_require(c, entry, where, "noise", &n) != 0) return -1;
    if (qp_cfg_parse_noise(c, n, where, spec) != 0) return -1;
    for (int i = 0; i < spec->num_noise; i++)
        if (spec->code == QP_CODE_REPETITION && spec->noise[i] != QP_NOISE_UNIFORM)
            return qp_cfg_fail(c, qp_cfg_get(n, "model"), where, "a repetition code takes noise model uniform only");
    return 0;
}

int qp_cfg_spec_rounds(const qp_cfg_ctx *c, const qp_cfg_spec *spec, const char *where, int i, int d, int *rounds) {
    const qp_yaml_node *n = spec->rounds[i];
    if (!n) return *rounds = d, 0;
    char key[300];
    snprintf(key, sizeof key, "%s.rounds", where);
    if (n->kind != QP_YAML_SCALAR || qp_yaml_is_null(n))
        return qp_cfg_fail(c, n, key, "expected an integer or an expression of d such as \"3*d\"");
    int64_t v;
    qp_expr_error e;
    if (qp_expr_eval(n->text, d, &v, &e) != 0) {
        // Point at the offending character when the scalar sits on one line.
        qp_yaml_node at = *n;
        if (!memchr(n->text, '\n', n->len)) at.col += (int)e.offset + (n->plain ? 0 : 1);
        return qp_cfg_fail(c, &at, key, "in rounds expression '%.64s' (d=%d): %s", n->text, d, e.msg);
    }
    if (v < 1 || v > QP_CONFIG_MAX_ROUNDS)
        return qp_cfg_fail(c, n, key, "rounds '%.64s' is %lld at d=%d (expected 1..%d)", n->text, (long long)v, d,
                           QP_CONFIG_MAX_ROUNDS);
    *rounds = (int)v;
    return 0;
}
