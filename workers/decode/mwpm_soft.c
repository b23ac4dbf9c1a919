// mwpm-soft: the measurement -> edge table built once, then per shot the touched edges'
// integer weights set in place, one sparse-blossom decode, and the weights restored.
// See mwpm_soft.h for the rule.
#include "workers/decode/mwpm_soft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/measurement_map.h"
#include "workers/decode/mwpm.h"
#include "workers/util/alloc.h"

typedef struct {
    uint32_t a, b;  // a < b, or b = QP_MG_BOUNDARY
} edge_key;

struct qp_mwpm_soft {
    qp_matching_graph graph;  // the shot's weights while it decodes, else as built
    qp_mwpm *mwpm;
    qp_mwpm_soft_stats stats;
    uint32_t num_measurements;
    double *q0;               // (num_measurements) the circuit's flip probability of m
    int32_t *edge_of;         // (num_measurements) soft edge of m, or -1: left alone
    // Soft edges (graph edges some measurement's flip is), sorted by key; edge i's measurements
    // are meas[meas_start[i] .. meas_start[i+1]).
    size_t num_edges;
    edge_key *key;            // (num_edges)
    uint32_t *meas_start;     // (num_edges + 1)
    uint32_t *meas;           // (reweighted measurements)
    double *p_other;          // (num_edges) p_e without its measurements' q0
    int64_t **slot[2];        // (num_edges) where its weight lives (slot[1][i] NULL: boundary edge)
    int64_t *built;           // (num_edges) its weight as built
    // Per shot.
    uint8_t *dirty;           // (num_edges) 1 once touched in this shot
    uint32_t *touched;        // (num_edges) touched edges, in order
    size_t num_touched;
};

static double xor_prob(double p, double q) { return p * (1 - q) + q * (1 - p); }

static int cmp_key(const edge_key *x, const edge_key *y) {
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return 0;
}

// (key, measurement) pairs sorted by key: one row per reweighted measurement.
typedef struct {
    edge_key key;
    uint32_t m;
} keyed_meas;

static int cmp_keyed(const void *x, const void *y) {
    const keyed_meas *a = x, *b = y;
    int r = cmp_key(&a->key, &b->key);
    return r ? r : (a->m > b->m) - (a->m < b->m);
}

static edge_key norm_key(uint32_t a, uint32_t b) {
    return b != QP_MG_BOUNDARY && a > b ? (edge_key){b, a} : (edge_key){a, b};
}

