// Correlated matching: rule table from the DEM's decompositions, then two MWPM passes per
// shot, the second with the implied edges lowered. See correlated.h for the rule.
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

struct qp_correlated {
    qp_matching_graph graph;
    qp_mwpm *mwpm;
    // Every edge named by a DEM component, sorted by (a, b); an edge's id is its index.
    edge_key *keys;            // (num_keys)
    size_t num_keys;
    // Rules in CSR form by the used ("cause") edge: rules of edge c are
    // rule_edge[rule_start[c] .. rule_start[c+1]), lowering that edge to rule_weight[...].
    size_t *rule_start;        // (num_keys + 1)
    edge_key *rule_edge;       // (num_rules) the implied edge
    int64_t *rule_weight;      // (num_rules) its implied integer weight (even, >= 0)
    // Per-shot scratch.
    uint32_t *events;  size_t events_cap;           // (k) detection events after the base flip
    qp_mwpm_lowered *low; size_t low_len, low_cap;  // (num_lowered) second-pass changes
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
    c->rule_edge = qp_malloc((nr ? nr : 1) * sizeof *c->rule_edge);
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
        c->rule_edge[kept] = c->keys[jt[i].effect];
        c->rule_weight[kept] = iw;
        c->rule_start[jt[i].cause + 1]++;
        kept++;
    }
    for (size_t k = 0; k < nu; k++) c->rule_start[k + 1] += c->rule_start[k];
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
    return c;
}

void qp_correlated_free(qp_correlated *c) {
    if (!c) return;
    qp_mwpm_free(c->mwpm);
    qp_matching_graph_free(&c->graph);
    free(c->keys);
    free(c->rule_start);
    free(c->rule_edge);
    free(c->rule_weight);
    free(c->events);
    free(c->low);
    free(c);
}

const qp_matching_graph *qp_correlated_graph(const qp_correlated *c) { return &c->graph; }

size_t qp_correlated_num_rules(const qp_correlated *c) { return c->rule_start[c->num_keys]; }

int qp_correlated_decode_b8(qp_correlated *c, const uint8_t *dets, uint64_t *obs_out,
                            double *weight_out, uint64_t *first_obs_out, qp_err *err) {
    const qp_matching_graph *g = &c->graph;
    qp_grow(c->events, c->events_cap, (size_t)g->num_detectors + 1);
    size_t k = qp_matching_graph_events_b8(g, dets, c->events);
    uint64_t obs = 0;
    int64_t w = 0;
    if (qp_mwpm_decode_events(c->mwpm, c->events, k, &obs, &w, err)) return -1;
    if (first_obs_out) *first_obs_out = obs ^ g->base_obs;
    // Lower the edges implied by every edge of the first pass's correction.
    c->low_len = 0;
    if (k && qp_correlated_num_rules(c)) {
        const uint32_t *edges;
        size_t ne = qp_mwpm_last_correction(c->mwpm, &edges);
        for (size_t i = 0; i < ne; i++) {
            long id = find_key(c, norm_key(edges[2 * i], edges[2 * i + 1]));
            if (id < 0) continue;
            for (size_t r = c->rule_start[id]; r < c->rule_start[id + 1]; r++) {
                qp_grow(c->low, c->low_cap, c->low_len + 1);
                c->low[c->low_len++] = (qp_mwpm_lowered){c->rule_edge[r].a, c->rule_edge[r].b, c->rule_weight[r]};
            }
        }
    }
    if (c->low_len &&
        qp_mwpm_decode_events_lowered(c->mwpm, c->events, k, c->low, c->low_len, &obs, &w, err))
        return -1;
    *obs_out = obs ^ g->base_obs;
    if (weight_out) *weight_out = (double)w / g->scale + g->base_weight;
    return 0;
}
