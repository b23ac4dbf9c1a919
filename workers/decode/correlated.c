// Correlated matching: rule table from the DEM's decompositions, then two sparse-blossom passes
// per shot, the second on the same graph with the implied edges' weights lowered in place for
// that shot and restored after it. See correlated.h for the rule.
#include "workers/decode/correlated.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/decode/mwpm.h"
#include "workers/util/alloc.h"

typedef struct {
    uint32_t a, b;  // a < b, or b = QP_MG_BOUNDARY
} edge_key;

typedef struct {
    uint32_t cause, effect;  // edge ids
    double p;                // joint probability
} joint_entry;

// Where an edge's integer weight lives in the graph: both adjacency entries of a detector pair
// (w[1] = NULL for a boundary edge, whose weight is boundary_weight[a]).
typedef struct {
    int64_t *w[2];
} weight_slots;

typedef struct {
    int64_t *at;
    int64_t old;
} saved_weight;

struct qp_correlated {
    qp_matching_graph graph;  // its weights are lowered during a second pass, then restored
    qp_mwpm *mwpm;
    // Every edge named by a DEM component, sorted by (a, b); an edge's id is its index.
    edge_key *keys;            // (num_keys)
    size_t num_keys;
    // The edge id of each weight slot: adjacency index k (< num_adj), or num_adj + v for v's
    // boundary edge; -1 when no rule has that edge as its cause.
    int32_t *slot_cause;       // (num_adj + num_detectors)
    // Rules in CSR form by the used ("cause") edge: rules of edge c are
    // rule_at[rule_start[c] .. rule_start[c+1]), lowering that edge to rule_weight[...].
    size_t *rule_start;        // (num_keys + 1)
    weight_slots *rule_at;     // (num_rules) where the implied edge's weight lives
    int64_t *rule_weight;      // (num_rules) its implied integer weight (even, >= 0)
    // Per-shot scratch.
    uint32_t *events;                              // (num_detectors) detection events after the base flip
    saved_weight *saved; size_t saved_len, saved_cap;  // weights lowered in this shot, in order
};

static double xor_prob(double p, double q) { return p * (1 - q) + q * (1 - p); }

static int cmp_key(const void *x, const void *y) {
    const edge_key *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    return 0;
}

static int cmp_joint(const void *x, const void *y) {
    const joint_entry *a = x, *b = y;
    if (a->cause != b->cause) return a->cause < b->cause ? -1 : 1;
    if (a->effect != b->effect) return a->effect < b->effect ? -1 : 1;
    return 0;
}

static edge_key norm_key(uint32_t a, uint32_t b) {
    edge_key k = {a, b};
    if (b != QP_MG_BOUNDARY && a > b) {
        k.a = b;
        k.b = a;
    }
    return k;
}