static long find_edge(const qp_mwpm_soft *s, edge_key k) {
    size_t lo = 0, hi = s->num_edges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = cmp_key(&s->key[mid], &k);
        if (r == 0) return (long)mid;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

// Edge k of the graph: 1 with its observable mask and where its weight lives (*w1 NULL for a
// boundary edge), or 0 when the graph has no such edge.
static int graph_edge(const qp_matching_graph *g, edge_key k, uint64_t *mask, int64_t **w0, int64_t **w1) {
    if (k.b == QP_MG_BOUNDARY) {
        if (g->boundary_weight[k.a] == QP_MG_INF) return 0;
        *mask = g->boundary_obs[k.a];
        *w0 = &g->boundary_weight[k.a];
        *w1 = NULL;
        return 1;
    }
    long ab = qp_matching_graph_adj_index(g, k.a, k.b), ba = qp_matching_graph_adj_index(g, k.b, k.a);
    if (ab < 0 || ba < 0) return 0;
    *mask = g->adj_obs[ab];
    *w0 = &g->adj_weight[ab];
    *w1 = &g->adj_weight[ba];
    return 1;
}

// Step 1: which edge each measurement's flip is; the graph must have it with m's mask.
static keyed_meas *measurement_edges(qp_mwpm_soft *s, const qp_measurement_map *map, size_t *num) {
    keyed_meas *km = qp_malloc((map->num_measurements ? map->num_measurements : 1) * sizeof *km);
    size_t n = 0;
    for (uint32_t m = 0; m < map->num_measurements; m++) {
        uint32_t nd = map->det_start[m + 1] - map->det_start[m];
        const uint32_t *d = map->det + map->det_start[m];
        if (nd == 0) {
            s->stats.invisible++;
            continue;
        }
        if (nd > 2) {
            s->stats.not_graphlike++;
            continue;
        }
        edge_key k = norm_key(d[0], nd == 2 ? d[1] : QP_MG_BOUNDARY);
        uint64_t mask;
        int64_t *w0, *w1;
        if (!graph_edge(&s->graph, k, &mask, &w0, &w1) || mask != map->obs[m] || !(map->flip[m] < 0.5)) {
            s->stats.no_edge++;
            continue;
        }
        km[n++] = (keyed_meas){k, m};
    }
    qsort(km, n, sizeof *km, cmp_keyed);
    *num = n;
    return km;
}

// Step 2: the soft edges, their measurements, and p_other from the DEM's components.
static int build_edges(qp_mwpm_soft *s, const keyed_meas *km, size_t n, const qp_dem *dem, qp_err *err) {
    s->key = qp_malloc((n ? n : 1) * sizeof *s->key);
    s->meas_start = qp_calloc(n + 1, sizeof *s->meas_start);
    s->meas = qp_malloc((n ? n : 1) * sizeof *s->meas);
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ne || cmp_key(&s->key[ne - 1], &km[i].key) != 0) s->key[ne++] = km[i].key;
        s->meas_start[ne]++;
        s->meas[i] = km[i].m;
        s->edge_of[km[i].m] = (int32_t)(ne - 1);
    }
    s->num_edges = ne;
    for (size_t e = 0; e < ne; e++) s->meas_start[e + 1] += s->meas_start[e];
    s->stats.reweighted = (uint32_t)n;
    s->stats.soft_edges = ne;
    s->p_other = qp_calloc(ne ? ne : 1, sizeof *s->p_other);
    s->slot[0] = qp_calloc(ne ? ne : 1, sizeof *s->slot[0]);
    s->slot[1] = qp_calloc(ne ? ne : 1, sizeof *s->slot[1]);
    s->built = qp_calloc(ne ? ne : 1, sizeof *s->built);
    s->dirty = qp_calloc(ne ? ne : 1, 1);
    s->touched = qp_malloc((ne ? ne : 1) * sizeof *s->touched);
    uint64_t *mask = qp_malloc((ne ? ne : 1) * sizeof *mask);
    for (size_t e = 0; e < ne; e++) {
        int64_t **w0 = &s->slot[0][e], **w1 = &s->slot[1][e];
        graph_edge(&s->graph, s->key[e], &mask[e], w0, w1);
        s->built[e] = **w0;
    }
    // p_e: the XOR of the DEM's components of that edge with the graph's mask (the graph's merge).
    qp_mg_edge *comps = NULL;
    size_t nc = 0;
    if (qp_matching_graph_dem_edges(dem, &comps, &nc, err)) {
        free(mask);
        return -1;
    }
    for (size_t i = 0; i < nc; i++) {
        if (comps[i].a == comps[i].b) continue;
        long e = find_edge(s, norm_key(comps[i].a, comps[i].b));
        if (e >= 0 && comps[i].obs == mask[e]) s->p_other[e] = xor_prob(s->p_other[e], comps[i].p);
    }
    free(comps);
    free(mask);
    for (size_t e = 0; e < ne; e++) {
        double p = s->p_other[e];
        if (p > 0.5) {  // folded into the graph's base flip: its edge stands for 1 - p
            for (uint32_t j = s->meas_start[e]; j < s->meas_start[e + 1]; j++) s->edge_of[s->meas[j]] = -1;
            s->stats.reweighted -= s->meas_start[e + 1] - s->meas_start[e];
            s->stats.no_edge += s->meas_start[e + 1] - s->meas_start[e];
            s->stats.soft_edges--;
            continue;
        }
        for (uint32_t j = s->meas_start[e]; j < s->meas_start[e + 1]; j++) {
            double q = s->q0[s->meas[j]];
            p = (p - q) / (1 - 2 * q);
        }
        s->p_other[e] = p < 0 ? 0 : p > 0.5 ? 0.5 : p;  // rounding, or a DEM that disagrees with the circuit
    }
    return 0;
}

qp_mwpm_soft *qp_mwpm_soft_create(const qp_dem *dem, const qp_circuit *c, qp_err *err) {
    qp_measurement_map map;
    if (qp_measurement_map_build(&map, c, err)) return NULL;
    if (map.num_detectors != dem->num_detectors) {
        qp_fail(err, "the circuit has %u detectors but the detector error model has %llu", map.num_detectors,
                (unsigned long long)dem->num_detectors);
        qp_measurement_map_free(&map);
        return NULL;
    }
    qp_mwpm_soft *s = qp_calloc(1, sizeof *s);
    if (qp_matching_graph_from_dem(&s->graph, dem, err)) {
        qp_measurement_map_free(&map);
        free(s);
        return NULL;
    }
    uint32_t M = map.num_measurements;
    s->num_measurements = M;
    s->stats.num_measurements = M;
    s->q0 = qp_malloc((M ? M : 1) * sizeof *s->q0);
    memcpy(s->q0, map.flip, M * sizeof *s->q0);
    s->edge_of = qp_malloc((M ? M : 1) * sizeof *s->edge_of);
    for (uint32_t m = 0; m < M; m++) s->edge_of[m] = -1;
    size_t n;
    keyed_meas *km = measurement_edges(s, &map, &n);
    int rc = build_edges(s, km, n, dem, err);
    free(km);
    qp_measurement_map_free(&map);
    if (rc) {
        qp_mwpm_soft_free(s);
        return NULL;
    }
    s->mwpm = qp_mwpm_create(&s->graph);
    return s;
}

void qp_mwpm_soft_free(qp_mwpm_soft *s) {
    if (!s) return;
    if (s->mwpm) qp_mwpm_free(s->mwpm);
    qp_matching_graph_free(&s->graph);
    free(s->q0);
    free(s->edge_of);
    free(s->key);
    free(s->meas_start);
    free(s->meas);
    free(s->p_other);
    free(s->slot[0]);
    free(s->slot[1]);
    free(s->built);
    free(s->dirty);
    free(s->touched);
    free(s);
}

const qp_matching_graph *qp_mwpm_soft_graph(const qp_mwpm_soft *s) { return &s->graph; }
uint32_t qp_mwpm_soft_num_measurements(const qp_mwpm_soft *s) { return s->num_measurements; }
qp_mwpm_soft_stats qp_mwpm_soft_stats_of(const qp_mwpm_soft *s) { return s->stats; }

// The error probability a shot gives measurement m: e_m, or q0 when p1 says nothing new.
static double error_of(const qp_mwpm_soft *s, uint32_t m, float p1, int *informative) {
    double p = p1, e = p < 0.5 ? p : 1.0 - p, q = s->q0[m];
    *informative = e > 0 && fabs(e - q) > 0x1p-24;
    return *informative ? e : q;
}

void qp_mwpm_soft_restore(qp_mwpm_soft *s) {
    for (size_t t = 0; t < s->num_touched; t++) {
        uint32_t e = s->touched[t];
        *s->slot[0][e] = s->built[e];
        if (s->slot[1][e]) *s->slot[1][e] = s->built[e];
        s->dirty[e] = 0;
    }
    s->num_touched = 0;
}

int qp_mwpm_soft_apply(qp_mwpm_soft *s, const float *p1, qp_err *err) {
    qp_mwpm_soft_restore(s);
    for (uint32_t m = 0; m < s->num_measurements; m++) {
        if (!(p1[m] >= 0 && p1[m] <= 1)) {
            qp_mwpm_soft_restore(s);
            return qp_fail(err, "measurement %u: p1 = %g is not a probability", m, (double)p1[m]);
        }
        int32_t e = s->edge_of[m];
        int informative;
        if (e < 0 || s->dirty[e]) continue;
        error_of(s, m, p1[m], &informative);
        if (!informative) continue;
        s->dirty[e] = 1;
        s->touched[s->num_touched++] = (uint32_t)e;
    }
    double scale = s->graph.scale;
    for (size_t t = 0; t < s->num_touched; t++) {
        uint32_t e = s->touched[t];
        double p = s->p_other[e];
        int informative;
        for (uint32_t j = s->meas_start[e]; j < s->meas_start[e + 1]; j++)
            p = xor_prob(p, error_of(s, s->meas[j], p1[s->meas[j]], &informative));
        if (p < 1e-300) p = 1e-300;
        double w = log((1 - p) / p);  // p <= 1/2: w >= 0, so rounding half up is llround
        int64_t iw = w > 0 ? 2 * (int64_t)(w * scale / 2 + 0.5) : 0;
        *s->slot[0][e] = iw;
        if (s->slot[1][e]) *s->slot[1][e] = iw;
    }
    return 0;
}

int qp_mwpm_soft_decode_b8(qp_mwpm_soft *s, const uint8_t *dets, const float *p1, uint64_t *obs_out,
                           double *weight_out, qp_err *err) {
    if (qp_mwpm_soft_apply(s, p1, err)) return -1;
    int rc = qp_mwpm_decode_b8(s->mwpm, dets, obs_out, weight_out, err);
    qp_mwpm_soft_restore(s);
    return rc;
}