// Edge id of {a, b}, or -1 if no DEM component is that edge.
static long find_key(const qp_correlated *c, edge_key k) {
    size_t lo = 0, hi = c->num_keys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = cmp_key(&c->keys[mid], &k);
        if (r == 0) return (long)mid;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

// Where edge e's weight lives; 0 when the graph has no such edge.
static int weight_slots_of(qp_matching_graph *g, edge_key e, weight_slots *out) {
    if (e.b == QP_MG_BOUNDARY) {
        if (g->boundary_weight[e.a] == QP_MG_INF) return 0;
        *out = (weight_slots){{&g->boundary_weight[e.a], NULL}};
        return 1;
    }
    long ab = qp_matching_graph_adj_index(g, e.a, e.b), ba = qp_matching_graph_adj_index(g, e.b, e.a);
    if (ab < 0 || ba < 0) return 0;
    *out = (weight_slots){{&g->adj_weight[ab], &g->adj_weight[ba]}};
    return 1;
}

static void build_rules(qp_correlated *c, const qp_mg_edge *comps, const uint32_t *error_of, size_t n) {
    // Edge ids.
    c->keys = qp_malloc((n ? n : 1) * sizeof *c->keys);
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        if (comps[i].a != comps[i].b) c->keys[nk++] = norm_key(comps[i].a, comps[i].b);
    qsort(c->keys, nk, sizeof *c->keys, cmp_key);
    size_t nu = 0;
    for (size_t i = 0; i < nk; i++)
        if (!nu || cmp_key(&c->keys[nu - 1], &c->keys[i]) != 0) c->keys[nu++] = c->keys[i];
    c->num_keys = nu;
    long *id = qp_malloc((n ? n : 1) * sizeof *id);      // (n) edge id per component, -1 self-loop
    double *marginal = qp_calloc(nu ? nu : 1, sizeof *marginal);  // (num_keys)
    for (size_t i = 0; i < n; i++) {
        id[i] = comps[i].a == comps[i].b ? -1 : find_key(c, norm_key(comps[i].a, comps[i].b));
        if (id[i] >= 0) marginal[id[i]] = xor_prob(marginal[id[i]], comps[i].p);
    }
    // Joint probabilities: every ordered pair of distinct edges within one decomposed error.
    joint_entry *jt = NULL;
    size_t nj = 0, jcap = 0;
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        while (e < n && error_of[e] == error_of[s]) e++;
        for (size_t x = s; x < e; x++)
            for (size_t y = x + 1; y < e; y++) {
                if (id[x] < 0 || id[y] < 0 || id[x] == id[y]) continue;
                qp_grow(jt, jcap, nj + 2);
                jt[nj++] = (joint_entry){(uint32_t)id[x], (uint32_t)id[y], comps[x].p};
                jt[nj++] = (joint_entry){(uint32_t)id[y], (uint32_t)id[x], comps[x].p};
            }
        s = e;
    }
    if (nj) qsort(jt, nj, sizeof *jt, cmp_joint);
    size_t nr = 0;
    for (size_t i = 0; i < nj; i++) {
        if (nr && jt[nr - 1].cause == jt[i].cause && jt[nr - 1].effect == jt[i].effect) {
            jt[nr - 1].p = xor_prob(jt[nr - 1].p, jt[i].p);
            continue;
        }
        jt[nr++] = jt[i];
    }
    // Rules.
    c->rule_start = qp_calloc(nu + 1, sizeof *c->rule_start);
    c->rule_at = qp_malloc((nr ? nr : 1) * sizeof *c->rule_at);
    c->rule_weight = qp_malloc((nr ? nr : 1) * sizeof *c->rule_weight);
    size_t kept = 0;
    for (size_t i = 0; i < nr; i++) {
        double m = marginal[jt[i].cause];
        if (m <= 0 || marginal[jt[i].effect] > 0.5) continue;  // flipped edges keep their weight
        double q = jt[i].p / m;
        if (q > 0.5) q = 0.5;
        if (q <= 0) continue;
        double w = log((1 - q) / q);
        int64_t iw = 2 * (int64_t)llround(w * c->graph.scale / 2);
        if (iw < 0) iw = 0;
        if (!weight_slots_of(&c->graph, c->keys[jt[i].effect], &c->rule_at[kept])) continue;  // p = 0: no edge
        c->rule_weight[kept] = iw;
        c->rule_start[jt[i].cause + 1]++;
        kept++;
    }
    for (size_t k = 0; k < nu; k++) c->rule_start[k + 1] += c->rule_start[k];
    // Weight slots that cause rules.
    const qp_matching_graph *g = &c->graph;
    size_t num_adj = g->adj_start[g->num_detectors];
    c->slot_cause = qp_malloc((num_adj + g->num_detectors + 1) * sizeof *c->slot_cause);
    for (size_t i = 0; i < num_adj + g->num_detectors; i++) c->slot_cause[i] = -1;
    for (size_t k = 0; k < nu; k++) {
        if (c->rule_start[k] == c->rule_start[k + 1]) continue;
        edge_key e = c->keys[k];
        if (e.b == QP_MG_BOUNDARY) {
            c->slot_cause[num_adj + e.a] = (int32_t)k;
            continue;
        }
        for (int side = 0; side < 2; side++) {
            long slot = qp_matching_graph_adj_index(g, side ? e.b : e.a, side ? e.a : e.b);
            if (slot >= 0) c->slot_cause[slot] = (int32_t)k;
        }
    }
    free(jt);
    free(marginal);
    free(id);
}

qp_correlated *qp_correlated_create(const qp_dem *dem, qp_err *err) {
    qp_correlated *c = qp_calloc(1, sizeof *c);
    if (qp_matching_graph_from_dem(&c->graph, dem, err)) {
        free(c);
        return NULL;
    }
    qp_mg_edge *comps = NULL;
    uint32_t *error_of = NULL;
    size_t n = 0;
    if (qp_matching_graph_dem_components(dem, &comps, &error_of, &n, err)) {
        qp_matching_graph_free(&c->graph);
        free(c);
        return NULL;
    }
    build_rules(c, comps, error_of, n);
    free(comps);
    free(error_of);
    c->mwpm = qp_mwpm_create(&c->graph);
    c->events = qp_malloc(((size_t)c->graph.num_detectors + 1) * sizeof *c->events);
    return c;
}

void qp_correlated_free(qp_correlated *c) {
    if (!c) return;
    qp_mwpm_free(c->mwpm);
    qp_matching_graph_free(&c->graph);
    free(c->keys);
    free(c->slot_cause);
    free(c->rule_start);
    free(c->rule_at);
    free(c->rule_weight);
    free(c->events);
    free(c->saved);
    free(c);
}

const qp_matching_graph *qp_correlated_graph(const qp_correlated *c) { return &c->graph; }

size_t qp_correlated_num_rules(const qp_correlated *c) { return c->rule_start[c->num_keys]; }

// Lowers the weights implied by the used edge {a, b} (b = QP_MG_BOUNDARY for a boundary edge),
// recording each old weight.
static void lower_implied(qp_correlated *c, uint32_t a, uint32_t b) {
    const qp_matching_graph *g = &c->graph;
    size_t num_adj = g->adj_start[g->num_detectors];
    long slot = b == QP_MG_BOUNDARY ? (long)(num_adj + a) : qp_matching_graph_adj_index(g, a, b);
    if (slot < 0 || c->slot_cause[slot] < 0) return;
    size_t id = (size_t)c->slot_cause[slot];
    for (size_t r = c->rule_start[id]; r < c->rule_start[id + 1]; r++) {
        int64_t w = c->rule_weight[r];
        weight_slots *at = &c->rule_at[r];
        if (w >= *at->w[0]) continue;  // weights are only lowered; both slots hold the same value
        for (int side = 0; side < 2 && at->w[side]; side++) {
            qp_grow(c->saved, c->saved_cap, c->saved_len + 1);
            c->saved[c->saved_len++] = (saved_weight){at->w[side], *at->w[side]};
            *at->w[side] = w;
        }
    }
}

// Restores the graph's weights, newest change first (an edge may have been lowered twice).
static void restore_weights(qp_correlated *c) {
    while (c->saved_len) {
        saved_weight *sw = &c->saved[--c->saved_len];
        *sw->at = sw->old;
    }
}

int qp_correlated_decode_b8(qp_correlated *c, const uint8_t *dets, uint64_t *obs_out,
                            double *weight_out, uint64_t *first_obs_out, qp_err *err) {
    const qp_matching_graph *g = &c->graph;
    size_t k = qp_matching_graph_events_b8(g, dets, c->events);
    uint64_t obs = 0;
    int64_t w = 0;
    if (qp_mwpm_decode_events(c->mwpm, c->events, k, &obs, &w, err)) return -1;
    if (first_obs_out) *first_obs_out = obs ^ g->base_obs;
    // Lower the edges implied by every edge of the first pass's correction.
    if (k && qp_correlated_num_rules(c)) {
        const uint32_t *edges;
        size_t ne = qp_mwpm_last_correction(c->mwpm, &edges);
        for (size_t i = 0; i < ne; i++) lower_implied(c, edges[2 * i], edges[2 * i + 1]);
    }
    if (c->saved_len) {  // the second pass, on the lowered weights
        int rc = qp_mwpm_decode_events(c->mwpm, c->events, k, &obs, &w, err);
        restore_weights(c);
        if (rc) return -1;
    }
    *obs_out = obs ^ g->base_obs;
    if (weight_out) *weight_out = (double)w / g->scale + g->base_weight;
    return 0;
}

size_t qp_correlated_last_correction(qp_correlated *c, const uint32_t **edges) {
    return qp_mwpm_last_correction(c->mwpm, edges);
}
